"""The simulated Replit Enterprise organisation's usage, generated per UTC day on demand.

Replit's Enterprise Admin API is a beta whose endpoint detail vendor-apis.md §6 marks
**[uncertain]**; this organisation carries each uncertainty on purpose, so the connector has to
cope with every plausible reading:

- member ids are numbers (``userId``), and a member usage group's ``key`` is an object
  ``{"userId", "username"}``, or (``member_key="scalar"``) the bare id;
- a member who left the workspace (index ``% 7 == 6``) still has usage but is absent from
  ``/members``;
- ``/members`` items may lack an email (index ``% 5 == 4``: ``email`` null);
- workspace costs nobody owns (a shared deployment, some days) come as a group whose ``key``
  is null;
- ``usage`` and ``usageUnit`` are nullable (AI integrations report a cost only);
- a member's ``totalCostUsd`` may exceed the sum of their metrics (index ``% 4 == 3``: an
  un-itemised ledger line of a few cents);
- costs are gross ledger USD amounts as JSON numbers with up to four decimal places.

``expected_billed_micros(day)`` is the sum of every group's ``totalCostUsd`` that day (which
the timeseries view also reports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connectors.money import to_micros
from connectors.simulator.team import SimMember, rng_for

FOUR_PLACES = Decimal("0.0001")
#: (metric id, name, category, usage unit or None, USD per unit low, high)
METRICS: tuple[tuple[str, str, str, str | None, str, str], ...] = (
    ("agent", "Agent", "ai", "checkpoints", "0.10", "1.50"),
    ("assistant", "Assistant", "ai", "edits", "0.04", "0.08"),
    ("ai_integrations", "AI Integrations", "ai", None, "0.50", "6.00"),
    ("autoscale_compute", "Autoscale compute units", "deployments", "compute_units",
     "0.0000032", "0.0000032"),
)  # fmt: skip
SHARED_DEPLOYMENT = ("reserved_vm", "Reserved VM deployment", "deployments", "hours", "0.05")


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    category: str
    usage: Decimal | None
    unit: str | None
    cost: Decimal


@dataclass(frozen=True)
class Group:
    """One usage group of a day: a member's (``member`` set) or the workspace's own."""

    member: SimMember | None
    metrics: tuple[Metric, ...]
    total: Decimal  # totalCostUsd (>= the metrics' sum)


def replit_user_id(seed: int, member: SimMember) -> int:
    return 4_000_000 + rng_for(seed, "replit", "user", member.index).randrange(5_000_000)


def username(member: SimMember) -> str:
    return member.email.split("@")[0].replace(".", "")


class ReplitData:
    """The generated organisation; mixed into ``ReplitVendor``."""

    team: list[SimMember]
    seed: int
    in_range: Any  # SimulatedVendor.in_range

    def _init_data(self) -> None:
        self.api_key = f"rpl_sim{rng_for(self.seed, 'replit', 'key').getrandbits(128):032x}"
        self.user_ids = {m.index: replit_user_id(self.seed, m) for m in self.team}
        self.day_groups = lru_cache(maxsize=64)(self._compute_day_groups)

    def listed_members(self) -> list[SimMember]:
        """Who ``/members`` lists: everyone but those who left the workspace."""
        return [m for m in self.team if m.index % 7 != 6]

    def _compute_day_groups(self, day: dt.date) -> tuple[Group, ...]:
        if not self.in_range(day):
            return ()
        groups: list[Group] = []
        for member in self.team:
            rng = rng_for(self.seed, "replit", "usage", member.index, day.isoformat())
            if rng.random() >= 0.65:
                continue
            metrics = []
            for mid, name, category, unit, low, high in METRICS:
                if rng.random() >= 0.6:
                    continue
                quantity = Decimal(rng.randint(1, 40))
                if mid == "autoscale_compute":
                    quantity = Decimal(rng.randint(10_000, 2_000_000))
                rate = Decimal(low) + (Decimal(high) - Decimal(low)) * Decimal(rng.random())
                cost = (quantity * rate).quantize(FOUR_PLACES)
                if cost <= 0:
                    continue
                usage = quantity if unit is not None else None
                metrics.append(Metric(mid, name, category, usage, unit, cost))
            if not metrics:
                continue
            total = sum((m.cost for m in metrics), Decimal(0))
            if member.index % 4 == 3:
                total += Decimal(rng.randint(1, 9)) / 100  # an un-itemised ledger line
            groups.append(Group(member, tuple(metrics), total))
        rng = rng_for(self.seed, "replit", "shared", day.isoformat())
        if rng.random() < 0.5:
            mid, name, category, unit, rate = SHARED_DEPLOYMENT
            cost = (24 * Decimal(rate)).quantize(FOUR_PLACES)
            groups.append(
                Group(None, (Metric(mid, name, category, Decimal(24), unit, cost),), cost)
            )
        return tuple(groups)

    # -- truths ------------------------------------------------------------------------------
    def expected_billed_micros(self, day: dt.date) -> int:
        return sum(to_micros(g.total, unit="usd") for g in self.day_groups(day))

    def day_total(self, day: dt.date) -> Decimal:
        return sum((g.total for g in self.day_groups(day)), Decimal(0))

"""The simulated GitHub organisation's Copilot data, generated per UTC day on demand.

Every warning of vendor-apis.md §3, on purpose:

- seats: one per member (login from the email, e.g. ``ada-lovelace``; the Simple User's
  ``email`` null except for members ``index % 3 == 0``), plus **two seats with a null
  assignee**; members ``index % 5 == 1`` are **pending cancellation** (the seat ends on the
  first day after the simulator's last day); members ``index % 4 == 3`` have ``plan_type``
  ``unknown`` (the org is on Business); members ``index % 6 == 4`` were granted their seat on
  the simulator's 21st day; members ``index % 6 == 3`` never use Copilot (idle seats);
- AI credits: the org and the per-user endpoints spell SKU and unit differently; the first
  ten days of a month are covered by the pooled included credits (net 0, gross kept); a
  **former member** without a seat still has credits in the organisation's total;
- usage reports: rows split over **two signed links** on another host (``localhost`` for
  ``127.0.0.1``), refused when they carry GitHub credentials; days ``toordinal() % 9 == 0``
  answer **204** (no data).

Truths: ``expected_billed_micros(day)`` is every seat's share of its month's price (default
plan prices) plus the organisation's AI-credit ``netAmount``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connectors.money import split_over_days, to_micros
from connectors.simulator.team import SimMember, rng_for

PRICES = {"business": Decimal(19), "enterprise": Decimal(39)}
ORG_PLAN = "business"
CREDIT_USD = Decimal("0.01")
CREDIT_MODELS = ("claude-sonnet-4.5", "gpt-5")
POOL_DAYS = 10  # the included credits cover the first ten days of each month
FORMER_LOGIN = "octo-former"


@dataclass(frozen=True)
class SimSeat:
    member: SimMember | None  # None: a seat whose assignee is null
    login: str | None
    plan_type: str
    created: dt.date
    pending_cancellation: dt.date | None


def login_of(member: SimMember) -> str:
    return member.email.split("@")[0].replace(".", "-")


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


class CopilotData:
    """The generated organisation; mixed into ``CopilotVendor``."""

    team: list[SimMember]
    seed: int
    start: dt.date
    end: dt.date
    in_range: Any

    def _init_data(self) -> None:
        rng = rng_for(self.seed, "copilot", "secrets")
        self.token = f"ghp_sim{rng.getrandbits(128):032x}"
        self.org = "example-org"
        self.signing_key = f"{rng.getrandbits(64):016x}"
        seats = []
        for m in self.team:
            created = self.start - dt.timedelta(days=60 + m.index)
            if m.index % 6 == 4:
                created = self.start + dt.timedelta(days=20)
            pending = month_end(self.end) + dt.timedelta(days=1) if m.index % 5 == 1 else None
            plan = "unknown" if m.index % 4 == 3 else ORG_PLAN
            seats.append(SimSeat(m, login_of(m), plan, created, pending))
        for i in range(2):
            seats.append(
                SimSeat(None, None, ORG_PLAN, self.start - dt.timedelta(days=40 + i), None)
            )
        self.seats = tuple(seats)
        self.day_credits = lru_cache(maxsize=64)(self._compute_day_credits)

    def seat_holders(self) -> dict[str, SimSeat]:
        return {s.login: s for s in self.seats if s.login}

    # -- seats -------------------------------------------------------------------------------
    def seat_billed_micros(self, day: dt.date) -> int:
        first = day.replace(day=1)
        total = 0
        for seat in self.seats:
            if seat.created > day:
                continue
            if seat.pending_cancellation is not None and first >= seat.pending_cancellation:
                continue
            plan = ORG_PLAN if seat.plan_type == "unknown" else seat.plan_type
            price = to_micros(PRICES[plan], unit="usd")
            total += dict(split_over_days(price, first, month_end(day)))[day]
        return total

    # -- AI credits --------------------------------------------------------------------------
    def _compute_day_credits(self, day: dt.date) -> dict[str, tuple[tuple[str, int], ...]]:
        """login → ((model, credits), ...) for the day (the former member included)."""
        if not self.in_range(day):
            return {}
        users: dict[str, tuple[tuple[str, int], ...]] = {}
        logins = [s.login for s in self.seats if s.login and s.member and s.member.index % 6 != 3]
        for login in [*logins, FORMER_LOGIN]:
            rng = rng_for(self.seed, "copilot", "credits", login, day.isoformat())
            if rng.random() < 0.45:
                continue
            models = sorted(set(rng.choices(CREDIT_MODELS, k=rng.randint(1, 2))))
            users[login] = tuple((model, rng.randint(1, 400)) for model in models)
        return users

    def credit_items(
        self, day: dt.date, login: str | None, *, whole_month: bool = False
    ) -> list[dict[str, Any]]:
        """``usageItems`` for the org (``login`` None) or one user, in each one's spelling, of
        the day or (``whole_month``) of the day's month to date."""
        period = [day]
        if whole_month:
            first = day.replace(day=1)
            period = [first + dt.timedelta(days=i) for i in range(month_end(day).day)]
        sums: dict[str, list[int]] = {}  # model → [gross credits, discounted credits]
        for d in period:
            for user, models in self.day_credits(d).items():
                if login is not None and user != login:
                    continue
                for model, count in models:
                    slot = sums.setdefault(model, [0, 0])
                    slot[0] += count
                    slot[1] += count if d.day <= POOL_DAYS else 0
        spelling = (
            {"product": "Copilot", "sku": "Copilot AI Credits", "unitType": "credits"}
            if login is None
            else {"product": "Copilot AI Credits", "sku": "AI Credit", "unitType": "ai-credits"}
        )
        items = []
        for model, (count, pooled) in sorted(sums.items()):
            items.append(
                {
                    **spelling,
                    "model": model,
                    "pricePerUnit": CREDIT_USD,
                    "grossQuantity": count,
                    "grossAmount": count * CREDIT_USD,
                    "discountQuantity": pooled,
                    "discountAmount": pooled * CREDIT_USD,
                    "netQuantity": count - pooled,
                    "netAmount": (count - pooled) * CREDIT_USD,
                }
            )
        return items

    # -- usage metrics -----------------------------------------------------------------------
    def report_rows(self, day: dt.date) -> list[dict[str, Any]]:
        rows = []
        for seat in self.seats:
            m = seat.member
            if m is None or m.index % 6 == 3 or seat.created > day:
                continue
            rng = rng_for(self.seed, "copilot", "metrics", m.index, day.isoformat())
            if rng.random() < 0.3:
                continue
            generated = rng.randint(5, 300)
            row: dict[str, Any] = {
                "user_id": m.cursor_numeric_id,
                "user_login": seat.login,
                "day": day.isoformat(),
                "organization_id": "4242",
                "enterprise_id": "",
                "user_initiated_interaction_count": rng.randint(0, 60),
                "code_generation_activity_count": generated,
                "code_acceptance_activity_count": rng.randint(0, generated),
                "loc_suggested_to_add_sum": rng.randint(0, 2000),
                "loc_suggested_to_delete_sum": rng.randint(0, 300),
                "loc_added_sum": rng.randint(0, 800),
                "loc_deleted_sum": rng.randint(0, 200),
                "totals_by_ide": [{"ide": "vscode", "user_initiated_interaction_count": 3}],
                "totals_by_feature": [{"feature": "code_completion"}],
                "used_agent": rng.random() < 0.4,
                "used_chat": True,
                "used_cli": False,
                "etl_id": "sim",
                "day_partition": day.isoformat(),
            }
            if m.index % 2 == 0:
                row["used_cli"] = True
                row["totals_by_cli"] = {
                    "session_count": rng.randint(1, 5),
                    "request_count": rng.randint(1, 40),
                    "prompt_count": rng.randint(1, 20),
                    "token_usage": {
                        "output_tokens_sum": rng.randint(100, 50_000),
                        "prompt_tokens_sum": rng.randint(1_000, 200_000),
                        "avg_tokens_per_request": Decimal("512.5"),
                    },
                }
            rows.append(row)
        return rows

    # -- truths ------------------------------------------------------------------------------
    def expected_billed_micros(self, day: dt.date) -> int:
        credits = sum(to_micros(i["netAmount"], unit="usd") for i in self.credit_items(day, None))
        return self.seat_billed_micros(day) + credits

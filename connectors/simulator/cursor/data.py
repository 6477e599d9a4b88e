"""The simulated Cursor team's data, generated per (member, UTC day) on demand.

Nothing is stored: every (member, UTC day) is generated from ``rng_for(seed, "cursor", slot,
day)``, so a 1,000-member, 90-day benchmark costs what its requests cost. The first draws of
that generator are the day's event count and how many of them are usage-based, so counting
events (to locate a page) never builds the events themselves. Besides the members, one service
account (``ci-agent``, no ``userEmail``) produces events too, as Cursor's background agents do.

Quirks reproduced on purpose: event timestamps are epoch-ms *strings*; some events sit exactly
at 00:00:00.000 and 23:59:59.999 UTC so that off-by-one-millisecond windows lose or
double-count them; ``chargedCents`` is fractional (4 decimal places, so micro-dollars are
exact); daily usage rows carry a *numeric* ``userId`` while members carry the string
``user_...`` id (join on email).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connectors.money import to_micros
from connectors.simulator.team import SimMember, rng_for

DAY_MS = 86_400_000
MAX_RANGE_MS = 30 * DAY_MS  # endDate - startDate may be at most this (30 whole days, inclusive)
MAX_EVENTS_PAGE_SIZE = 1000
DEFAULT_EVENTS_PAGE_SIZE = 100
MAX_EVENTS_PER_MEMBER_DAY = 12
FOUR_PLACES = Decimal("0.0001")
TOKEN_FEE_CENTS_PER_TOKEN = Decimal("0.000025")  # the Cursor Token Rate, $0.25 per million

MODELS = (
    "claude-4.5-sonnet",
    "claude-4.5-opus",
    "gpt-5",
    "gemini-2.5-pro",
    "composer-1",
    "auto",
)
THIRD_PARTY = frozenset({"claude-4.5-sonnet", "claude-4.5-opus", "gpt-5", "gemini-2.5-pro"})
SERVICE_ACCOUNT = {"serviceAccountId": "sa_sim0001", "serviceAccountName": "ci-agent"}
ACTIVITY_COUNT_FIELDS = (
    "totalLinesAdded",
    "totalLinesDeleted",
    "acceptedLinesAdded",
    "acceptedLinesDeleted",
    "totalApplies",
    "totalAccepts",
    "totalRejects",
    "totalTabsShown",
    "totalTabsAccepted",
    "composerRequests",
    "chatRequests",
    "agentRequests",
    "cmdkUsages",
    "subscriptionIncludedReqs",
    "apiKeyReqs",
    "usageBasedReqs",
    "bugbotUsages",
)
EPOCH = dt.date(1970, 1, 1)


def day_start_ms(day: dt.date) -> int:
    return (day - EPOCH).days * DAY_MS


def ms_day(ms: int) -> dt.date:
    return EPOCH + dt.timedelta(days=ms // DAY_MS)


def _cents_json(value: Decimal) -> float:
    """Cents as the JSON number Cursor sends. A 4-place decimal survives the float exactly:
    ``repr`` of a float is the shortest string that round-trips, so the client reads back
    the same digits with ``parse_float=Decimal``."""
    return float(value)


def _public(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the API sends it: money and request units as JSON numbers."""
    out = {k: v for k, v in event.items() if not k.startswith("_")}
    for key in ("requestsCosts", "chargedCents", "cursorTokenFee"):
        if key in out:
            out[key] = _cents_json(out[key])
    if "tokenUsage" in out:
        out["tokenUsage"] = {
            **out["tokenUsage"],
            "totalCents": _cents_json(out["tokenUsage"]["totalCents"]),
        }
    return out


class CursorData:
    """The generated team's Cursor usage; mixed into ``CursorVendor``."""

    team: list[SimMember]
    seed: int
    in_range: Any  # SimulatedVendor.in_range

    def _init_data(self) -> None:
        key_bits = rng_for(self.seed, "cursor", "api-key").getrandbits(96)
        self.api_key = "key_sim" + key_bits.to_bytes(12, "big").hex()
        self._slots = len(self.team) + 1  # every member, then the service account
        self._day_counts = lru_cache(maxsize=512)(self._compute_day_counts)

    def _rng(self, slot: int, day: dt.date):
        return rng_for(self.seed, "cursor", slot, day.isoformat())

    @staticmethod
    def _header(rng: Any, slot_is_service: bool) -> tuple[int, int]:
        """The first draws of a (slot, day) generator: event count and usage-based count."""
        if slot_is_service:
            n = rng.choice((0, 0, 1, 2, 3))
        else:
            n = 0 if rng.random() < 0.25 else rng.randint(1, MAX_EVENTS_PER_MEMBER_DAY)
        usage_based = rng.randint(0, n)
        return n, usage_based

    def _compute_day_counts(self, day: dt.date) -> tuple[tuple[int, ...], int]:
        """Events per slot on a whole day, and their total (cached; ints only)."""
        if not self.in_range(day):
            return (0,) * self._slots, 0
        counts = tuple(
            self._header(self._rng(slot, day), slot == len(self.team))[0]
            for slot in range(self._slots)
        )
        return counts, sum(counts)

    def _slot_events(self, slot: int, day: dt.date) -> list[dict[str, Any]]:
        """Every usage event of one member (or the service account) on one UTC day."""
        if not self.in_range(day):
            return []
        service = slot == len(self.team)
        rng = self._rng(slot, day)
        n, usage_based = self._header(rng, service)
        if n == 0:
            return []
        offsets = sorted(rng.randrange(DAY_MS) for _ in range(n))
        if rng.random() < 0.15:
            offsets[0] = 0  # exactly 00:00:00.000 UTC
        if rng.random() < 0.15:
            offsets[-1] = DAY_MS - 1  # exactly 23:59:59.999 UTC
        kinds = ["Usage-based"] * usage_based + ["Included in Business"] * (n - usage_based)
        rng.shuffle(kinds)
        base = day_start_ms(day)
        who = SERVICE_ACCOUNT if service else {"userEmail": self.team[slot].email}
        events = []
        for offset, kind in zip(offsets, kinds, strict=True):
            model = rng.choice(MODELS)
            token_based = rng.random() < 0.8
            max_mode = rng.random() < 0.1
            errored = rng.random() < 0.03
            requests_costs = Decimal(rng.choice((0, 1, 1, 1, 2, 5))) / 2
            event: dict[str, Any] = {
                "timestamp": str(base + offset),
                **who,
                "model": model,
                "kind": "Errored, Not Charged" if errored else kind,
                "maxMode": max_mode,
                "requestsCosts": Decimal(0) if errored else requests_costs,
                "isTokenBasedCall": token_based,
                "isHeadless": service,
            }
            if token_based:
                usage = {
                    "inputTokens": rng.randint(200, 40_000),
                    "outputTokens": rng.randint(50, 8_000),
                    "cacheWriteTokens": rng.randint(0, 20_000),
                    "cacheReadTokens": rng.randint(0, 200_000),
                }
                total_cents = Decimal(rng.randint(1, 400_000)) / 10_000
                tokens = sum(usage.values())
                fee = (tokens * TOKEN_FEE_CENTS_PER_TOKEN).quantize(FOUR_PLACES)
                value = total_cents + (fee if model in THIRD_PARTY else 0)
                event["tokenUsage"] = {**usage, "totalCents": total_cents}
                if model in THIRD_PARTY:
                    event["cursorTokenFee"] = fee
            else:
                value = requests_costs * 4
            chargeable = kind == "Usage-based" and not errored
            event["isChargeable"] = chargeable
            event["chargedCents"] = value if chargeable else Decimal(0)
            event["_value_cents"] = Decimal(0) if errored else value  # stripped before sending
            events.append(event)
        return events

    def expected_billed_micros(self, day: dt.date) -> int:
        """The day's billed total: every event's ``chargedCents`` converted exactly."""
        return sum(
            to_micros(e["chargedCents"], unit="cents")
            for slot in range(self._slots)
            for e in self._slot_events(slot, day)
        )

    def _activity_row(self, slot: int, day: dt.date) -> dict[str, Any]:
        member = self.team[slot]
        n, usage_based = self._header(self._rng(slot, day), False)
        rng = rng_for(self.seed, "cursor-activity", slot, day.isoformat())
        active = n > 0 or rng.random() < 0.1
        counts = dict.fromkeys(ACTIVITY_COUNT_FIELDS, 0)
        most_used = None
        if active:
            tabs_shown = rng.randint(0, 400)
            applies = rng.randint(0, 30)
            accepts = rng.randint(0, applies)
            added = rng.randint(0, 2_000)
            deleted = rng.randint(0, 800)
            chat = rng.randint(0, n)
            agent = rng.randint(0, n - chat)
            counts.update(
                totalLinesAdded=added,
                totalLinesDeleted=deleted,
                acceptedLinesAdded=rng.randint(0, added),
                acceptedLinesDeleted=rng.randint(0, deleted),
                totalApplies=applies,
                totalAccepts=accepts,
                totalRejects=applies - accepts,
                totalTabsShown=tabs_shown,
                totalTabsAccepted=rng.randint(0, tabs_shown),
                composerRequests=n - chat - agent,
                chatRequests=chat,
                agentRequests=agent,
                cmdkUsages=rng.randint(0, 10),
                subscriptionIncludedReqs=n - usage_based,
                usageBasedReqs=usage_based,
                bugbotUsages=rng.choice((0, 0, 0, 1)),
            )
            most_used = rng.choice(MODELS) if n else None
        return {
            "userId": member.cursor_numeric_id,
            "day": day.isoformat(),
            "date": day_start_ms(day),
            "email": member.email,
            "isActive": active,
            **counts,
            "mostUsedModel": most_used,
            "applyMostUsedExtension": "tsx" if active and counts["totalApplies"] else None,
            "tabMostUsedExtension": "py" if active and counts["totalTabsShown"] else None,
            "clientVersion": "2.1.7" if active else None,
        }

    def expected_tokens(self, day: dt.date) -> int:
        """Every token of the day's events (token-based calls), each counted once."""
        return sum(
            sum(v for k, v in e["tokenUsage"].items() if k != "totalCents")
            for slot in range(self._slots)
            for e in self._slot_events(slot, day)
            if "tokenUsage" in e
        )

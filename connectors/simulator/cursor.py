"""The simulated Cursor Admin API (``/cursor`` prefix), shaped as ``vendor-apis.md`` §2 says.

Serves ``GET /teams/members``, ``POST /teams/daily-usage-data``, ``POST /teams/spend`` and
``POST /teams/filtered-usage-events`` for a generated team, behind HTTP Basic auth with the
key as username and an empty password.

Nothing is stored: every (member, UTC day) is generated on demand from
``rng_for(seed, "cursor", slot, day)``, so a 1,000-member, 90-day benchmark costs what its
requests cost. The first draws of that generator are the day's event count and how many of
them are usage-based, so counting events (to locate a page) never builds the events
themselves. Besides the members, one service account (``ci-agent``, no ``userEmail``)
produces events too, as Cursor's background agents do.

Quirks reproduced on purpose: event timestamps are epoch-ms *strings*; both ends of the
usage-events range are inclusive, and some events sit exactly at 00:00:00.000 and
23:59:59.999 UTC so that off-by-one-millisecond windows lose or double-count them;
``chargedCents`` is fractional (4 decimal places, so micro-dollars are exact); daily usage
rows carry a *numeric* ``userId`` while members carry the string ``user_...`` id (join on
email); ``/teams/spend`` is a current-cycle snapshot with fractional cents.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connectors.contract import to_micros
from connectors.simulator.server import SimRequest, SimResponse, SimulatedVendor, register_vendor
from connectors.simulator.team import rng_for

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


def _error(status: int, message: str) -> SimResponse:
    return SimResponse(status=status, body={"error": message})


class _BadRequest(Exception):
    pass


def _int_field(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if value is None:
        raise _BadRequest(f"{name} is required")
    if isinstance(value, bool):
        raise _BadRequest(f"{name} must be a number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    raise _BadRequest(f"{name} must be a number")


@register_vendor
class CursorVendor(SimulatedVendor):
    """Cursor's Admin API for a generated team, generated per (member, day) on demand."""

    name = "cursor"

    def __init__(self, team: Any, start: dt.date, days: int, seed: int) -> None:
        super().__init__(team, start, days, seed)
        self._key = (
            "key_sim" + rng_for(seed, "cursor", "api-key").getrandbits(96).to_bytes(12, "big").hex()
        )
        self._slots = len(self.team) + 1  # every member, then the service account
        self._day_counts = lru_cache(maxsize=512)(self._compute_day_counts)

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"api_key": self._key}

    def bad_config(self) -> dict[str, Any]:
        return {"api_key": "key_simrevoked000000000000000000"}

    def is_authorized(self, req: SimRequest) -> bool:
        expected = "Basic " + base64.b64encode(f"{self._key}:".encode()).decode()
        return req.headers.get("authorization") == expected

    # -- deterministic generation ------------------------------------------------------------
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

    # -- request handling --------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        if not self.is_authorized(req):
            return _error(401, "Unauthorized")
        route = (req.method.upper(), req.path.rstrip("/"))
        try:
            if route == ("GET", "/teams/members"):
                return self._members()
            body = self._json_body(req)
            if route == ("POST", "/teams/filtered-usage-events"):
                return self._usage_events(body)
            if route == ("POST", "/teams/daily-usage-data"):
                return self._daily_usage(body)
            if route == ("POST", "/teams/spend"):
                return self._spend(body)
        except _BadRequest as exc:
            return _error(400, str(exc))
        return _error(404, "Not Found")

    @staticmethod
    def _json_body(req: SimRequest) -> dict[str, Any]:
        body = req.body
        if isinstance(body, bytes | bytearray):
            body = body.decode() if body.strip() else None
        if isinstance(body, str):
            try:
                body = json.loads(body) if body.strip() else None
            except ValueError:
                raise _BadRequest("body is not valid JSON") from None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise _BadRequest("body must be a JSON object")
        return body

    def _members(self) -> SimResponse:
        members = [
            {
                "id": m.cursor_user_id,
                "email": m.email,
                "name": m.name,
                "role": "owner" if i == 0 else "member",
                "isRemoved": False,
            }
            for i, m in enumerate(self.team)
        ]
        return SimResponse(body={"teamMembers": members})

    @staticmethod
    def _range(body: dict[str, Any]) -> tuple[int, int]:
        lo, hi = _int_field(body, "startDate"), _int_field(body, "endDate")
        if hi < lo:
            raise _BadRequest("endDate must not be before startDate")
        if hi - lo > MAX_RANGE_MS:
            raise _BadRequest("Date range cannot exceed 30 days")
        return lo, hi

    @staticmethod
    def _page(body: dict[str, Any], default_size: int, max_size: int | None) -> tuple[int, int]:
        page = _int_field(body, "page", 1)
        size = _int_field(body, "pageSize", default_size)
        if page < 1:
            raise _BadRequest("page must be at least 1")
        if size < 1 or (max_size is not None and size > max_size):
            raise _BadRequest(f"pageSize must be between 1 and {max_size}")
        return page, size

    def _track(self, token: tuple[Any, ...], page: int, has_next: bool) -> None:
        if page > 1:
            self.take_page(repr((*token, page)))
        if has_next:
            self.offer_page(repr((*token, page + 1)))

    # filtered-usage-events ------------------------------------------------------------------
    def _counts_in(self, day: dt.date, lo: int, hi: int) -> tuple[tuple[int, ...], int]:
        """Events per slot on ``day`` whose timestamp is within lo..hi (both inclusive)."""
        first = day_start_ms(day)
        if lo <= first and hi >= first + DAY_MS - 1:
            return self._day_counts(day)
        counts = tuple(
            sum(1 for e in self._slot_events(slot, day) if lo <= int(e["timestamp"]) <= hi)
            for slot in range(self._slots)
        )
        return counts, sum(counts)

    def _events_from(self, lo: int, hi: int, offset: int) -> Iterator[dict[str, Any]]:
        """Events within lo..hi in (day, slot, time) order, skipping the first ``offset``."""
        day, last = max(ms_day(lo), self.start), min(ms_day(hi), self.end)
        while day <= last:
            counts, total = self._counts_in(day, lo, hi)
            if offset >= total:
                offset -= total
                day += dt.timedelta(days=1)
                continue
            for slot, count in enumerate(counts):
                if offset >= count:
                    offset -= count
                    continue
                events = [
                    e for e in self._slot_events(slot, day) if lo <= int(e["timestamp"]) <= hi
                ]
                yield from events[offset:]
                offset = 0
            day += dt.timedelta(days=1)

    def _usage_events(self, body: dict[str, Any]) -> SimResponse:
        lo, hi = self._range(body)
        page, size = self._page(body, DEFAULT_EVENTS_PAGE_SIZE, MAX_EVENTS_PAGE_SIZE)
        total = 0
        day, last = max(ms_day(lo), self.start), min(ms_day(hi), self.end)
        while day <= last:
            total += self._counts_in(day, lo, hi)[1]
            day += dt.timedelta(days=1)
        num_pages = math.ceil(total / size)
        events = []
        for event in self._events_from(lo, hi, (page - 1) * size):
            if len(events) == size:
                break
            events.append(_public(event))
        has_next = page < num_pages
        self._track(("events", lo, hi, size), page, has_next)
        return SimResponse(
            body={
                "totalUsageEventsCount": total,
                "pagination": {
                    "numPages": num_pages,
                    "currentPage": page,
                    "pageSize": size,
                    "hasNextPage": has_next,
                    "hasPreviousPage": page > 1,
                },
                "usageEvents": events,
                "period": {"startDate": lo, "endDate": hi},
            }
        )

    # daily-usage-data -----------------------------------------------------------------------
    def _daily_usage(self, body: dict[str, Any]) -> SimResponse:
        lo, hi = self._range(body)
        first, last = max(ms_day(lo), self.start), min(ms_day(hi), self.end)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        paged = "page" in body or "pageSize" in body
        result: dict[str, Any] = {"period": {"startDate": lo, "endDate": hi}}
        if not paged:
            rows = []
            for slot in range(len(self.team)):
                member_rows = [self._activity_row(slot, day) for day in days]
                if any(r["isActive"] for r in member_rows):
                    rows.extend(r for r in member_rows if r["isActive"])
            for row in rows:
                del row["isActive"]
            result["data"] = rows
            return SimResponse(body=result)
        page, size = self._page(body, 100, None)
        users = len(self.team)
        total_pages = math.ceil(users / size)
        slots = range((page - 1) * size, min(page * size, users))
        result["data"] = [self._activity_row(slot, day) for slot in slots for day in days]
        has_next = page < total_pages
        self._track(("daily", lo, hi, size), page, has_next)
        result["pagination"] = {
            "page": page,
            "pageSize": size,
            "totalUsers": users,
            "totalPages": total_pages,
            "hasNextPage": has_next,
            "hasPreviousPage": page > 1,
        }
        return SimResponse(body=result)

    # spend ----------------------------------------------------------------------------------
    def _spend(self, body: dict[str, Any]) -> SimResponse:
        """Current-cycle snapshot: the month holding the simulation's last day, up to that day."""
        page, size = self._page(body, 50, None)
        cycle_start = self.end.replace(day=1)
        cycle_days = [
            cycle_start + dt.timedelta(days=i) for i in range((self.end - cycle_start).days + 1)
        ]
        users = len(self.team)
        total_pages = math.ceil(users / size)
        rows = []
        for slot in range((page - 1) * size, min(page * size, users)):
            member = self.team[slot]
            events = [e for day in cycle_days for e in self._slot_events(slot, day)]
            spend = sum((e["chargedCents"] for e in events), Decimal(0))
            overall = sum((e["_value_cents"] for e in events), Decimal(0))
            rows.append(
                {
                    "userId": member.cursor_user_id,
                    "name": member.name,
                    "email": member.email,
                    "role": "owner" if slot == 0 else "member",
                    "spendCents": _cents_json(spend),
                    "overallSpendCents": _cents_json(overall),
                    "fastPremiumRequests": sum(1 for e in events if e["maxMode"]),
                    "hardLimitOverrideDollars": 0,
                    "monthlyLimitDollars": None,
                    "effectivePerUserLimitDollars": 500,
                }
            )
        has_next = page < total_pages
        self._track(("spend", size), page, has_next)
        return SimResponse(
            body={
                "teamMemberSpend": rows,
                "subscriptionCycleStart": day_start_ms(cycle_start),
                "totalMembers": users,
                "totalPages": total_pages,
            }
        )

"""The simulated Cursor Admin API's routes (``/cursor`` prefix), shaped as ``vendor-apis.md`` §2
says: ``GET /teams/members``, ``POST /teams/daily-usage-data``, ``POST /teams/spend`` and
``POST /teams/filtered-usage-events``, behind HTTP Basic auth with the key as username and an
empty password.

Both ends of the usage-events range are inclusive; ranges are at most 30 days; ``/teams/spend``
is a current-cycle snapshot (the month holding the simulator's last day, its "today") with
fractional cents. Every page honours the simulator's ``page_cap``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from connectors.simulator.cursor.data import (
    DAY_MS,
    DEFAULT_EVENTS_PAGE_SIZE,
    MAX_EVENTS_PAGE_SIZE,
    MAX_RANGE_MS,
    CursorData,
    _cents_json,
    _public,
    day_start_ms,
    ms_day,
)
from connectors.simulator.vendor import SimRequest, SimResponse, SimulatedVendor, register_vendor


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
class CursorVendor(CursorData, SimulatedVendor):
    """Cursor's Admin API for a generated team, generated per (member, day) on demand."""

    name = "cursor"

    def __init__(self, team: Any, start: dt.date, days: int, seed: int, **kw: Any) -> None:
        super().__init__(team, start, days, seed, **kw)
        self._init_data()

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"api_key": self.api_key}

    def bad_config(self) -> dict[str, Any]:
        return {"api_key": "key_simrevoked000000000000000000"}

    def is_authorized(self, req: SimRequest) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        return req.headers.get("authorization") == expected

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

    def _page(
        self, body: dict[str, Any], default_size: int, max_size: int | None
    ) -> tuple[int, int]:
        """(page, effective page size): the size asked for, capped by the simulator's page cap
        (the server decides its page size; pages are counted in it)."""
        page = _int_field(body, "page", 1)
        size = _int_field(body, "pageSize", default_size)
        if page < 1:
            raise _BadRequest("page must be at least 1")
        if size < 1 or (max_size is not None and size > max_size):
            raise _BadRequest(f"pageSize must be between 1 and {max_size}")
        return page, self.page_size(size, default=default_size, maximum=max_size)

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

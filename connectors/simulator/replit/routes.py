"""The simulated Replit Enterprise Admin API (beta) (``/replit`` prefix), shaped as
``vendor-apis.md`` §6 describes it: ``GET /v1/usage`` and ``GET /v1/members`` behind
``Authorization: Bearer rpl_…``.

Reproduced on purpose: ``groupBy`` ``member`` (groups by descending cost) or ``timeseries``
with ``granularity=day`` (ascending dates; ``granularity`` is refused with any other
grouping); ``startTime`` inclusive, ``endTime`` exclusive (RFC 3339 UTC midnights), at most
366 days, omitted for the current billing period (the calendar month of the simulator's
today) or ``billingPeriod=previous``; ``limit`` 50 by default, at most 100, paged with
``cursor`` = ``data.pagination.nextCursor`` until it is null; rate-limit headers and
``X-Request-Id`` on every answer. Days without usage are absent from the timeseries.

The parts the doc leaves open are knobs (``envelope``, ``member_key``): the groups sit under
``data`` (default) or at the top level (``envelope="bare"``), and a member group's ``key`` is
an object ``{"userId", "username"}`` (default) or the bare id (``member_key="scalar"``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.simulator.replit.data import Group, Metric, ReplitData, username
from connectors.simulator.team import SimMember
from connectors.simulator.vendor import SimRequest, SimResponse, SimulatedVendor, register_vendor
from connectors.simulator.wire import BadRequest, decode_token, encode_token, int_arg

PATH_USAGE = "/v1/usage"
PATH_MEMBERS = "/v1/members"
LIST_LIMIT = (50, 100)
MAX_RANGE_DAYS = 366
GROUPINGS = ("member", "project", "workspace", "conversations", "timeseries")
ONE_DAY = dt.timedelta(days=1)


def replit_error(status: int, code: str, message: str) -> SimResponse:
    return SimResponse(status, {"error": {"code": code, "message": message}})


def _usd(value: Decimal) -> float:
    """USD as the JSON number Replit sends (four places survive the float exactly)."""
    return float(value)


def _metric_json(m: Metric) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "category": m.category,
        "usage": float(m.usage) if m.usage is not None else None,
        "usageUnit": m.unit,
        "costUsd": _usd(m.cost),
    }


def _merge(groups: list[Group]) -> tuple[list[Metric], Decimal]:
    """Metrics summed by id over several groups (a member over several days)."""
    by_id: dict[str, Metric] = {}
    for g in groups:
        for m in g.metrics:
            known = by_id.get(m.id)
            if known is None:
                by_id[m.id] = m
                continue
            usage = None if known.usage is None else known.usage + (m.usage or 0)
            by_id[m.id] = Metric(m.id, m.name, m.category, usage, m.unit, known.cost + m.cost)
    return list(by_id.values()), sum((g.total for g in groups), Decimal(0))


def _parse_time(req: SimRequest, name: str) -> dt.date | None:
    raw = req.arg(name)
    if raw is None:
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 timestamp, got {raw!r}") from None
    if stamp.tzinfo is None or stamp.utcoffset() != dt.timedelta(0):
        raise BadRequest(f"{name} must be in UTC")
    if stamp.time() != dt.time(0):
        raise BadRequest(f"{name}: the simulator supports UTC midnights only")
    return stamp.date()


@register_vendor
class ReplitVendor(ReplitData, SimulatedVendor):
    """Replit's Enterprise Admin API for a generated organisation, generated per day on demand."""

    name = "replit"
    envelope = "data"  # or "bare": groups/members at the top level
    member_key = "object"  # or "scalar": a member group's key is the bare user id

    def __init__(self, team: list[SimMember], start: dt.date, days: int, seed: int, **kw: Any):
        super().__init__(team, start, days, seed, **kw)
        self._init_data()
        self._request_no = 0

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"api_key": self.api_key}

    def bad_config(self) -> dict[str, Any]:
        return {"api_key": "rpl_simrevoked00000000000000000000"}

    # -- routes ------------------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        path = req.path.rstrip("/")
        routes = {PATH_USAGE: self._usage, PATH_MEMBERS: self._members}
        route = routes.get(path)
        if route is None:
            return replit_error(404, "not_found", f"no route {req.method} {req.path}")
        if req.method not in ("GET", "HEAD"):
            return replit_error(405, "method_not_allowed", f"{req.method} not allowed")
        try:
            response = route(req)
        except BadRequest as exc:
            response = replit_error(400, "invalid_request", str(exc))
        self._request_no += 1
        response.headers.update(
            {
                "x-ratelimit-limit": "600",
                "x-ratelimit-remaining": str(max(0, 600 - self._request_no % 600)),
                "x-ratelimit-reset": "1893456000",
                "x-request-id": hashlib.sha256(f"{self._request_no}".encode()).hexdigest()[:16],
            }
        )
        return response

    def _wrap(self, key: str, items: list[dict[str, Any]], next_cursor: str | None) -> SimResponse:
        content = {key: items, "pagination": {"nextCursor": next_cursor}}
        return SimResponse(body={"data": content} if self.envelope == "data" else content)

    def _page(
        self, req: SimRequest, kind: str, scope: str, items: list[Any]
    ) -> tuple[list, str | None]:
        """One page of ``items`` from the request's cursor; ``scope`` ties a cursor to its query."""
        limit = int_arg(req, "limit", LIST_LIMIT[0], 1, LIST_LIMIT[1])
        limit = self.page_size(limit, default=LIST_LIMIT[0], maximum=LIST_LIMIT[1])
        offset = 0
        cursor = req.arg("cursor")
        if cursor:
            token_scope, offset_text = decode_token(cursor, kind, 2)
            if token_scope != scope:
                raise BadRequest("cursor belongs to another query")
            self.take_page(cursor)
            offset = int(offset_text)
        page = items[offset : offset + limit]
        next_cursor = None
        if offset + limit < len(items):
            next_cursor = encode_token(kind, scope, offset + limit)
            self.offer_page(next_cursor)
        return page, next_cursor

    # usage ----------------------------------------------------------------------------------
    def _range(self, req: SimRequest) -> tuple[dt.date, dt.date]:
        """The request's days (first, last inclusive)."""
        start, end = _parse_time(req, "startTime"), _parse_time(req, "endTime")
        period = req.arg("billingPeriod")
        if start is None and end is None:
            first = self.end.replace(day=1)  # the simulator's today is its last day
            if period == "previous":
                last = first - ONE_DAY
                return last.replace(day=1), last
            if period not in (None, "current"):
                raise BadRequest("billingPeriod must be current or previous")
            return first, self.end
        if start is None or end is None:
            raise BadRequest("startTime and endTime go together")
        if period is not None:
            raise BadRequest("billingPeriod cannot be combined with startTime/endTime")
        if end <= start:
            raise BadRequest("endTime must be after startTime")
        if (end - start).days > MAX_RANGE_DAYS:
            raise BadRequest(f"the range can be at most {MAX_RANGE_DAYS} days")
        return start, end - ONE_DAY

    def _usage(self, req: SimRequest) -> SimResponse:
        group_by = req.arg("groupBy", "member")
        if group_by not in GROUPINGS:
            raise BadRequest(f"groupBy must be one of {', '.join(GROUPINGS)}")
        granularity = req.arg("granularity")
        if granularity is not None and (group_by != "timeseries" or granularity != "day"):
            raise BadRequest("granularity=day is only allowed with groupBy=timeseries")
        if group_by not in ("member", "timeseries"):
            raise BadRequest(f"groupBy={group_by} is not simulated")
        first, last = self._range(req)
        user_filter = req.arg("userId")
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        scope = f"{group_by}:{first}:{last}:{user_filter or ''}"
        if group_by == "timeseries":
            items = [self._timeseries_group(day, user_filter) for day in days]
            items = [g for g in items if g is not None]  # days without usage are absent
        else:
            items = self._member_groups(days, user_filter)
        page, next_cursor = self._page(req, "usage", scope, items)
        return self._wrap("groups", page, next_cursor)

    def _day_groups(self, day: dt.date, user_filter: str | None) -> list[Group]:
        groups = list(self.day_groups(day))
        if user_filter is not None:
            groups = [
                g for g in groups
                if g.member is not None and str(self.user_ids[g.member.index]) == user_filter
            ]  # fmt: skip
        return groups

    def _timeseries_group(self, day: dt.date, user_filter: str | None) -> dict[str, Any] | None:
        groups = self._day_groups(day, user_filter)
        if not groups:
            return None
        metrics, total = _merge(groups)
        return {
            "key": day.isoformat(),
            "totalCostUsd": _usd(total),
            "metrics": [_metric_json(m) for m in metrics],
        }

    def _member_groups(self, days: list[dt.date], user_filter: str | None) -> list[dict[str, Any]]:
        by_member: dict[int | None, list[Group]] = defaultdict(list)
        for day in days:
            for g in self._day_groups(day, user_filter):
                by_member[g.member.index if g.member is not None else None].append(g)
        out = []
        for index, groups in by_member.items():
            metrics, total = _merge(groups)
            member = groups[0].member
            out.append((total, index, self._member_key(member), metrics))
        out.sort(key=lambda t: (-t[0], -1 if t[1] is None else t[1]))  # descending cost
        return [
            {"key": key, "totalCostUsd": _usd(total), "metrics": [_metric_json(m) for m in ms]}
            for total, _, key, ms in out
        ]

    def _member_key(self, member: SimMember | None) -> Any:
        if member is None:
            return None
        user_id = self.user_ids[member.index]
        if self.member_key == "scalar":
            return user_id
        return {"userId": user_id, "username": username(member)}

    # members --------------------------------------------------------------------------------
    def _members(self, req: SimRequest) -> SimResponse:
        items = [
            {
                "id": self.user_ids[m.index],
                "username": username(m),
                "displayName": m.name,
                "email": None if m.index % 5 == 4 else m.email,
                "role": "admin" if m.index == 0 else "member",
            }
            for m in self.listed_members()
        ]
        page, next_cursor = self._page(req, "members", "all", items)
        return self._wrap("members", page, next_cursor)

"""The simulated OpenAI Administration API's routes (``/openai`` prefix), shaped as
``vendor-apis.md`` §4 says: ``GET /v1/organization/costs``, ``/usage/completions``, ``/users``
and ``/projects/{project_id}/api_keys``, behind ``Authorization: Bearer <admin key>``.

Reproduced on purpose: times are Unix seconds, ``start_time`` inclusive and ``end_time``
exclusive; ``limit`` counts one-day buckets (usage: default 7, at most 31; costs: default 7,
at most 180) and a larger one is refused with HTTP 400; the rest of a range is paged with
``has_more``/``next_page`` → ``page``; lists page with ``after=<last_id>``; dimensions are null
unless grouped by (``group_by`` repeated); ``quantity`` is set only when grouped by line item;
``amount.value`` is a float and ``currency`` lower-case. Every page honours ``page_cap``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from connectors.dates import DAY_SECONDS, day_of_epoch_seconds, day_start_seconds
from connectors.simulator.openai.data import CostLine, OpenAIData, SimKey, UsageRow
from connectors.simulator.team import SimMember
from connectors.simulator.vendor import SimRequest, SimResponse, SimulatedVendor, register_vendor
from connectors.simulator.wire import BadRequest, decode_token, encode_token, int_arg

PATH_COSTS = "/v1/organization/costs"
PATH_USAGE = "/v1/organization/usage/completions"
PATH_USERS = "/v1/organization/users"
PROJECT_KEYS = re.compile(r"^/v1/organization/projects/([^/]+)/api_keys$")
USAGE_BUCKETS = (7, 31)  # (default, maximum) one-day buckets per page
COST_BUCKETS = (7, 180)
LIST_LIMIT = (20, 100)
USAGE_GROUPS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
COST_GROUPS = ("project_id", "line_item", "api_key_id")
ONE_DAY = dt.timedelta(days=1)


def openai_error(status: int, message: str, code: str | None = None) -> SimResponse:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return SimResponse(status, {"error": error})


def _unix(day: dt.date) -> int:
    return day_start_seconds(day)


def _group_by(req: SimRequest, allowed: tuple[str, ...]) -> list[str]:
    group_by = req.args("group_by")
    unknown = [g for g in group_by if g not in allowed]
    if unknown:
        raise BadRequest(f"group_by {unknown[0]!r} is not one of {', '.join(allowed)}")
    return group_by


@register_vendor
class OpenAIVendor(OpenAIData, SimulatedVendor):
    """OpenAI's Administration API for a generated team, generated per day on demand."""

    name = "openai"

    def __init__(self, team: list[SimMember], start: dt.date, days: int, seed: int, **kw: Any):
        super().__init__(team, start, days, seed, **kw)
        self._init_data()

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"admin_api_key": self.admin_key}

    def bad_config(self) -> dict[str, Any]:
        return {"admin_api_key": "sk-admin-simrevoked000000000000000000000000"}

    def is_authorized(self, req: SimRequest) -> bool:
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and value.strip() == self.admin_key

    # -- routes ------------------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        path = req.path.rstrip("/")
        routes = {PATH_COSTS: self._costs, PATH_USAGE: self._usage, PATH_USERS: self._users}
        route = routes.get(path)
        project = PROJECT_KEYS.match(path)
        if route is None and project is None:
            return openai_error(404, f"no route {req.method} {req.path}", "not_found")
        if req.method not in ("GET", "HEAD"):
            return openai_error(405, f"{req.method} not allowed")
        try:
            return route(req) if route is not None else self._project_keys(req, project[1])
        except BadRequest as exc:
            return openai_error(400, str(exc))

    # bucketed reports -----------------------------------------------------------------------
    def _bucket_days(
        self, req: SimRequest, kind: str, limits: tuple[int, int]
    ) -> tuple[list[dt.date], str]:
        """The day buckets of this page and the next page token ("" when none)."""
        width = req.arg("bucket_width", "1d")
        if width != "1d":
            raise BadRequest(f"bucket_width {width!r} is not supported by the simulator (1d only)")
        default, maximum = limits
        limit = int_arg(req, "limit", default, 1, maximum)
        first = day_of_epoch_seconds(self._seconds(req, "start_time", required=True))
        end = self._seconds(req, "end_time", required=False)
        stop = first + dt.timedelta(days=limit) if end is None else day_of_epoch_seconds(end - 1)
        if end is not None:
            stop += ONE_DAY  # end_time is exclusive: the bucket holding end_time - 1 is the last
        if stop <= first:
            raise BadRequest("end_time must be after start_time")
        begin = first
        token = req.arg("page")
        if token:
            (day_text,) = decode_token(token, kind, 1)
            self.take_page(token)
            begin = dt.date.fromisoformat(day_text)
            if not first <= begin < stop:
                raise BadRequest("page token does not belong to this range")
        per_page = self.page_size(limit, default=default, maximum=maximum)
        days = []
        day = begin
        while day < stop and len(days) < per_page:
            days.append(day)
            day += ONE_DAY
        next_token = ""
        if day < stop:
            next_token = encode_token(kind, day.isoformat())
            self.offer_page(next_token)
        return days, next_token

    @staticmethod
    def _seconds(req: SimRequest, name: str, *, required: bool) -> int | None:
        raw = req.arg(name)
        if raw is None:
            if required:
                raise BadRequest(f"{name} is required")
            return None
        if not raw.isdigit():
            raise BadRequest(f"{name} must be a Unix timestamp in seconds, got {raw!r}")
        return int(raw)

    @staticmethod
    def _page(days: list[dt.date], results: list[list[dict]], next_token: str) -> SimResponse:
        data = [
            {
                "object": "bucket",
                "start_time": _unix(day),
                "end_time": _unix(day) + DAY_SECONDS,
                "results": day_results,
            }  # fmt: skip
            for day, day_results in zip(days, results, strict=True)
        ]
        page = {"object": "page", "data": data, "has_more": bool(next_token)}
        return SimResponse(body={**page, "next_page": next_token or None})

    def _usage(self, req: SimRequest) -> SimResponse:
        group_by = _group_by(req, USAGE_GROUPS)
        filters = {
            "project_id": set(req.args("project_ids")),
            "user_id": set(req.args("user_ids")),
            "api_key_id": set(req.args("api_key_ids")),
            "model": set(req.args("models")),
        }
        days, next_token = self._bucket_days(req, "usage", USAGE_BUCKETS)
        results = []
        for day in days:
            groups: dict[tuple, list[UsageRow]] = {}
            for row in self.day_rows(day):
                dims = _usage_dims(row)
                if any(values and dims[name] not in values for name, values in filters.items()):
                    continue
                key = tuple(dims[g] if g in group_by else None for g in USAGE_GROUPS)
                groups.setdefault(key, []).append(row)
            results.append([_usage_result(key, rows) for key, rows in groups.items()])
        return self._page(days, results, next_token)

    def _costs(self, req: SimRequest) -> SimResponse:
        group_by = _group_by(req, COST_GROUPS)
        projects, keys = set(req.args("project_ids")), set(req.args("api_key_ids"))
        days, next_token = self._bucket_days(req, "costs", COST_BUCKETS)
        results = []
        for day in days:
            groups: dict[tuple, list[CostLine]] = {}
            for line in self.day_costs(day):
                if (projects and line.project_id not in projects) or (
                    keys and line.api_key_id not in keys
                ):
                    continue
                dims = (line.project_id, line.line_item, line.api_key_id)
                pairs = zip(COST_GROUPS, dims, strict=True)
                key = tuple(v if g in group_by else None for g, v in pairs)
                groups.setdefault(key, []).append(line)
            results.append([_cost_result(key, lines) for key, lines in groups.items()])
        return self._page(days, results, next_token)

    # lists ----------------------------------------------------------------------------------
    def _list_page(self, req: SimRequest, path: str, items: list[dict[str, Any]]) -> SimResponse:
        limit = int_arg(req, "limit", LIST_LIMIT[0], 1, LIST_LIMIT[1])
        limit = self.page_size(limit, default=LIST_LIMIT[0], maximum=LIST_LIMIT[1])
        after = req.arg("after")
        ids = [item["id"] for item in items]
        if after:
            if after not in ids:
                raise BadRequest(f"after {after!r} is unknown")
            self.take_page(f"{path}?after={after}")
            items = items[ids.index(after) + 1 :]
        page = items[:limit]
        has_more = len(items) > len(page)
        if has_more:
            self.offer_page(f"{path}?after={page[-1]['id']}")
        return SimResponse(
            body={
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": has_more,
            }
        )

    def _users(self, req: SimRequest) -> SimResponse:
        emails = set(req.args("emails"))
        users = [
            {
                "object": "organization.user",
                "id": self.user_id(m),
                "name": m.name,
                "email": m.email,
                "role": "owner" if m.index == 0 else "reader",
                "added_at": _unix(self.start) - DAY_SECONDS * (30 + m.index % 200),
            }
            for m in self.team
            if not emails or m.email in emails
        ]
        return self._list_page(req, PATH_USERS, users)

    def _project_keys(self, req: SimRequest, project_id: str) -> SimResponse:
        if project_id not in {p.id for p in self.projects}:
            return openai_error(404, f"No such project: {project_id}", "not_found")
        created = _unix(self.start) - 20 * DAY_SECONDS
        keys = [
            {
                "object": "organization.project.api_key",
                "id": key.id,
                "name": key.name,
                "redacted_value": f"sk-proj-****{key.id[-4:]}",
                "created_at": created,
                "last_used_at": _unix(self.end),
                "owner": self._owner(key, created),
            }
            for key in self.keys
            if key.listed and key.project_id == project_id
        ]
        return self._list_page(req, req.path.rstrip("/"), keys)

    def _owner(self, key: SimKey, created: int) -> dict[str, Any]:
        if key.owner_user is not None:
            m = key.owner_user
            user = {"object": "organization.project.user", "id": self.user_id(m), "name": m.name,
                    "email": m.email, "role": "member", "added_at": created}  # fmt: skip
            return {"type": "user", "user": user}
        assert key.service_account is not None  # a key has a user or a service account
        service_id, name = key.service_account
        service = {"object": "organization.project.service_account", "id": service_id,
                   "name": name, "role": "member", "created_at": created}  # fmt: skip
        return {"type": "service_account", "service_account": service}


def _usage_dims(row: UsageRow) -> dict[str, Any]:
    return {
        "project_id": row.project_id,
        "user_id": row.user_id,
        "api_key_id": row.api_key_id,
        "model": row.model,
        "batch": False,
        "service_tier": "default",
    }


def _usage_result(key: tuple, rows: list[UsageRow]) -> dict[str, Any]:
    inclusive = sum(r.input_tokens for r in rows)
    cached = sum(r.cached for r in rows)
    output = sum(r.output for r in rows)
    result: dict[str, Any] = {
        "object": "organization.usage.completions.result",
        "input_tokens": inclusive,
        "output_tokens": output,
        "num_model_requests": sum(r.requests for r in rows),
        "input_cached_tokens": cached,
        # breakdowns of the same tokens, never to be added on top
        "input_text_tokens": inclusive,
        "output_text_tokens": output,
        "input_cached_text_tokens": cached,
        "input_audio_tokens": 0,
        "output_audio_tokens": 0,
    }
    if any(r.cache_write for r in rows):  # an optional field: absent when there are none
        result["input_cache_write_tokens"] = sum(r.cache_write for r in rows)
    return {**result, **dict(zip(USAGE_GROUPS, key, strict=True))}


def _cost_result(key: tuple, lines: list[CostLine]) -> dict[str, Any]:
    project_id, line_item, api_key_id = key
    amount = 0.0
    for line in lines:
        amount += line.amount  # the vendor sums floats
    by_item = line_item is not None
    quantities = [line.quantity for line in lines]
    return {
        "object": "organization.costs.result",
        "amount": {"value": amount, "currency": "usd"},
        "line_item": line_item,
        "project_id": project_id,
        "api_key_id": api_key_id,
        "quantity": sum(q for q in quantities if q is not None) if by_item else None,
        "quantity_unit": lines[0].unit if by_item else None,
    }

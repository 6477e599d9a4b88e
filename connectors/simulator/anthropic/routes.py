"""The simulated Anthropic Admin API's routes (``/anthropic`` prefix), shaped as
``vendor-apis.md`` §1 says: ``GET /v1/organizations/usage_report/messages``, ``/cost_report``,
``/usage_report/claude_code``, ``/users`` and ``/api_keys``, behind ``x-api-key`` (or
``Authorization: Bearer``) plus a required ``anthropic-version`` header.

Quirks reproduced on purpose: cost ``amount`` is a decimal *string of cents*; Workbench usage
has ``api_key_id: null``; dimensions are null unless grouped by; limits count *buckets* (max 31
for ``1d``); Claude Code ``date`` is an RFC 3339 timestamp on even ordinal days and
``YYYY-MM-DD`` on odd ones; ``estimated_cost.amount`` is a JSON number of cents;
``tool_actions`` keys may be absent; actors mix ``user_actor`` and ``api_actor``. Every page
honours the simulator's ``page_cap``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.simulator.anthropic.data import AnthropicData, rfc3339
from connectors.simulator.anthropic.wire import (
    BadRequest,
    anthropic_error,
    cents_string,
    decode_token,
    encode_token,
    int_arg,
    parse_rfc3339,
)
from connectors.simulator.team import SimMember, rng_for
from connectors.simulator.vendor import SimRequest, SimResponse, SimulatedVendor, register_vendor

ONE_DAY = dt.timedelta(days=1)
MAX_DAY_BUCKETS = 31
DEFAULT_DAY_BUCKETS = 7
CC_DEFAULT_LIMIT = 20
CC_MAX_LIMIT = 1000
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 1000

USAGE_DIMENSIONS = (
    "api_key_id",
    "workspace_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "account_id",
    "service_account_id",
    "speed",
)
COST_GROUPS = ("workspace_id", "description")

PATH_USAGE = "/v1/organizations/usage_report/messages"
PATH_COST = "/v1/organizations/cost_report"
PATH_CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
PATH_USERS = "/v1/organizations/users"
PATH_API_KEYS = "/v1/organizations/api_keys"


def _bucket(day: dt.date, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One day bucket of a usage or cost report."""
    return {"starting_at": rfc3339(day), "ending_at": rfc3339(day + ONE_DAY), "results": results}


def _report_page(data: list[dict[str, Any]], next_token: str) -> SimResponse:
    body = {"data": data, "has_more": bool(next_token), "next_page": next_token or None}
    return SimResponse(body=body)


@register_vendor
class AnthropicVendor(AnthropicData, SimulatedVendor):
    """Anthropic's Admin API for a generated team, generated per (member, day) on demand."""

    name = "anthropic"

    def __init__(self, team: list[SimMember], start: dt.date, days: int, seed: int, **kw: Any):
        super().__init__(team, start, days, seed, **kw)
        self._init_data()

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"admin_api_key": self.admin_key}

    def bad_config(self) -> dict[str, Any]:
        return {"admin_api_key": "sk-ant-admin01-simrevoked0000000000000000"}

    def is_authorized(self, req: SimRequest) -> bool:
        if not req.headers.get("anthropic-version"):
            return False
        if req.headers.get("x-api-key"):
            return req.headers["x-api-key"] == self.admin_key
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and value.strip() == self.admin_key

    # -- routes ------------------------------------------------------------------------------
    def handle(self, req: SimRequest) -> SimResponse:
        routes = {
            PATH_USAGE: self._usage_report,
            PATH_COST: self._cost_report,
            PATH_CLAUDE_CODE: self._claude_code,
            PATH_USERS: self._users,
            PATH_API_KEYS: self._api_keys,
        }
        route = routes.get(req.path.rstrip("/"))
        if route is None:
            return anthropic_error(404, "not_found_error", f"no route {req.method} {req.path}")
        if req.method not in ("GET", "HEAD"):
            return anthropic_error(405, "invalid_request_error", f"{req.method} not allowed")
        try:
            return route(req)
        except BadRequest as exc:
            return anthropic_error(400, "invalid_request_error", str(exc))

    # usage and cost reports -----------------------------------------------------------------
    def _bucket_days(self, req: SimRequest, kind: str) -> tuple[list[dt.date], int, str]:
        """The day buckets of this page, the limit, and the (endpoint-specific) page kind."""
        width = req.arg("bucket_width", "1d")
        if width != "1d":
            raise BadRequest(f"bucket_width {width!r} is not supported by the simulator (1d only)")
        limit = int_arg(req, "limit", DEFAULT_DAY_BUCKETS, 1, MAX_DAY_BUCKETS)
        first = parse_rfc3339(req.arg("starting_at"), "starting_at").date()  # snap to the day
        if req.arg("ending_at"):
            ending = parse_rfc3339(req.arg("ending_at"), "ending_at")
            stop = ending.date() + (ONE_DAY if ending.time() != dt.time(0) else dt.timedelta(0))
        else:
            stop = first + dt.timedelta(days=limit)
        per_page = self.page_size(limit, default=DEFAULT_DAY_BUCKETS, maximum=MAX_DAY_BUCKETS)
        if stop <= first:
            raise BadRequest("ending_at must be after starting_at")
        begin = first
        token = req.arg("page")
        if token:
            (day_text,) = decode_token(token, kind, 1)
            self.take_page(token)
            try:
                begin = dt.date.fromisoformat(day_text)
            except ValueError:
                raise BadRequest("page is not a valid page token") from None
            if not first <= begin < stop:
                raise BadRequest("page token does not belong to this range")
        days = []
        day = begin
        while day < stop and len(days) < per_page:
            days.append(day)
            day += ONE_DAY
        next_token = None
        if day < stop:
            next_token = encode_token(kind, day.isoformat())
            self.offer_page(next_token)
        return days, limit, next_token or ""

    def _usage_report(self, req: SimRequest) -> SimResponse:
        group_by = req.args("group_by")
        unknown = [g for g in group_by if g not in USAGE_DIMENSIONS]
        if unknown:
            raise BadRequest(f"group_by {unknown[0]!r} is not one of {', '.join(USAGE_DIMENSIONS)}")
        filters = {
            "api_key_id": set(req.args("api_key_ids")),
            "workspace_id": set(req.args("workspace_ids")),
            "model": set(req.args("models")),
            "account_id": set(req.args("account_ids")),
        }
        days, _, next_token = self._bucket_days(req, "usage")
        data = []
        for day in days:
            groups: dict[tuple, list[int]] = {}
            for row in self.day_rows(day):
                dims = row.dims()
                if any(values and dims[name] not in values for name, values in filters.items()):
                    continue
                key = tuple(dims[g] if g in group_by else None for g in USAGE_DIMENSIONS)
                slot = groups.setdefault(key, [0] * 6)
                for i, n in enumerate((*row.tokens, row.web_search_requests)):
                    slot[i] += n
            results = []
            for key, n in groups.items():
                results.append(
                    {
                        "uncached_input_tokens": n[0],
                        "cache_creation": {
                            "ephemeral_5m_input_tokens": n[3],
                            "ephemeral_1h_input_tokens": n[4],
                        },
                        "cache_read_input_tokens": n[2],
                        "output_tokens": n[1],
                        "server_tool_use": {"web_search_requests": n[5]},
                        **dict(zip(USAGE_DIMENSIONS, key, strict=True)),
                    }
                )
            data.append(_bucket(day, results))
        return _report_page(data, next_token)

    def _cost_report(self, req: SimRequest) -> SimResponse:
        group_by = req.args("group_by")
        unknown = [g for g in group_by if g not in COST_GROUPS]
        if unknown:
            raise BadRequest(f"group_by {unknown[0]!r} is not one of {', '.join(COST_GROUPS)}")
        workspaces = set(req.args("workspace_ids"))
        by_description = "description" in group_by
        by_workspace = "workspace_id" in group_by
        days, _, next_token = self._bucket_days(req, "cost")
        data = []
        for day in days:
            groups: dict[tuple, int] = {}
            for line in self.day_costs(day):
                if workspaces and line.workspace_id not in workspaces:
                    continue
                key = (
                    line.workspace_id if by_workspace else None,
                    line.cost_type,
                    line.description if by_description else None,
                    line.model if by_description else None,
                    line.token_type if by_description else None,
                )
                groups[key] = groups.get(key, 0) + line.micros
            results = [
                {
                    "currency": "USD",
                    "amount": cents_string(micros),
                    "workspace_id": ws,
                    "description": description,
                    "cost_type": cost_type,
                    "context_window": "0-200k" if by_description and model else None,
                    "model": model,
                    "service_tier": "standard" if by_description and model else None,
                    "token_type": token_type,
                    "inference_geo": "global" if by_description and model else None,
                }
                for (ws, cost_type, description, model, token_type), micros in groups.items()
            ]
            data.append(_bucket(day, results))
        return _report_page(data, next_token)

    # claude code ----------------------------------------------------------------------------
    def _claude_code(self, req: SimRequest) -> SimResponse:
        text = req.arg("starting_at")
        if not text:
            raise BadRequest("starting_at is required")
        try:
            if len(text) != 10:
                raise ValueError
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise BadRequest(f"starting_at must be a UTC date YYYY-MM-DD, got {text!r}") from None
        limit = int_arg(req, "limit", CC_DEFAULT_LIMIT, 1, CC_MAX_LIMIT)
        limit = self.page_size(limit, default=CC_DEFAULT_LIMIT, maximum=CC_MAX_LIMIT)
        offset = 0
        token = req.arg("page")
        if token:
            token_day, token_offset = decode_token(token, "claude_code", 2)
            if token_day != day.isoformat():
                raise BadRequest("page token belongs to another day")
            self.take_page(token)
            if not token_offset.isdigit():
                raise BadRequest("page is not a valid page token")
            offset = int(token_offset)
        records = self.claude_code_day(day).records
        page = [dict(r) for r in records[offset : offset + limit]]
        next_token = None
        if offset + limit < len(records):
            next_token = encode_token("claude_code", day.isoformat(), offset + limit)
            self.offer_page(next_token)
        return SimResponse(
            body={"data": page, "has_more": next_token is not None, "next_page": next_token}
        )

    # directory ------------------------------------------------------------------------------
    def _list_page(self, req: SimRequest, items: list[dict[str, Any]]) -> SimResponse:
        limit = int_arg(req, "limit", LIST_DEFAULT_LIMIT, 1, LIST_MAX_LIMIT)
        limit = self.page_size(limit, default=LIST_DEFAULT_LIMIT, maximum=LIST_MAX_LIMIT)
        after, before = req.arg("after_id"), req.arg("before_id")
        ids = [item["id"] for item in items]
        if after:
            if after not in ids:
                raise BadRequest(f"after_id {after!r} is unknown")
            self.take_page(f"after:{after}")
            items = items[ids.index(after) + 1 :]
            page = items[:limit]
        elif before:
            if before not in ids:
                raise BadRequest(f"before_id {before!r} is unknown")
            items = items[: ids.index(before)]
            page = items[-limit:]
        else:
            page = items[:limit]
        has_more = len(items) > len(page)
        if has_more and not before:
            self.offer_page(f"after:{page[-1]['id']}")
        return SimResponse(
            body={
                "data": page,
                "has_more": has_more,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
            }
        )

    def _users(self, req: SimRequest) -> SimResponse:
        email = req.arg("email")
        users = [
            {
                "id": m.anthropic_user_id,
                "type": "user",
                "email": m.email,
                "name": m.name,
                "role": "admin"
                if m.index == 0
                else ("claude_code_user" if m.index % 5 == 4 else "developer"),
                "added_at": rfc3339(self.start - dt.timedelta(days=30 + m.index % 200)),
            }
            for m in self.team
            if email is None or m.email == email
        ]
        return self._list_page(req, users)

    def _api_keys(self, req: SimRequest) -> SimResponse:
        status = req.arg("status")
        workspace = req.arg("workspace_id")
        creator = req.arg("created_by_user_id")
        keys = []
        for m in self.team:
            rng = rng_for(self.seed, "anthropic", "api-key", m.index)
            key = {
                "id": m.api_key_id,
                "type": "api_key",
                "name": m.api_key_name,
                "created_at": rfc3339(self.start - dt.timedelta(days=20 + m.index % 100)),
                "created_by": {"id": m.anthropic_user_id, "type": "user"},
                "expires_at": None,
                "partial_key_hint": f"sk-ant-api03-...{rng.getrandbits(16):04x}",
                "status": "active",
                "workspace_id": self.workspace_of(m),
            }
            if status and key["status"] != status:
                continue
            if workspace and key["workspace_id"] != workspace:
                continue
            if creator and m.anthropic_user_id != creator:
                continue
            keys.append(key)
        return self._list_page(req, keys)

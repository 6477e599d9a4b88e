"""The simulated Anthropic Admin API (``/anthropic`` prefix), shaped as ``vendor-apis.md`` §1 says.

Serves ``GET /v1/organizations/usage_report/messages``, ``/cost_report``,
``/usage_report/claude_code``, ``/users`` and ``/api_keys`` for a generated team, behind
``x-api-key`` (or ``Authorization: Bearer``) plus a required ``anthropic-version`` header.

Nothing is stored: each (member, UTC day) is generated on demand from
``rng_for(seed, "anthropic", ..., member, day)``; a bounded cache keeps recently asked days so a
usage request and the matching cost request do not generate the same day twice.

The cost report is consistent with the usage report: every usage row is priced per token
type with ``SIM_PRICES`` (rounded to whole micro-dollars, so every ``amount`` has at most 4
decimal places of cents), and each day adds costs no API key carries (web search, code
execution). ``expected_billed_micros(day)`` is the sum of that day's cost lines.

Quirks reproduced on purpose: cost ``amount`` is a decimal *string of cents*; Workbench usage
has ``api_key_id: null``; dimensions are null unless grouped by; limits count *buckets*
(max 31 for ``1d``); Claude Code ``date`` is an RFC 3339 timestamp on even ordinal days and
``YYYY-MM-DD`` on odd ones; ``estimated_cost.amount`` is a JSON number of cents;
``tool_actions`` keys may be absent; actors mix ``user_actor`` and ``api_actor``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from connectors.simulator.server import SimRequest, SimResponse, SimulatedVendor, register_vendor
from connectors.simulator.team import SimMember, rng_for

ONE_DAY = dt.timedelta(days=1)
MAX_DAY_BUCKETS = 31
DEFAULT_DAY_BUCKETS = 7
CC_DEFAULT_LIMIT = 20
CC_MAX_LIMIT = 1000
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 1000
WEB_SEARCH_MICROS = 10_000  # $10 per 1,000 searches
CODE_EXECUTION_MICROS_PER_HOUR = 50_000  # $0.05 per container hour

#: token type → (usage field path, cost description suffix)
TOKEN_TYPES: dict[str, str] = {
    "uncached_input_tokens": "Input Tokens",
    "output_tokens": "Output Tokens",
    "cache_read_input_tokens": "Cache Read Input Tokens",
    "cache_creation.ephemeral_5m_input_tokens": "Cache Write (5m) Input Tokens",
    "cache_creation.ephemeral_1h_input_tokens": "Cache Write (1h) Input Tokens",
}

#: USD per million tokens, in TOKEN_TYPES order. tokens × price is exactly micro-dollars.
SIM_PRICES: dict[str, tuple[Decimal, ...]] = {
    "claude-sonnet-4-5-20250929": tuple(map(Decimal, ("3", "15", "0.30", "3.75", "6"))),
    "claude-opus-4-1-20250805": tuple(map(Decimal, ("15", "75", "1.50", "18.75", "30"))),
    "claude-haiku-4-5-20251001": tuple(map(Decimal, ("1", "5", "0.10", "1.25", "2"))),
}
MODEL_NAMES = {
    "claude-sonnet-4-5-20250929": "Claude Sonnet 4.5",
    "claude-opus-4-1-20250805": "Claude Opus 4.1",
    "claude-haiku-4-5-20251001": "Claude Haiku 4.5",
}
MODELS = tuple(SIM_PRICES)
MODEL_WEIGHTS = (6, 1, 3)
TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
TERMINALS = ("vscode", "iTerm.app", "tmux", "ghostty", "cursor")

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
DESCRIPTION_DIMENSIONS = ("model", "service_tier", "context_window", "inference_geo", "token_type")

PATH_USAGE = "/v1/organizations/usage_report/messages"
PATH_COST = "/v1/organizations/cost_report"
PATH_CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
PATH_USERS = "/v1/organizations/users"
PATH_API_KEYS = "/v1/organizations/api_keys"


def to_micros_exact(tokens: int, price_per_mtok: Decimal) -> int:
    """tokens × (USD per million tokens) in whole micro-dollars (half-even)."""
    return int((tokens * price_per_mtok).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def cents_string(micros: int) -> str:
    """Micro-dollars as Anthropic's cost ``amount``: a decimal string of cents ("123.45")."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), 10_000)
    digits = f"{frac:04d}".rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{digits}"


def rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def claude_code_date_is_timestamp(day: dt.date) -> bool:
    """The quirk: the ``date`` of Claude Code records is RFC 3339 on even ordinal days."""
    return day.toordinal() % 2 == 0


class BadRequest(Exception):
    pass


def anthropic_error(status: int, kind: str, message: str) -> SimResponse:
    return SimResponse(status, {"type": "error", "error": {"type": kind, "message": message}})


@dataclass(frozen=True)
class UsageRow:
    """One generated usage row: its dimensions and token counts (TOKEN_TYPES order)."""

    api_key_id: str | None
    workspace_id: str | None
    model: str
    account_id: str | None
    tokens: tuple[int, int, int, int, int]
    web_search_requests: int

    def dims(self) -> dict[str, str | None]:
        return {
            "api_key_id": self.api_key_id,
            "workspace_id": self.workspace_id,
            "model": self.model,
            "service_tier": "standard",
            "context_window": "0-200k",
            "inference_geo": "global",
            "account_id": self.account_id,
            "service_account_id": None,
            "speed": "standard",
        }

    def costs_micros(self) -> list[int]:
        return [
            to_micros_exact(n, p) for n, p in zip(self.tokens, SIM_PRICES[self.model], strict=True)
        ]


@dataclass(frozen=True)
class CostLine:
    workspace_id: str | None
    cost_type: str
    description: str
    model: str | None
    token_type: str | None
    micros: int


def _parse_rfc3339(value: str | None, name: str) -> dt.datetime:
    if not value:
        raise BadRequest(f"{name} is required")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an RFC 3339 timestamp, got {value!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


def _int_arg(req: SimRequest, name: str, default: int, low: int, high: int) -> int:
    raw = req.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


def _encode_token(*parts: object) -> str:
    raw = "|".join(str(p) for p in parts).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, kind: str, arity: int) -> list[str]:
    if not token.startswith("page_"):
        raise BadRequest("page is not a valid page token")
    body = token[5:]
    try:
        parts = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("page is not a valid page token") from None
    if not parts or parts[0] != kind or len(parts) != arity + 1:
        raise BadRequest("page token belongs to another endpoint")
    return parts[1:]


@register_vendor
class AnthropicVendor(SimulatedVendor):
    """Anthropic's Admin API for a generated team, generated per (member, day) on demand."""

    name = "anthropic"

    def __init__(self, team: list[SimMember], start: dt.date, days: int, seed: int) -> None:
        super().__init__(team, start, days, seed)
        rng = rng_for(seed, "anthropic", "admin-key")
        self._key = "sk-ant-admin01-sim" + rng.getrandbits(160).to_bytes(20, "big").hex()
        self._org = "%08x-%04x-4%03x-8%03x-%012x" % (  # noqa: UP031 - a UUID layout
            rng.getrandbits(32),
            rng.getrandbits(16),
            rng.getrandbits(12),
            rng.getrandbits(12),
            rng.getrandbits(48),
        )
        self._workspaces = (None, "wrkspc_01SIMPLATFORM", "wrkspc_01SIMRESEARCH")
        self.day_rows = lru_cache(maxsize=64)(self._compute_day_rows)
        self.day_costs = lru_cache(maxsize=64)(self._compute_day_costs)
        self.claude_code_day = lru_cache(maxsize=16)(self._compute_claude_code_day)

    # -- configuration and auth --------------------------------------------------------------
    def good_config(self) -> dict[str, Any]:
        return {"admin_api_key": self._key}

    def bad_config(self) -> dict[str, Any]:
        return {"admin_api_key": "sk-ant-admin01-simrevoked0000000000000000"}

    def is_authorized(self, req: SimRequest) -> bool:
        if not req.headers.get("anthropic-version"):
            return False
        if req.headers.get("x-api-key"):
            return req.headers["x-api-key"] == self._key
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and value.strip() == self._key

    # -- deterministic generation ------------------------------------------------------------
    def workspace_of(self, member: SimMember) -> str | None:
        return self._workspaces[member.index % len(self._workspaces)]

    def _compute_day_rows(self, day: dt.date) -> tuple[UsageRow, ...]:
        """Every usage row of one UTC day: per (member's API key, model), plus Workbench rows."""
        if not self.in_range(day):
            return ()
        rows: list[UsageRow] = []
        for member in self.team:
            rng = rng_for(self.seed, "anthropic", "usage", member.index, day.isoformat())
            workspace = self.workspace_of(member)
            if rng.random() < 0.75:
                models = set(rng.choices(MODELS, MODEL_WEIGHTS, k=rng.randint(1, 2)))
                for model in sorted(models):
                    tokens = (
                        rng.randint(2_000, 400_000),
                        rng.randint(500, 80_000),
                        rng.randint(0, 1_500_000),
                        rng.randint(0, 100_000),
                        rng.choice((0, 0, rng.randint(0, 50_000))),
                    )
                    rows.append(
                        UsageRow(
                            member.api_key_id,
                            workspace,
                            model,
                            None,
                            tokens,
                            rng.choice((0, 0, 0, 1, 3)),
                        )
                    )
            if rng.random() < 0.12:  # Console/Workbench: no API key, the logged-in account
                tokens = (rng.randint(100, 20_000), rng.randint(100, 8_000), 0, 0, 0)
                rows.append(UsageRow(None, None, MODELS[0], member.anthropic_user_id, tokens, 0))
        return tuple(rows)

    def _compute_day_costs(self, day: dt.date) -> tuple[CostLine, ...]:
        """The cost report lines of one day: priced usage plus web search and code execution."""
        rows = self.day_rows(day)
        if not rows:
            return ()
        sums: dict[tuple[str | None, str, str], int] = {}
        searches: dict[str | None, int] = {}
        for row in rows:
            for token_type, micros in zip(TOKEN_TYPES, row.costs_micros(), strict=True):
                key = (row.workspace_id, row.model, token_type)
                sums[key] = sums.get(key, 0) + micros
            searches[row.workspace_id] = searches.get(row.workspace_id, 0) + row.web_search_requests
        lines = [
            CostLine(
                ws,
                "tokens",
                f"{MODEL_NAMES[model]} Usage - {TOKEN_TYPES[token_type]}",
                model,
                token_type,
                micros,
            )
            for (ws, model, token_type), micros in sorted(sums.items(), key=lambda kv: str(kv[0]))
            if micros
        ]
        for ws, count in sorted(searches.items(), key=lambda kv: str(kv[0])):
            if count:
                lines.append(
                    CostLine(
                        ws, "web_search", "Web Search Usage", None, None, count * WEB_SEARCH_MICROS
                    )
                )
        rng = rng_for(self.seed, "anthropic", "code-execution", day.isoformat())
        hours_tenths = rng.randint(0, 10 * max(1, len(self.team) // 2))
        if hours_tenths:
            micros = hours_tenths * CODE_EXECUTION_MICROS_PER_HOUR // 10
            lines.append(
                CostLine(None, "code_execution", "Code Execution Usage", None, None, micros)
            )
        return tuple(lines)

    def expected_billed_micros(self, day: dt.date) -> int:
        """The day's cost report total (sum of every ``amount``), in micro-dollars."""
        return sum(line.micros for line in self.day_costs(day))

    def _compute_claude_code_day(self, day: dt.date) -> tuple[dict[str, Any], ...]:
        """Claude Code records of one day, one per active member, in team order."""
        if not self.in_range(day):
            return ()
        date_text = rfc3339(day) if claude_code_date_is_timestamp(day) else day.isoformat()
        records = []
        for member in self.team:
            rng = rng_for(self.seed, "anthropic", "claude_code", member.index, day.isoformat())
            if rng.random() >= 0.6:
                continue
            api_actor = member.index % 4 == 3
            actor = (
                {"type": "api_actor", "api_key_name": member.api_key_name}
                if api_actor
                else {"type": "user_actor", "email_address": member.email}
            )
            breakdown = []
            for model in sorted(set(rng.choices(MODELS, MODEL_WEIGHTS, k=rng.randint(1, 2)))):
                counts = (
                    rng.randint(1_000, 300_000),
                    rng.randint(500, 60_000),
                    rng.randint(0, 3_000_000),
                    rng.randint(0, 200_000),
                )
                prices = SIM_PRICES[model]
                micros = sum(
                    to_micros_exact(n, p)
                    for n, p in zip(
                        counts, (prices[0], prices[1], prices[2], prices[3]), strict=True
                    )
                )
                breakdown.append(
                    {
                        "model": model,
                        "tokens": dict(
                            zip(
                                ("input", "output", "cache_read", "cache_creation"),
                                counts,
                                strict=True,
                            )
                        ),
                        # a JSON *number* of cents (minor units); an estimate
                        "estimated_cost": {"amount": Decimal(micros) / 10_000, "currency": "USD"},
                    }
                )
            tools = {}
            for tool in TOOLS:
                if rng.random() < 0.6:  # keys can be absent
                    accepted = rng.randint(0, 40)
                    tools[tool] = {
                        "accepted": accepted,
                        "rejected": rng.randint(0, accepted // 3 + 1),
                    }
            records.append(
                {
                    "date": date_text,
                    "actor": actor,
                    "organization_id": self._org,
                    "customer_type": "api" if api_actor else "subscription",
                    "subscription_type": None if api_actor else "team",
                    "terminal_type": rng.choice(TERMINALS),
                    "core_metrics": {
                        "num_sessions": rng.randint(1, 12),
                        "lines_of_code": {
                            "added": rng.randint(0, 2_500),
                            "removed": rng.randint(0, 900),
                        },
                        "commits_by_claude_code": rng.randint(0, 8),
                        "pull_requests_by_claude_code": rng.randint(0, 3),
                    },
                    "tool_actions": tools,
                    "model_breakdown": breakdown,
                }
            )
        return tuple(records)

    def expected_estimated_micros(self, day: dt.date) -> int:
        """The day's Claude Code ``estimated_cost`` total, in micro-dollars (for tests)."""
        return sum(
            int(item["estimated_cost"]["amount"] * 10_000)
            for rec in self.claude_code_day(day)
            for item in rec["model_breakdown"]
        )

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
        limit = _int_arg(req, "limit", DEFAULT_DAY_BUCKETS, 1, MAX_DAY_BUCKETS)
        first = _parse_rfc3339(req.arg("starting_at"), "starting_at").date()  # snap to the day
        if req.arg("ending_at"):
            ending = _parse_rfc3339(req.arg("ending_at"), "ending_at")
            stop = ending.date() + (ONE_DAY if ending.time() != dt.time(0) else dt.timedelta(0))
        else:
            stop = first + dt.timedelta(days=limit)
        if stop <= first:
            raise BadRequest("ending_at must be after starting_at")
        begin = first
        token = req.arg("page")
        if token:
            (day_text,) = _decode_token(token, kind, 1)
            self.take_page(token)
            try:
                begin = dt.date.fromisoformat(day_text)
            except ValueError:
                raise BadRequest("page is not a valid page token") from None
            if not first <= begin < stop:
                raise BadRequest("page token does not belong to this range")
        days = []
        day = begin
        while day < stop and len(days) < limit:
            days.append(day)
            day += ONE_DAY
        next_token = None
        if day < stop:
            next_token = _encode_token(kind, day.isoformat())
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
            data.append(
                {
                    "starting_at": rfc3339(day),
                    "ending_at": rfc3339(day + ONE_DAY),
                    "results": results,
                }
            )
        return SimResponse(
            body={"data": data, "has_more": bool(next_token), "next_page": next_token or None}
        )

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
            data.append(
                {
                    "starting_at": rfc3339(day),
                    "ending_at": rfc3339(day + ONE_DAY),
                    "results": results,
                }
            )
        return SimResponse(
            body={"data": data, "has_more": bool(next_token), "next_page": next_token or None}
        )

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
        limit = _int_arg(req, "limit", CC_DEFAULT_LIMIT, 1, CC_MAX_LIMIT)
        offset = 0
        token = req.arg("page")
        if token:
            token_day, token_offset = _decode_token(token, "claude_code", 2)
            if token_day != day.isoformat():
                raise BadRequest("page token belongs to another day")
            self.take_page(token)
            if not token_offset.isdigit():
                raise BadRequest("page is not a valid page token")
            offset = int(token_offset)
        records = self.claude_code_day(day)
        page = [dict(r) for r in records[offset : offset + limit]]
        next_token = None
        if offset + limit < len(records):
            next_token = _encode_token("claude_code", day.isoformat(), offset + limit)
            self.offer_page(next_token)
        return SimResponse(
            body={"data": page, "has_more": next_token is not None, "next_page": next_token}
        )

    # directory ------------------------------------------------------------------------------
    def _list_page(self, req: SimRequest, items: list[dict[str, Any]]) -> SimResponse:
        limit = _int_arg(req, "limit", LIST_DEFAULT_LIMIT, 1, LIST_MAX_LIMIT)
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

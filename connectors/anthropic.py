"""Anthropic (Claude API and Claude Code) through the Admin API: ``AnthropicConnector``.

The parsers and the allocation are module-level functions so they can be tested on their own;
what Anthropic reports and how it becomes records is the connector class's docstring.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from connectors.contract import (
    Account,
    ActivityRecord,
    CheckResult,
    Connector,
    ConnectorError,
    CredentialError,
    CredentialField,
    FetchBatch,
    FetchContext,
    SchemaError,
    UsageRecord,
    day_windows,
    to_micros,
    vendor_billed_total,
)
from connectors.http import VendorHttp

VENDOR = "anthropic"
API_VERSION = "2023-06-01"
UNATTRIBUTED = "unattributed"
SERVICE_API = "Claude API"
SERVICE_CODE = "Claude Code"

PATH_USAGE = "/v1/organizations/usage_report/messages"
PATH_COST = "/v1/organizations/cost_report"
PATH_CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
PATH_USERS = "/v1/organizations/users"
PATH_API_KEYS = "/v1/organizations/api_keys"

MAX_BUCKETS = 31  # usage and cost reports: at most 31 one-day buckets per page
CLAUDE_CODE_PAGE = 1000  # claude_code: at most 1000 records per page
DIRECTORY_PAGE = 1000  # users / api_keys: at most 1000 per page

TOKEN_TYPES = (
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
)


@dataclass(frozen=True)
class ModelPrice:
    """Public list prices in USD per million tokens."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal


def _price(i: str, o: str, cr: str, w5: str, w1: str) -> ModelPrice:
    return ModelPrice(Decimal(i), Decimal(o), Decimal(cr), Decimal(w5), Decimal(w1))


# Anthropic's public price list (standard tier). Estimates only: billed truth is the cost report.
MODEL_PRICES: dict[str, ModelPrice] = {
    "claude-opus-4-5": _price("5", "25", "0.50", "6.25", "10"),
    "claude-opus-4-1": _price("15", "75", "1.50", "18.75", "30"),
    "claude-opus-4": _price("15", "75", "1.50", "18.75", "30"),
    "claude-sonnet-4-5": _price("3", "15", "0.30", "3.75", "6"),
    "claude-sonnet-4": _price("3", "15", "0.30", "3.75", "6"),
    "claude-3-7-sonnet": _price("3", "15", "0.30", "3.75", "6"),
    "claude-3-5-sonnet": _price("3", "15", "0.30", "3.75", "6"),
    "claude-haiku-4-5": _price("1", "5", "0.10", "1.25", "2"),
    "claude-3-5-haiku": _price("0.80", "4", "0.08", "1", "1.6"),
    "claude-3-haiku": _price("0.25", "1.25", "0.03", "0.30", "0.50"),
    "claude-3-opus": _price("15", "75", "1.50", "18.75", "30"),
}

_MODEL_SUFFIX = re.compile(r"-(\d{8}|latest)$")


def price_for(model: str | None) -> ModelPrice | None:
    """The list price of a model id, ignoring a ``-YYYYMMDD``/``-latest`` suffix."""
    if not model:
        return None
    return MODEL_PRICES.get(model) or MODEL_PRICES.get(_MODEL_SUFFIX.sub("", model))


@dataclass
class Tokens:
    """Non-overlapping token counts of one usage row."""

    uncached_input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    def add(self, other: Tokens) -> None:
        self.uncached_input += other.uncached_input
        self.output += other.output
        self.cache_read += other.cache_read
        self.cache_write_5m += other.cache_write_5m
        self.cache_write_1h += other.cache_write_1h

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def total(self) -> int:
        return self.uncached_input + self.output + self.cache_read + self.cache_write

    def of_type(self, token_type: str) -> int:
        """The count matching a cost report ``token_type``."""
        return {
            "uncached_input_tokens": self.uncached_input,
            "output_tokens": self.output,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation.ephemeral_5m_input_tokens": self.cache_write_5m,
            "cache_creation.ephemeral_1h_input_tokens": self.cache_write_1h,
        }[token_type]

    def list_cost_micros(self, price: ModelPrice) -> int:
        """tokens × USD per million tokens is exactly micro-dollars."""
        value = (
            self.uncached_input * price.input
            + self.output * price.output
            + self.cache_read * price.cache_read
            + self.cache_write_5m * price.cache_write_5m
            + self.cache_write_1h * price.cache_write_1h
        )
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class CostLine:
    """One cost report result, converted to micro-dollars."""

    day: dt.date
    micros: int
    model: str | None
    token_type: str | None
    cost_type: str | None
    description: str | None


# -- parsing helpers: every problem becomes a SchemaError naming the endpoint and field ----------


def _field(obj: Any, key: str, endpoint: str, *, where: str = "") -> Any:
    name = f"{where}{key}"
    if not isinstance(obj, dict):
        raise SchemaError(VENDOR, endpoint, where.rstrip(".") or "<item>", "is not an object")
    if key not in obj:
        raise SchemaError(VENDOR, endpoint, name, "is missing")
    return obj[key]


def _int(obj: Any, key: str, endpoint: str, *, where: str = "") -> int:
    value = _field(obj, key, endpoint, where=where)
    if isinstance(value, bool) or value is None:
        raise SchemaError(VENDOR, endpoint, f"{where}{key}", f"is {value!r}, not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise SchemaError(VENDOR, endpoint, f"{where}{key}", f"is {value!r}, not a whole number")


def _opt_str(obj: Any, key: str, endpoint: str, *, where: str = "") -> str | None:
    """A dimension that is null unless grouped by (absent is treated as null)."""
    if not isinstance(obj, dict):
        raise SchemaError(VENDOR, endpoint, where.rstrip(".") or "<item>", "is not an object")
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise SchemaError(VENDOR, endpoint, f"{where}{key}", f"is {value!r}, not a string")


def _str(obj: Any, key: str, endpoint: str, *, where: str = "") -> str:
    value = _field(obj, key, endpoint, where=where)
    if not isinstance(value, str) or not value:
        raise SchemaError(VENDOR, endpoint, f"{where}{key}", f"is {value!r}, not a string")
    return value


def _list(obj: Any, key: str, endpoint: str, *, where: str = "") -> list[Any]:
    value = _field(obj, key, endpoint, where=where)
    if not isinstance(value, list):
        raise SchemaError(VENDOR, endpoint, f"{where}{key}", "is not a list")
    return value


def _money(value: Any, endpoint: str, name: str) -> Decimal:
    """A cents amount: a decimal string (cost report) or a JSON number (Claude Code)."""
    if isinstance(value, bool) or value is None:
        raise SchemaError(VENDOR, endpoint, name, f"is {value!r}, not an amount")
    if isinstance(value, float):  # only if someone parsed without parse_float=Decimal
        value = repr(value)
    try:
        amount = Decimal(value) if isinstance(value, (str, int, Decimal)) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise SchemaError(VENDOR, endpoint, name, f"is {value!r}, not a decimal amount")
    return amount


def parse_day(value: Any, endpoint: str, name: str) -> dt.date:
    """A UTC day from ``YYYY-MM-DD`` or an RFC 3339 timestamp (``2025-09-08T00:00:00Z``)."""
    if not isinstance(value, str):
        raise SchemaError(VENDOR, endpoint, name, f"is {value!r}, not a date")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SchemaError(VENDOR, endpoint, name, f"is {value!r}, not a date") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC)
    return stamp.date()


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` micros over ``weights`` proportionally; parts sum to ``total`` exactly.

    Largest-remainder (Hamilton) rounding; ties go to the earlier weight. All weights must be
    ≥ 0 with a positive sum.
    """
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("allocate needs a positive weight sum")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    shares = [divmod(total * w, weight_sum) for w in weights]
    parts = [q for q, _ in shares]
    leftover = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def _iso_midnight(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# -- payload parsers ----------------------------------------------------------------------------

UsageKey = tuple[dt.date, str | None, str]  # (day, api_key_id or None for Workbench, model)


def parse_usage_page(body: dict[str, Any], into: dict[UsageKey, Tokens]) -> None:
    """Add one ``usage_report/messages`` page (grouped by api_key_id, model) to ``into``."""
    ep = PATH_USAGE
    for b, bucket in enumerate(_list(body, "data", ep)):
        day = parse_day(_field(bucket, "starting_at", ep, where=f"data[{b}]."), ep, "starting_at")
        for r, row in enumerate(_list(bucket, "results", ep, where=f"data[{b}].")):
            where = f"data[{b}].results[{r}]."
            cache = _field(row, "cache_creation", ep, where=where)
            tokens = Tokens(
                uncached_input=_int(row, "uncached_input_tokens", ep, where=where),
                output=_int(row, "output_tokens", ep, where=where),
                cache_read=_int(row, "cache_read_input_tokens", ep, where=where),
                cache_write_5m=_int(
                    cache, "ephemeral_5m_input_tokens", ep, where=where + "cache_creation."
                ),
                cache_write_1h=_int(
                    cache, "ephemeral_1h_input_tokens", ep, where=where + "cache_creation."
                ),
            )
            key_id = _opt_str(row, "api_key_id", ep, where=where)
            model = _opt_str(row, "model", ep, where=where) or "unknown"
            into.setdefault((day, key_id, model), Tokens()).add(tokens)


def parse_cost_page(body: dict[str, Any]) -> list[CostLine]:
    """One ``cost_report`` page (grouped by description) as micro-dollar lines."""
    ep = PATH_COST
    lines: list[CostLine] = []
    for b, bucket in enumerate(_list(body, "data", ep)):
        day = parse_day(_field(bucket, "starting_at", ep, where=f"data[{b}]."), ep, "starting_at")
        for r, row in enumerate(_list(bucket, "results", ep, where=f"data[{b}].")):
            where = f"data[{b}].results[{r}]."
            amount = _money(_field(row, "amount", ep, where=where), ep, where + "amount")
            currency = _opt_str(row, "currency", ep, where=where) or "USD"
            if currency.upper() != "USD":
                raise SchemaError(VENDOR, ep, where + "currency", f"is {currency!r}, not USD")
            lines.append(
                CostLine(
                    day=day,
                    micros=to_micros(amount, unit="cents"),
                    model=_opt_str(row, "model", ep, where=where),
                    token_type=_opt_str(row, "token_type", ep, where=where),
                    cost_type=_opt_str(row, "cost_type", ep, where=where),
                    description=_opt_str(row, "description", ep, where=where),
                )
            )
    return lines


def allocate_day(
    day: dt.date, usage: dict[tuple[str | None, str], Tokens], costs: list[CostLine]
) -> list[UsageRecord]:
    """Billed records for one day: the cost report allocated to (API key, model) usage rows.

    Each model's cost is shared among the rows of that model (Workbench rows, whose key is
    null, share too but land on ``"unattributed"``): per token type by that type's token
    count; lines without a token type by priced usage (or total tokens for unknown models).
    Anything that matches no usage is ``"unattributed"``. The records' billed cost sums to
    the cost lines' sum exactly.
    """
    billed: dict[tuple[str | None, str], int] = defaultdict(int)
    leftover: dict[str, int] = defaultdict(int)  # sku -> micros nobody can carry
    by_model: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
    for row_key in sorted(usage, key=lambda k: (k[1], k[0] or "")):
        by_model[row_key[1]].append(row_key)

    pools: dict[tuple[str, str | None], int] = defaultdict(int)
    for line in costs:
        if line.model and line.model in by_model:
            kind = line.token_type if line.token_type in TOKEN_TYPES else None
            pools[(line.model, kind)] += line.micros
        else:
            sku = line.model or line.cost_type or line.description or "other"
            leftover[sku] += line.micros

    for (model, kind), micros in sorted(pools.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        rows = by_model[model]
        weights = [usage[r].of_type(kind) for r in rows] if kind else []
        if not any(weights):
            price = price_for(model)
            weights = [usage[r].list_cost_micros(price) if price else usage[r].total for r in rows]
        if not any(weights):
            weights = [usage[r].total for r in rows]
        if not any(weights):
            leftover[model] += micros
            continue
        for row_key, part in zip(rows, allocate(micros, weights), strict=True):
            billed[row_key] += part

    # One record per (account, sku): Workbench rows and leftovers merge on "unattributed".
    merged_tokens: dict[tuple[str, str], Tokens] = {}
    merged_micros: dict[tuple[str, str], int] = defaultdict(int)
    for (key_id, model), tokens in usage.items():
        slot = (key_id or UNATTRIBUTED, model)
        merged_tokens.setdefault(slot, Tokens()).add(tokens)
        merged_micros[slot] += billed[(key_id, model)]
    for sku, micros in leftover.items():
        merged_micros[(UNATTRIBUTED, sku)] += micros

    records: list[UsageRecord] = []
    for (account, sku), micros in sorted(merged_micros.items()):
        tokens = merged_tokens.get((account, sku))
        price = price_for(sku)
        records.append(
            UsageRecord(
                day=day,
                account_key=account,
                service=SERVICE_API,
                sku=sku,
                billed_cost_micros=micros,
                list_cost_micros=tokens.list_cost_micros(price) if tokens and price else None,
                cost_basis="billed",
                confidence="high",
                input_tokens=tokens.uncached_input if tokens else None,
                output_tokens=tokens.output if tokens else None,
                cache_read_tokens=tokens.cache_read if tokens else None,
                cache_write_tokens=tokens.cache_write if tokens else None,
            )
        )
    return records


@dataclass
class ClaudeCodeDay:
    """Claude Code usage and activity for one day, summed per actor (and model)."""

    tokens: dict[tuple[str, str], list[int]]  # (actor, model) -> [in, out, cache_read, write]
    estimated: dict[tuple[str, str], int]  # (actor, model) -> micros
    activity: dict[tuple[str, str], int]  # (actor, metric) -> value
    users: set[str]  # actors that are user emails
    api_key_names: set[str]  # actors that are API key names


def parse_claude_code_page(body: dict[str, Any], day: dt.date, into: ClaudeCodeDay) -> None:
    """Add one ``usage_report/claude_code`` page to ``into`` (records of other days refused)."""
    ep = PATH_CLAUDE_CODE
    for i, rec in enumerate(_list(body, "data", ep)):
        where = f"data[{i}]."
        rec_day = parse_day(_field(rec, "date", ep, where=where), ep, where + "date")
        if rec_day != day:
            raise SchemaError(VENDOR, ep, where + "date", f"is {rec_day}, not the requested {day}")
        actor = _field(rec, "actor", ep, where=where)
        actor_type = _str(actor, "type", ep, where=where + "actor.")
        if actor_type == "user_actor":
            who = _str(actor, "email_address", ep, where=where + "actor.")
            into.users.add(who)
        elif actor_type == "api_actor":
            who = _str(actor, "api_key_name", ep, where=where + "actor.")
            into.api_key_names.add(who)
        else:
            raise SchemaError(VENDOR, ep, where + "actor.type", f"is {actor_type!r}, unknown")

        core = _field(rec, "core_metrics", ep, where=where)
        cw = where + "core_metrics."
        lines = _field(core, "lines_of_code", ep, where=cw)
        metrics = {
            "sessions": _int(core, "num_sessions", ep, where=cw),
            "lines_added": _int(lines, "added", ep, where=cw + "lines_of_code."),
            "lines_removed": _int(lines, "removed", ep, where=cw + "lines_of_code."),
            "commits": _int(core, "commits_by_claude_code", ep, where=cw),
            "pull_requests": _int(core, "pull_requests_by_claude_code", ep, where=cw),
        }
        tools = rec.get("tool_actions") or {}
        if not isinstance(tools, dict):
            raise SchemaError(VENDOR, ep, where + "tool_actions", "is not an object")
        for tool, counts in sorted(tools.items()):
            tw = f"{where}tool_actions.{tool}."
            metrics[f"{tool}_accepted"] = _int(counts, "accepted", ep, where=tw)
            metrics[f"{tool}_rejected"] = _int(counts, "rejected", ep, where=tw)
        for metric, value in metrics.items():
            into.activity[(who, metric)] = into.activity.get((who, metric), 0) + value

        for m, item in enumerate(_list(rec, "model_breakdown", ep, where=where)):
            mw = f"{where}model_breakdown[{m}]."
            model = _str(item, "model", ep, where=mw)
            tok = _field(item, "tokens", ep, where=mw)
            counts = [
                _int(tok, name, ep, where=mw + "tokens.")
                for name in ("input", "output", "cache_read", "cache_creation")
            ]
            cost = _field(item, "estimated_cost", ep, where=mw)
            currency = _opt_str(cost, "currency", ep, where=mw + "estimated_cost.") or "USD"
            if currency.upper() != "USD":
                raise SchemaError(
                    VENDOR, ep, mw + "estimated_cost.currency", f"is {currency!r}, not USD"
                )
            amount = _money(
                _field(cost, "amount", ep, where=mw + "estimated_cost."),
                ep,
                mw + "estimated_cost.amount",
            )
            slot = into.tokens.setdefault((who, model), [0, 0, 0, 0])
            for j, value in enumerate(counts):
                slot[j] += value
            into.estimated[(who, model)] = into.estimated.get((who, model), 0) + to_micros(
                amount, unit="cents"
            )


def claude_code_records(day: dt.date, cc: ClaudeCodeDay) -> list[UsageRecord]:
    return [
        UsageRecord(
            day=day,
            account_key=actor,
            service=SERVICE_CODE,
            sku=model,
            billed_cost_micros=0,
            list_cost_micros=cc.estimated.get((actor, model), 0),
            cost_basis="estimated",
            confidence="medium",
            input_tokens=counts[0],
            output_tokens=counts[1],
            cache_read_tokens=counts[2],
            cache_write_tokens=counts[3],
        )
        for (actor, model), counts in sorted(cc.tokens.items())
    ]


@dataclass
class Directory:
    """Users and API keys of the organisation."""

    users_by_id: dict[str, dict[str, Any]]
    users_by_email: dict[str, dict[str, Any]]
    api_keys: list[dict[str, Any]]

    def key_accounts(self) -> list[Account]:
        accounts = []
        for key in self.api_keys:
            creator = key.get("created_by") if isinstance(key.get("created_by"), dict) else {}
            user = self.users_by_id.get(str(creator.get("id") or ""))
            accounts.append(
                Account(
                    account_key=key["id"],
                    display_name=key.get("name") or key["id"],
                    email=user.get("email") if user else None,
                    kind="api_key",
                )
            )
        return accounts

    def key_name_account(self, name: str) -> Account:
        """The Account of a Claude Code ``api_actor`` (known by key name only)."""
        matches = [k for k in self.api_keys if k.get("name") == name]
        email = None
        if len(matches) == 1:
            creator = matches[0].get("created_by")
            user = (
                self.users_by_id.get(str(creator.get("id"))) if isinstance(creator, dict) else None
            )
            email = user.get("email") if user else None
        return Account(account_key=name, display_name=name, email=email, kind="api_key")

    def user_account(self, email: str) -> Account:
        user = self.users_by_email.get(email.lower())
        return Account(
            account_key=email, display_name=user.get("name") if user else None, email=email
        )


class AnthropicConnector(Connector):
    """Anthropic Admin API: Claude API spend per API key (billed) and Claude Code per person.

    What Anthropic reports (vendor-apis.md §1):

    - ``usage_report/messages``: tokens per day bucket, grouped here by ``api_key_id`` and
      ``model``. Tokens only, no money. ``api_key_id`` is null for Console/Workbench usage.
    - ``cost_report``: the billed truth in USD, but only per organisation/workspace; grouped by
      ``description`` it also names the model and token type of each line. ``amount`` is a
      decimal *string of cents* (``"123.45"`` is $1.23). Web search and code execution costs
      belong to no model and no key.
    - ``usage_report/claude_code``: one record per actor per day (one day per request) with
      tokens, an ``estimated_cost`` (a *number* of cents, an estimate, never billed) and activity
      (sessions, lines, commits, PRs, tool accept/reject counts). ``date`` comes either as
      ``YYYY-MM-DD`` or as an RFC 3339 timestamp; ``tool_actions`` keys may be absent; the actor
      is a ``user_actor`` (email) or an ``api_actor`` (API key *name*, not id).
    - ``users`` and ``api_keys``: the directory; a key maps to the person who created it.

    Billed cost per API key is therefore derived: each day's cost report total is allocated to
    the (API key, model) usage rows in proportion to their usage of the same model and token
    type (priced usage from ``MODEL_PRICES`` when a line has no token type, token counts when the
    model is unknown), with largest-remainder rounding in micro-dollars. What no key can carry
    (Workbench usage, web search, code execution, models without usage) goes to the explicit
    ``"unattributed"`` account, so each day's billed records sum to the cost report to the cent.
    Claude Code's ``estimated_cost`` is kept as ``list_cost_micros`` on ``cost_basis="estimated"``
    records and never added to billed cost (API-key Claude Code is already in the usage report).
    """

    name = "anthropic"
    provider = "Anthropic"
    services = (SERVICE_API, SERVICE_CODE)
    source_type = "api"
    default_confidence = "high"
    credential_fields = (
        CredentialField(
            "admin_api_key",
            secret=True,
            help="An Admin API key (sk-ant-admin01-...) from Console → Settings → Admin keys.",
        ),
    )
    revision_window_days = 3
    max_window_days = MAX_BUCKETS
    default_base_url = "https://api.anthropic.com"

    # -- plumbing ------------------------------------------------------------------------------
    def _http(self, config: dict[str, Any], ctx: FetchContext | None) -> VendorHttp:
        self.require_credentials(config)
        key = str(config["admin_api_key"])
        return VendorHttp(
            VENDOR,
            self.base_url(config),
            headers={
                "x-api-key": key,
                "anthropic-version": API_VERSION,
                "user-agent": "aispend/0.1",
            },
            secrets=[key],
            **(ctx.http_options if ctx else {}),
        )

    # -- verbs ---------------------------------------------------------------------------------
    def check(self, config: dict[str, Any]) -> CheckResult:
        """One cheap authorised call: the first user of the organisation."""
        try:
            with self._http(config, None) as http:
                body = http.get_json(PATH_USERS, params={"limit": 1})
                _list(body, "data", PATH_USERS)
        except CredentialError as exc:
            status = re.search(r"HTTP (\d{3})", str(exc))
            if status:
                return CheckResult(False, f"the admin API key was rejected (HTTP {status[1]})")
            return CheckResult(False, str(exc))
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, "the admin API key works")

    def fetch(
        self, config: dict[str, Any], start: dt.date, end: dt.date, ctx: FetchContext
    ) -> Iterator[FetchBatch]:
        with self._http(config, ctx) as http:
            directory = self._directory(http)
            known: set[str] = set()
            first = FetchBatch(
                accounts=[
                    *directory.key_accounts(),
                    Account(UNATTRIBUTED, "Unattributed", kind="unattributed"),
                ]
            )
            known.update(a.account_key for a in first.accounts)
            yield first
            for w_start, w_end in day_windows(start, end, self.max_window_days):
                ctx.info(f"anthropic: usage and cost {w_start}..{w_end}")
                usage = self._usage(http, w_start, w_end, ctx)
                costs = self._costs(http, w_start, w_end, ctx)
                usage_by_day: dict[dt.date, dict[tuple[str | None, str], Tokens]] = defaultdict(
                    dict
                )
                for (day, key_id, model), tokens in usage.items():
                    usage_by_day[day][(key_id, model)] = tokens
                costs_by_day: dict[dt.date, list[CostLine]] = defaultdict(list)
                for line in costs:
                    costs_by_day[line.day].append(line)
                records: list[UsageRecord] = []
                for day in sorted(set(usage_by_day) | set(costs_by_day)):
                    records.extend(allocate_day(day, usage_by_day[day], costs_by_day[day]))
                # The cost report's own daily totals, so the accuracy check can hold us to them.
                totals = [
                    vendor_billed_total(day, sum(line.micros for line in lines))
                    for day, lines in sorted(costs_by_day.items())
                ]
                yield FetchBatch(usage=records, activity=totals)
                # Release this window before the next one is fetched: memory stays flat.
                del usage, costs, usage_by_day, costs_by_day, records, totals
                for day in _days(w_start, w_end):
                    cc = self._claude_code(http, day)
                    accounts = []
                    for email in sorted(cc.users - known):
                        accounts.append(directory.user_account(email))
                    for name in sorted(cc.api_key_names - known):
                        accounts.append(directory.key_name_account(name))
                    known.update(a.account_key for a in accounts)
                    activity = [
                        ActivityRecord(day, actor, metric, value)
                        for (actor, metric), value in sorted(cc.activity.items())
                    ]
                    yield FetchBatch(
                        usage=claude_code_records(day, cc), activity=activity, accounts=accounts
                    )

    # -- endpoint readers ----------------------------------------------------------------------
    def _report_params(self, w_start: dt.date, w_end: dt.date, group_by: list[str]) -> dict:
        return {
            "starting_at": _iso_midnight(w_start),
            "ending_at": _iso_midnight(w_end + dt.timedelta(days=1)),
            "bucket_width": "1d",
            "limit": (w_end - w_start).days + 1,
            "group_by[]": group_by,
        }

    def _usage(
        self, http: VendorHttp, w_start: dt.date, w_end: dt.date, ctx: FetchContext
    ) -> dict[UsageKey, Tokens]:
        usage: dict[UsageKey, Tokens] = {}
        params = self._report_params(w_start, w_end, ["api_key_id", "model"])
        for body in http.paginate_cursor(PATH_USAGE, params):
            parse_usage_page(body, usage)
        outside = {d for d, _, _ in usage if not w_start <= d <= w_end}
        if outside:
            ctx.info(f"anthropic: ignored usage buckets outside {w_start}..{w_end}: {outside}")
        return {k: v for k, v in usage.items() if w_start <= k[0] <= w_end}

    def _costs(
        self, http: VendorHttp, w_start: dt.date, w_end: dt.date, ctx: FetchContext
    ) -> list[CostLine]:
        lines: list[CostLine] = []
        params = self._report_params(w_start, w_end, ["description"])
        for body in http.paginate_cursor(PATH_COST, params):
            lines.extend(parse_cost_page(body))
        outside = {c.day for c in lines if not w_start <= c.day <= w_end}
        if outside:
            ctx.info(f"anthropic: ignored cost buckets outside {w_start}..{w_end}: {outside}")
        return [c for c in lines if w_start <= c.day <= w_end]

    def _claude_code(self, http: VendorHttp, day: dt.date) -> ClaudeCodeDay:
        cc = ClaudeCodeDay(tokens={}, estimated={}, activity={}, users=set(), api_key_names=set())
        params = {"starting_at": day.isoformat(), "limit": CLAUDE_CODE_PAGE}
        for body in http.paginate_cursor(PATH_CLAUDE_CODE, params):
            parse_claude_code_page(body, day, cc)
        return cc

    def _directory(self, http: VendorHttp) -> Directory:
        users: list[dict[str, Any]] = []
        for body in http.paginate_after_id(PATH_USERS, {"limit": DIRECTORY_PAGE}):
            for i, user in enumerate(_list(body, "data", PATH_USERS)):
                _str(user, "id", PATH_USERS, where=f"data[{i}].")
                _str(user, "email", PATH_USERS, where=f"data[{i}].")
                users.append(user)
        keys: list[dict[str, Any]] = []
        for body in http.paginate_after_id(PATH_API_KEYS, {"limit": DIRECTORY_PAGE}):
            for i, key in enumerate(_list(body, "data", PATH_API_KEYS)):
                _str(key, "id", PATH_API_KEYS, where=f"data[{i}].")
                keys.append(key)
        return Directory(
            users_by_id={u["id"]: u for u in users},
            users_by_email={u["email"].lower(): u for u in users},
            api_keys=keys,
        )


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)

"""Claude Code per person and day (``usage_report/claude_code``, vendor-apis.md §1c).

One record per actor per day: a ``user_actor`` (email) or an ``api_actor`` (API key *name*),
with tokens and an ``estimated_cost`` per model (a JSON *number* of cents, an estimate, never
billed) and activity (sessions, lines, commits, pull requests, tool accept/reject counts).

**Tokens counted once** (``connectors.tokens``): ``customer_type`` says how the usage was
billed. ``"api"`` usage is ordinary pay-as-you-go API usage, already in the Messages usage
report (and so in the Claude API rows this connector writes); ``"subscription"`` usage
(Pro/Team/Enterprise seats) is in no other report. The rule is keyed on ``customer_type``,
never on the actor kind: an OAuth user on API billing is ``api`` too. So:

- every actor keeps the Claude Code view: an estimated record per model (``list_cost_micros``
  = the estimate, billed 0) and activity, including ``claude_code_*_tokens`` metrics;
- only ``subscription`` usage puts its tokens in the record's token columns; ``api`` usage
  leaves them ``None`` because the Claude API rows already count them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from connectors.anthropic.payloads import PATH_CLAUDE_CODE, VENDOR
from connectors.contract import DayActivity, UsageRecord, day_activity, fast_replace
from connectors.dates import parse_day
from connectors.json_body import cents_micros
from connectors.payload import Node, PayloadReader
from connectors.tokens import TOKEN_COLUMNS

SERVICE_CODE = "Claude Code"
CUSTOMER_TYPES = ("api", "subscription")
ACTOR_TYPES = ("user_actor", "api_actor")
TOKEN_KEYS = ("input", "output", "cache_read", "cache_creation")  # model_breakdown[].tokens
TOKEN_METRICS = tuple(f"claude_code_{name}" for name in TOKEN_COLUMNS)  # the per-tool view
_INPUT, _OUTPUT, _CACHE_READ, _CACHE_WRITE = TOKEN_METRICS


@dataclass
class ModelUsage:
    """One actor's Claude Code usage of one model on one day; token counts in the order of
    ``TOKEN_COLUMNS`` (input, output, cache read, cache write)."""

    tokens: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # every token (the view)
    counted: list[int] | None = None  # tokens in no other report (subscription usage)
    estimated_micros: int = 0


@dataclass
class ClaudeCodeDay:
    """Claude Code usage and activity for one day, summed per actor (and model)."""

    day: dt.date
    models: dict[tuple[str, str], ModelUsage] = field(default_factory=dict)
    activity: dict[str, dict[str, int]] = field(default_factory=dict)  # actor → metric → value
    users: set[str] = field(default_factory=set)  # actors that are user emails
    api_key_names: set[str] = field(default_factory=set)  # actors that are API key names
    day_of: dict[str, dt.date] = field(default_factory=dict)  # a record's date, parsed once

    def count(self, actor: str, metric: str, value: int) -> None:
        metrics = self.activity.get(actor)
        if metrics is None:
            metrics = self.activity[actor] = {}
        metrics[metric] = metrics.get(metric, 0) + value

    def add_model(
        self, who: str, model: str, tokens: list[int], micros: int, counted_elsewhere: bool
    ) -> None:
        # Spelled out for the four token kinds: this runs per actor, day and model.
        input_, output, cache_read, cache_write = tokens
        usage = self.models.get((who, model))
        if usage is None:
            usage = self.models[(who, model)] = ModelUsage()
        summed = usage.tokens
        summed[0] += input_
        summed[1] += output
        summed[2] += cache_read
        summed[3] += cache_write
        usage.estimated_micros += micros
        if not counted_elsewhere:
            counted = usage.counted
            if counted is None:
                usage.counted = [input_, output, cache_read, cache_write]
            else:
                counted[0] += input_
                counted[1] += output
                counted[2] += cache_read
                counted[3] += cache_write
        metrics = self.activity.get(who)
        if metrics is None:
            metrics = self.activity[who] = {}
        get = metrics.get
        metrics[_INPUT] = get(_INPUT, 0) + input_
        metrics[_OUTPUT] = get(_OUTPUT, 0) + output
        metrics[_CACHE_READ] = get(_CACHE_READ, 0) + cache_read
        metrics[_CACHE_WRITE] = get(_CACHE_WRITE, 0) + cache_write


def _actor(rec: Node, into: ClaudeCodeDay) -> str:
    actor = rec.obj("actor")
    if actor.one_of("type", ACTOR_TYPES) == "user_actor":
        who = actor.text("email_address")
        into.users.add(who)
    else:
        who = actor.text("api_key_name")
        into.api_key_names.add(who)
    return who


def _activity(rec: Node, who: str, into: ClaudeCodeDay) -> None:
    core = rec.obj("core_metrics")
    lines = core.obj("lines_of_code")
    into.count(who, "sessions", core.count("num_sessions"))
    into.count(who, "lines_added", lines.count("added"))
    into.count(who, "lines_removed", lines.count("removed"))
    into.count(who, "commits", core.count("commits_by_claude_code"))
    into.count(who, "pull_requests", core.count("pull_requests_by_claude_code"))
    tools = rec.opt("tool_actions")  # keys can be absent, the object too
    for tool, counts in tools.entries() if tools is not None else []:
        into.count(who, f"{tool}_accepted", counts.count("accepted"))
        into.count(who, f"{tool}_rejected", counts.count("rejected"))


def parse_claude_code_page(body: Any, day: dt.date, into: ClaudeCodeDay) -> None:
    """Add one ``usage_report/claude_code`` page to ``into`` (records of other days refused).

    A record whose every field is plainly well-formed is summed straight from its dict
    (``_plain_record``); any other is read through the payload reader's full checks
    (``_checked_record``): the same facts, or the error naming the field."""
    records = PayloadReader(VENDOR, PATH_CLAUDE_CODE).body(body).sequence("data")
    activity = into.activity
    for i, raw in enumerate(records.value):
        plain = _plain_record(raw, day, into.day_of)
        if plain is None:
            _checked_record(records.item(i), day, into)
            continue
        who, is_user, counted_elsewhere, counts, models = plain
        (into.users if is_user else into.api_key_names).add(who)
        metrics = activity.get(who)
        if metrics is None:
            metrics = activity[who] = {}
        for metric, value in counts:
            metrics[metric] = metrics.get(metric, 0) + value
        for model, tokens, micros in models:
            into.add_model(who, model, tokens, micros, counted_elsewhere)


def _checked_record(rec: Node, day: dt.date, into: ClaudeCodeDay) -> None:
    rec_day = rec.day("date")
    if rec_day != day:
        raise rec.reader.error(f"{rec.path}.date", f"is {rec_day}, not the requested {day}")
    who = _actor(rec, into)
    counted_elsewhere = rec.one_of("customer_type", CUSTOMER_TYPES) == "api"
    _activity(rec, who, into)
    for item in rec.list("model_breakdown"):
        tok = item.obj("tokens")
        tokens = [tok.count(key) for key in TOKEN_KEYS]
        cost = item.obj("estimated_cost")
        cost.currency("currency", default="USD")
        model = item.text("model")
        micros = cost.money("amount", unit="cents")
        into.add_model(who, model, tokens, micros, counted_elsewhere)


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _plain_record(rec: Any, day: dt.date, day_of: dict[str, dt.date]) -> tuple | None:
    """``(actor, is a user, counted elsewhere, [(metric, count)], [(model, tokens, micros)])``
    of a record whose every field is plainly well-formed, else ``None``."""
    if type(rec) is not dict:
        return None
    text = rec.get("date")
    if type(text) is not str:
        return None
    rec_day = day_of.get(text)
    if rec_day is None:
        try:
            rec_day = day_of[text] = parse_day(text)
        except ValueError:
            return None
    actor = rec.get("actor")
    if rec_day != day or type(actor) is not dict:
        return None
    kind = actor.get("type")
    who = actor.get("email_address" if kind == "user_actor" else "api_key_name")
    customer = rec.get("customer_type")
    if kind not in ACTOR_TYPES or type(who) is not str or not who or customer not in CUSTOMER_TYPES:
        return None
    core = rec.get("core_metrics")
    lines = core.get("lines_of_code") if type(core) is dict else None
    if type(lines) is not dict:
        return None
    counts = [
        ("sessions", core.get("num_sessions")),
        ("lines_added", lines.get("added")),
        ("lines_removed", lines.get("removed")),
        ("commits", core.get("commits_by_claude_code")),
        ("pull_requests", core.get("pull_requests_by_claude_code")),
    ]
    tools = rec.get("tool_actions")
    if tools is not None:
        if type(tools) is not dict:
            return None
        for tool, tool_counts in tools.items():
            if type(tool_counts) is not dict:
                return None
            counts.append((f"{tool}_accepted", tool_counts.get("accepted")))
            counts.append((f"{tool}_rejected", tool_counts.get("rejected")))
    for _, value in counts:
        if type(value) is not int or value < 0:
            return None
    breakdown = rec.get("model_breakdown")
    if type(breakdown) is not list:
        return None
    models = []
    for item in breakdown:
        tok = item.get("tokens") if type(item) is dict else None
        cost = item.get("estimated_cost") if type(item) is dict else None
        if type(tok) is not dict or type(cost) is not dict:
            return None
        tokens = [tok.get(key) for key in TOKEN_KEYS]
        currency, cents, model = cost.get("currency"), cost.get("amount"), item.get("model")
        if not all(map(_count, tokens)) or type(model) is not str or not model:
            return None
        if currency not in (None, "") and (type(currency) is not str or currency.upper() != "USD"):
            return None
        micros = cents_micros(cents)  # a float (json_floats) read as its literal
        if micros is None:
            return None
        models.append((model, tokens, micros))
    return who, kind == "user_actor", customer == "api", counts, models


def claude_code_records(cc: ClaudeCodeDay) -> list[UsageRecord]:
    """The estimated Claude Code records of a day (token columns only for subscription use)."""
    records = []
    day = cc.day
    for (actor, model), usage in sorted(cc.models.items()):
        changes = {
            "day": day,
            "account_key": actor,
            "sku": model,
            "list_cost_micros": usage.estimated_micros,
        }
        counted = usage.counted
        if counted is not None:
            changes["input_tokens"] = counted[0]
            changes["output_tokens"] = counted[1]
            changes["cache_read_tokens"] = counted[2]
            changes["cache_write_tokens"] = counted[3]
        records.append(fast_replace(_ESTIMATED, changes))
    return records


# What every Claude Code record shares (``claude_code_records`` fills in the rest).
_ESTIMATED = UsageRecord(
    day=dt.date.min,
    account_key="",
    service=SERVICE_CODE,
    sku="",
    billed_cost_micros=0,
    cost_basis="estimated",
    confidence="medium",
)


def claude_code_activity(cc: ClaudeCodeDay) -> list[DayActivity]:
    """The day's activity, one ``DayActivity`` per actor, ordered by actor then metric."""
    day = cc.day
    activity = cc.activity
    return [day_activity(day, actor, _by_name(activity[actor])) for actor in sorted(activity)]


_NAME_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}  # metric names → the same, sorted


def _by_name(metrics: dict[str, int]) -> dict[str, int]:
    """``metrics`` ordered by metric name. Actors share a handful of metric sets, each added
    in the same order: the sorted order is worked out once per set, not once per actor."""
    names = tuple(metrics)
    order = _NAME_ORDERS.get(names)
    if order is None:
        if len(_NAME_ORDERS) >= 1 << 10:
            _NAME_ORDERS.clear()
        order = _NAME_ORDERS[names] = tuple(sorted(names))
    return dict(zip(order, map(metrics.__getitem__, order), strict=True))

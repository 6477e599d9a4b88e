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
from connectors.contract import ActivityRecord, UsageRecord
from connectors.payload import Node, PayloadReader
from connectors.tokens import TokenCounts

SERVICE_CODE = "Claude Code"
CUSTOMER_TYPES = ("api", "subscription")
ACTOR_TYPES = ("user_actor", "api_actor")


@dataclass
class ModelUsage:
    """One actor's Claude Code usage of one model on one day."""

    tokens: TokenCounts = field(default_factory=TokenCounts)  # every token (the view)
    counted: TokenCounts | None = None  # tokens in no other report (subscription usage)
    estimated_micros: int = 0


@dataclass
class ClaudeCodeDay:
    """Claude Code usage and activity for one day, summed per actor (and model)."""

    day: dt.date
    models: dict[tuple[str, str], ModelUsage] = field(default_factory=dict)
    activity: dict[tuple[str, str], int] = field(default_factory=dict)  # (actor, metric)
    users: set[str] = field(default_factory=set)  # actors that are user emails
    api_key_names: set[str] = field(default_factory=set)  # actors that are API key names

    def count(self, actor: str, metric: str, value: int) -> None:
        self.activity[(actor, metric)] = self.activity.get((actor, metric), 0) + value


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
    """Add one ``usage_report/claude_code`` page to ``into`` (records of other days refused)."""
    for rec in PayloadReader(VENDOR, PATH_CLAUDE_CODE).body(body).list("data"):
        rec_day = rec.day("date")
        if rec_day != day:
            raise rec.reader.error(f"{rec.path}.date", f"is {rec_day}, not the requested {day}")
        who = _actor(rec, into)
        counted_elsewhere = rec.one_of("customer_type", CUSTOMER_TYPES) == "api"
        _activity(rec, who, into)
        for item in rec.list("model_breakdown"):
            tok = item.obj("tokens")
            tokens = TokenCounts(
                tok.count("input"),
                tok.count("output"),
                tok.count("cache_read"),
                tok.count("cache_creation"),
            )
            cost = item.obj("estimated_cost")
            cost.currency("currency", default="USD")
            usage = into.models.setdefault((who, item.text("model")), ModelUsage())
            usage.tokens = usage.tokens + tokens
            usage.estimated_micros += cost.money("amount", unit="cents")
            if not counted_elsewhere:
                usage.counted = (usage.counted or TokenCounts()) + tokens
            for metric, value in tokens.activity_metrics("claude_code").items():
                into.count(who, metric, value)


def claude_code_records(cc: ClaudeCodeDay) -> list[UsageRecord]:
    """The estimated Claude Code records of a day (token columns only for subscription use)."""
    return [
        UsageRecord(
            day=cc.day,
            account_key=actor,
            service=SERVICE_CODE,
            sku=model,
            billed_cost_micros=0,
            list_cost_micros=usage.estimated_micros,
            cost_basis="estimated",
            confidence="medium",
            **(usage.counted.columns() if usage.counted is not None else {}),
        )
        for (actor, model), usage in sorted(cc.models.items())
    ]


def claude_code_activity(cc: ClaudeCodeDay) -> list[ActivityRecord]:
    """The day's activity, ordered by actor then metric (sorted per actor: a day holds
    thousands of actors with a dozen metrics each)."""
    by_actor: dict[str, list[tuple[str, int]]] = {}
    for (actor, metric), value in cc.activity.items():
        by_actor.setdefault(actor, []).append((metric, value))
    day = cc.day
    return [
        ActivityRecord(day, actor, metric, value)
        for actor in sorted(by_actor)
        for metric, value in sorted(by_actor[actor])
    ]

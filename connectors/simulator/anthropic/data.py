"""The simulated Anthropic organisation's data, generated per (member, UTC day) on demand.

Nothing is stored: each day is drawn from ``rng_for(seed, "anthropic", ..., member, day)``; a
bounded cache keeps recently asked days so a usage request and the matching cost request do not
generate the same day twice.

- **Claude Code** (one record per active member and day): members ``index % 4 == 3`` use an
  API key (``api_actor``); everyone else is a ``user_actor``. Billing is ``customer_type``:
  API-key users *and* members ``index % 4 == 1`` (OAuth users of an API-billed console) are
  ``"api"``, the rest ``"subscription"`` (Team seats).
- **Messages usage** (per API key and model, plus Workbench rows with no key) includes the
  tokens of every ``"api"`` Claude Code record, under that member's API key, because that is
  what API billing means: the same tokens appear in both reports on purpose, so a connector
  that counts them twice (or keys the rule on the actor kind) fails the kit.
- **Cost report**: every usage row priced per token type with ``SIM_PRICES`` (whole
  micro-dollars, so every ``amount`` has at most 4 decimal places of cents), plus costs no
  key carries (web search, code execution).

``expected_billed_micros(day)`` is the day's cost lines summed; ``expected_tokens(day)`` is
every token processed, each once: the usage report plus subscription Claude Code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from connectors.simulator.team import SimMember, rng_for

WEB_SEARCH_MICROS = 10_000  # $10 per 1,000 searches
CODE_EXECUTION_MICROS_PER_HOUR = 50_000  # $0.05 per container hour

#: token type → cost description suffix
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
WORKSPACES = (None, "wrkspc_01SIMPLATFORM", "wrkspc_01SIMRESEARCH")


def to_micros_exact(tokens: int, price_per_mtok: Decimal) -> int:
    """tokens × (USD per million tokens) in whole micro-dollars (half-even)."""
    return int((tokens * price_per_mtok).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def claude_code_date_is_timestamp(day: dt.date) -> bool:
    """The quirk: the ``date`` of Claude Code records is RFC 3339 on even ordinal days."""
    return day.toordinal() % 2 == 0


def uses_api_key(member: SimMember) -> bool:
    """Claude Code through an API key (an ``api_actor``)."""
    return member.index % 4 == 3


def api_billed(member: SimMember) -> bool:
    """Claude Code billed as API usage (``customer_type: "api"``), whatever the actor kind."""
    return member.index % 4 in (1, 3)


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


@dataclass(frozen=True)
class ClaudeCodeDay:
    """A day of Claude Code: the records as served, and which member each belongs to."""

    records: tuple[dict[str, Any], ...]
    members: tuple[SimMember, ...]


class AnthropicData:
    """The generated organisation; mixed into ``AnthropicVendor``."""

    team: list[SimMember]
    seed: int
    in_range: Any  # SimulatedVendor.in_range

    def _init_data(self) -> None:
        rng = rng_for(self.seed, "anthropic", "admin-key")
        self.admin_key = "sk-ant-admin01-sim" + rng.getrandbits(160).to_bytes(20, "big").hex()
        self.organization_id = "%08x-%04x-4%03x-8%03x-%012x" % (  # noqa: UP031 - a UUID layout
            rng.getrandbits(32),
            rng.getrandbits(16),
            rng.getrandbits(12),
            rng.getrandbits(12),
            rng.getrandbits(48),
        )
        self.day_rows = lru_cache(maxsize=64)(self._compute_day_rows)
        self.day_costs = lru_cache(maxsize=64)(self._compute_day_costs)
        self.claude_code_day = lru_cache(maxsize=64)(self._compute_claude_code_day)

    def workspace_of(self, member: SimMember) -> str | None:
        return WORKSPACES[member.index % len(WORKSPACES)]

    # -- usage and cost ----------------------------------------------------------------------
    def _compute_day_rows(self, day: dt.date) -> tuple[UsageRow, ...]:
        """Every usage row of one UTC day: per (member's API key, model), Workbench rows, and
        the API-billed Claude Code usage under the member's key."""
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
                    search = rng.choice((0, 0, 0, 1, 3))
                    rows.append(UsageRow(member.api_key_id, workspace, model, None, tokens, search))
            if rng.random() < 0.12:  # Console/Workbench: no API key, the logged-in account
                tokens = (rng.randint(100, 20_000), rng.randint(100, 8_000), 0, 0, 0)
                rows.append(UsageRow(None, None, MODELS[0], member.anthropic_user_id, tokens, 0))
        cc = self.claude_code_day(day)
        for member, record in zip(cc.members, cc.records, strict=True):
            if record["customer_type"] != "api":
                continue
            for item in record["model_breakdown"]:
                t = item["tokens"]
                tokens = (t["input"], t["output"], t["cache_read"], t["cache_creation"], 0)
                rows.append(
                    UsageRow(
                        member.api_key_id,
                        self.workspace_of(member),
                        item["model"],
                        None,
                        tokens,
                        0,
                    )
                )
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
                micros = count * WEB_SEARCH_MICROS
                lines.append(CostLine(ws, "web_search", "Web Search Usage", None, None, micros))
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

    def expected_tokens(self, day: dt.date) -> int:
        """Every token processed that day, once: the Messages usage report (which already holds
        API-billed Claude Code) plus subscription Claude Code."""
        usage = sum(sum(row.tokens) for row in self.day_rows(day))
        subscription = sum(
            sum(item["tokens"].values())
            for record in self.claude_code_day(day).records
            if record["customer_type"] == "subscription"
            for item in record["model_breakdown"]
        )
        return usage + subscription

    # -- Claude Code -------------------------------------------------------------------------
    def _compute_claude_code_day(self, day: dt.date) -> ClaudeCodeDay:
        """Claude Code records of one day, one per active member, in team order."""
        if not self.in_range(day):
            return ClaudeCodeDay((), ())
        date_text = rfc3339(day) if claude_code_date_is_timestamp(day) else day.isoformat()
        records, members = [], []
        for member in self.team:
            rng = rng_for(self.seed, "anthropic", "claude_code", member.index, day.isoformat())
            if rng.random() >= 0.6:
                continue
            records.append(self._claude_code_record(member, rng, date_text))
            members.append(member)
        return ClaudeCodeDay(tuple(records), tuple(members))

    def _claude_code_record(self, member: SimMember, rng: Any, date_text: str) -> dict[str, Any]:
        actor = (
            {"type": "api_actor", "api_key_name": member.api_key_name}
            if uses_api_key(member)
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
            micros = sum(
                to_micros_exact(n, p) for n, p in zip(counts, SIM_PRICES[model][:4], strict=True)
            )
            breakdown.append(
                {
                    "model": model,
                    "tokens": dict(
                        zip(
                            ("input", "output", "cache_read", "cache_creation"), counts, strict=True
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
                tools[tool] = {"accepted": accepted, "rejected": rng.randint(0, accepted // 3 + 1)}
        billed_as_api = api_billed(member)
        return {
            "date": date_text,
            "actor": actor,
            "organization_id": self.organization_id,
            "customer_type": "api" if billed_as_api else "subscription",
            "subscription_type": None if billed_as_api else "team",
            "terminal_type": rng.choice(TERMINALS),
            "core_metrics": {
                "num_sessions": rng.randint(1, 12),
                "lines_of_code": {"added": rng.randint(0, 2_500), "removed": rng.randint(0, 900)},
                "commits_by_claude_code": rng.randint(0, 8),
                "pull_requests_by_claude_code": rng.randint(0, 3),
            },
            "tool_actions": tools,
            "model_breakdown": breakdown,
        }

    def expected_estimated_micros(self, day: dt.date) -> int:
        """The day's Claude Code ``estimated_cost`` total, in micro-dollars (for tests)."""
        return sum(
            int(item["estimated_cost"]["amount"] * 10_000)
            for rec in self.claude_code_day(day).records
            for item in rec["model_breakdown"]
        )

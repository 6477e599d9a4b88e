"""Reading the Anthropic Admin API's usage and cost reports (vendor-apis.md §1a, §1b).

Every field is read through a ``PayloadReader``: a missing or mistyped field is a
``SchemaError`` naming the endpoint and the field (``data[2].results[0].amount``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connectors.payload import PayloadReader
from connectors.tokens import TokenCounts

VENDOR = "anthropic"
PATH_USAGE = "/v1/organizations/usage_report/messages"
PATH_COST = "/v1/organizations/cost_report"
PATH_CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
PATH_USERS = "/v1/organizations/users"
PATH_API_KEYS = "/v1/organizations/api_keys"

#: The cost report's ``token_type`` values, in the order ``UsageTokens.of_type`` knows them.
TOKEN_TYPES = (
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
)

_TYPE_FIELDS = dict(
    zip(
        TOKEN_TYPES,
        ("uncached_input", "output", "cache_read", "cache_write_5m", "cache_write_1h"),
        strict=True,
    )
)


@dataclass
class UsageTokens:
    """The token counts of one usage-report row, by the cost report's token types."""

    uncached_input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    def add(self, other: UsageTokens) -> None:
        self.uncached_input += other.uncached_input
        self.output += other.output
        self.cache_read += other.cache_read
        self.cache_write_5m += other.cache_write_5m
        self.cache_write_1h += other.cache_write_1h

    @property
    def total(self) -> int:
        return self.counts().total

    def counts(self) -> TokenCounts:
        """The four non-overlapping token columns (both cache-write durations together)."""
        return TokenCounts(
            self.uncached_input,
            self.output,
            self.cache_read,
            self.cache_write_5m + self.cache_write_1h,
        )

    def of_type(self, token_type: str) -> int:
        """The count matching a cost report ``token_type`` (``KeyError`` for another)."""
        return getattr(self, _TYPE_FIELDS[token_type])


@dataclass(frozen=True)
class CostLine:
    """One cost report result, converted to micro-dollars."""

    day: dt.date
    micros: int
    model: str | None
    token_type: str | None
    cost_type: str | None
    description: str | None


UsageKey = tuple[dt.date, str | None, str]  # (day, api_key_id or None for Workbench, model)


def parse_usage_page(body: Any, into: dict[UsageKey, UsageTokens]) -> None:
    """Add one ``usage_report/messages`` page (grouped by api_key_id, model) to ``into``."""
    for bucket in PayloadReader(VENDOR, PATH_USAGE).body(body).list("data"):
        day = bucket.day("starting_at")
        for row in bucket.list("results"):
            cache = row.obj("cache_creation")
            tokens = UsageTokens(
                uncached_input=row.count("uncached_input_tokens"),
                output=row.count("output_tokens"),
                cache_read=row.count("cache_read_input_tokens"),
                cache_write_5m=cache.count("ephemeral_5m_input_tokens"),
                cache_write_1h=cache.count("ephemeral_1h_input_tokens"),
            )
            key = (day, row.opt_text("api_key_id"), row.opt_text("model") or "unknown")
            into.setdefault(key, UsageTokens()).add(tokens)


def parse_cost_page(body: Any) -> list[CostLine]:
    """One ``cost_report`` page (grouped by description) as micro-dollar lines.

    ``amount`` is a decimal *string of cents* (``"123.45"`` is $1.23).
    """
    lines: list[CostLine] = []
    for bucket in PayloadReader(VENDOR, PATH_COST).body(body).list("data"):
        day = bucket.day("starting_at")
        for row in bucket.list("results"):
            row.currency("currency", default="USD")
            lines.append(
                CostLine(
                    day=day,
                    micros=row.money("amount", unit="cents"),
                    model=row.opt_text("model"),
                    token_type=row.opt_text("token_type"),
                    cost_type=row.opt_text("cost_type"),
                    description=row.opt_text("description"),
                )
            )
    return lines

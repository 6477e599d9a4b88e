"""Reading the Anthropic Admin API's usage and cost reports (vendor-apis.md §1a, §1b).

Every field is read through a ``PayloadReader``: a missing or mistyped field is a
``SchemaError`` naming the endpoint and the field (``data[2].results[0].amount``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connectors.payload import Node, PayloadReader
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

TYPE_FIELDS = dict(
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
        return getattr(self, TYPE_FIELDS[token_type])


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
    """Add one ``usage_report/messages`` page (grouped by api_key_id, model) to ``into``.

    A row whose every field is plainly well-formed is summed straight from its dict; any
    other is read through the payload reader's full checks (the same counts, or the error
    naming the field)."""
    for bucket in PayloadReader(VENDOR, PATH_USAGE).body(body).list("data"):
        day = bucket.day("starting_at")
        results = bucket.sequence("results")
        for i, raw in enumerate(results.value):
            plain = _plain_usage_row(raw)
            if plain is None:
                plain = _checked_usage_row(results.item(i))
            key_id, model, counts = plain
            key = (day, key_id, model or "unknown")
            tokens = into.get(key)
            if tokens is None:
                into[key] = UsageTokens(*counts)
            else:
                tokens.add(UsageTokens(*counts))


def _checked_usage_row(row: Node) -> tuple[str | None, str | None, tuple[int, ...]]:
    cache = row.obj("cache_creation")
    counts = (
        row.count("uncached_input_tokens"),
        row.count("output_tokens"),
        row.count("cache_read_input_tokens"),
        cache.count("ephemeral_5m_input_tokens"),
        cache.count("ephemeral_1h_input_tokens"),
    )
    return row.opt_text("api_key_id"), row.opt_text("model"), counts


def _plain_usage_row(row: Any) -> tuple[str | None, str | None, tuple[int, ...]] | None:
    """``_checked_usage_row`` of a row whose every field is plainly well-formed, else None."""
    cache = row.get("cache_creation") if type(row) is dict else None
    if type(cache) is not dict:
        return None
    counts = (
        row.get("uncached_input_tokens"),
        row.get("output_tokens"),
        row.get("cache_read_input_tokens"),
        cache.get("ephemeral_5m_input_tokens"),
        cache.get("ephemeral_1h_input_tokens"),
    )
    for count in counts:
        if type(count) is not int or count < 0:
            return None
    key_id, model = row.get("api_key_id"), row.get("model")
    if (key_id is not None and type(key_id) is not str) or (
        model is not None and type(model) is not str
    ):
        return None
    return key_id or None, model or None, counts


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

"""Reading the OpenAI Administration API's costs and completions usage (vendor-apis.md §4).

Both endpoints answer ``{object: "page", data: [bucket], has_more, next_page}``; a bucket is
``{start_time, end_time, results: [...]}`` with times in Unix seconds. Every field is read
through a ``PayloadReader``, so a missing or mistyped one is a ``SchemaError`` naming it
(``data[2].results[0].amount``).

- **Costs**: ``amount.value`` is a JSON *number of US dollars* that OpenAI computes in binary
  floating point (``0.30000000000000004``, ``1.5e-05``). ``VendorHttp`` parses it as ``Decimal``
  and each line becomes integer micro-dollars (half-even) here; a float never touches money.
  ``currency`` is lower-case ``"usd"``; anything else is refused.
- **Usage**: ``input_tokens`` *includes* ``input_cached_tokens`` and
  ``input_cache_write_tokens``; ``TokenCounts.from_inclusive_input`` splits it so every token
  is counted once. The ``*_text_tokens``/``*_audio_tokens``/``*_image_tokens`` fields are
  breakdowns of the same tokens and are never added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.dates import day_of_epoch_seconds
from connectors.payload import Node, PayloadReader
from connectors.tokens import TokenCounts

VENDOR = "openai"
PATH_COSTS = "/v1/organization/costs"
PATH_USAGE = "/v1/organization/usage/completions"
PATH_USERS = "/v1/organization/users"
PATH_PROJECT_KEYS = "/v1/organization/projects/{project_id}/api_keys"

#: What a cost line bills, read from the text after the model in its ``line_item``.
LineKind = str  # "input" | "output" | "cache_read" | "cache_write"


@dataclass(frozen=True)
class LineItem:
    """A cost ``line_item`` such as ``"gpt-4.1-2025-04-14, input"``, understood.

    ``model`` is set when the item names a model and what kind of tokens it bills (the label
    for cached input is not documented: anything mentioning "cach" counts as cached input);
    otherwise (``"web search tool calls"``) ``model`` and ``kind`` are ``None``. ``sku`` is the
    model, or the whole item for costs that belong to no model.
    """

    sku: str
    model: str | None = None
    kind: LineKind | None = None


def parse_line_item(text: str | None) -> LineItem:
    if not text:
        return LineItem("unknown")
    model, sep, label = text.partition(", ")  # model names hold no comma; labels may
    if not sep or not model.strip():
        return LineItem(text)
    label = label.lower()
    if "cach" in label:
        kind = "cache_write" if "writ" in label else "cache_read"
    elif "output" in label:
        kind = "output"
    elif "input" in label:
        kind = "input"
    else:
        return LineItem(text)
    return LineItem(model.strip(), model.strip(), kind)


@dataclass(frozen=True)
class CostLine:
    """One costs result, in integer micro-dollars."""

    day: dt.date
    micros: int
    project_id: str | None
    api_key_id: str | None
    item: LineItem


@dataclass(frozen=True)
class UsageRow:
    """One completions usage result (grouped by project, user, API key and model)."""

    day: dt.date
    project_id: str | None
    api_key_id: str | None
    user_id: str | None
    model: str
    tokens: TokenCounts
    requests: int

    def weight(self, kind: LineKind | None) -> int:
        """This row's share of a cost line billing ``kind`` tokens (all tokens when unknown)."""
        t = self.tokens
        if kind == "input":
            return t.input
        if kind == "output":
            return t.output
        if kind == "cache_read":
            return t.cache_read
        if kind == "cache_write":
            return t.cache_write
        return t.total


def _bucket_day(bucket: Node) -> dt.date:
    """The UTC day of a one-day bucket (its ``start_time``; today's bucket may end early)."""
    return day_of_epoch_seconds(bucket.integer("start_time"))


def _opt_count(row: Node, key: str) -> int:
    node = row.opt(key)
    return node.count() if node is not None else 0


def parse_costs_page(body: Any) -> list[CostLine]:
    """One ``/organization/costs`` page (grouped by project, line item and API key)."""
    lines: list[CostLine] = []
    for bucket in PayloadReader(VENDOR, PATH_COSTS).body(body).list("data"):
        day = _bucket_day(bucket)
        for row in bucket.list("results"):
            amount = row.obj("amount")
            amount.currency("currency", expected="usd")
            lines.append(
                CostLine(
                    day=day,
                    micros=amount.money("value", unit="usd"),
                    project_id=row.opt_text("project_id"),
                    api_key_id=row.opt_text("api_key_id"),
                    item=parse_line_item(row.opt_text("line_item")),
                )
            )
    return lines


def parse_usage_page(body: Any) -> list[UsageRow]:
    """One ``/organization/usage/completions`` page, every token counted once."""
    rows: list[UsageRow] = []
    for bucket in PayloadReader(VENDOR, PATH_USAGE).body(body).list("data"):
        day = _bucket_day(bucket)
        for row in bucket.list("results"):
            inclusive = row.count("input_tokens")
            cached = _opt_count(row, "input_cached_tokens")
            cache_write = _opt_count(row, "input_cache_write_tokens")
            try:
                tokens = TokenCounts.from_inclusive_input(
                    inclusive,
                    cached=cached,
                    cache_write=cache_write,
                    output=row.count("output_tokens"),
                )
            except ValueError as exc:
                raise row.reader.error(
                    f"{row.path}.input_tokens", f"is {inclusive}: {exc}"
                ) from None
            rows.append(
                UsageRow(
                    day=day,
                    project_id=row.opt_text("project_id"),
                    api_key_id=row.opt_text("api_key_id"),
                    user_id=row.opt_text("user_id"),
                    model=row.opt_text("model") or "unknown",
                    tokens=tokens,
                    requests=row.count("num_model_requests"),
                )
            )
    return rows


def usage_quantity(tokens: TokenCounts) -> Decimal | None:
    """Tokens as a consumed quantity (the unit guard's input), ``None`` when there are none."""
    return Decimal(tokens.total) if tokens.total else None

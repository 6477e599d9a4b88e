"""Allocating Anthropic's billed cost to API keys by usage (priced usage where kinds mix).

The cost report is the billed truth but knows no API key; the usage report knows keys but no
money. Each day, every cost line is shared among the usage rows (API key, model) it belongs
to, in proportion to a usage weight:

- a line with a model and a ``token_type`` ("Claude Sonnet 4.5 Usage - Output Tokens"): the
  rows of that model, weighted by that token type's count;
- a line with a model but no token type (or a type no row used): the rows of that model,
  weighted by their tokens at list price when the warehouse's price table prices the model
  (``FetchContext.token_rates``: an output token weighs what it costs, not what an input
  token does), else by their total tokens;
- anything no row can carry (web search, code execution, a model nobody used per the usage
  report): the explicit ``unattributed`` account, under the line's model or cost type.

Workbench rows (``api_key_id`` null) share like any row but land on ``unattributed``. Parts are
split with ``connectors.money.allocate`` (largest remainder), so each day's records sum to the
cost report's lines exactly. No price lives here: list prices come from the warehouse's price
table, as weights only; list-price equivalents are the warehouse's too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from operator import add, attrgetter

from connectors.anthropic.payloads import TOKEN_TYPES, TYPE_FIELDS, CostLine, UsageTokens
from connectors.contract import UNATTRIBUTED, UsageRecord
from connectors.money import allocate
from connectors.tokens import TokenRates

SERVICE_API = "Claude API"

RowKey = tuple[str | None, str]  # (api_key_id or None for Workbench, model)


def _weights(
    tokens: list[UsageTokens], token_type: str | None, rates: TokenRates | None = None
) -> list[int]:
    """The weights of one model's rows (``tokens``, in row order) for a cost line."""
    # TYPE_FIELDS: a KeyError for a type the usage report lacks
    weights = list(map(attrgetter(TYPE_FIELDS[token_type]), tokens)) if token_type else []
    if any(weights):
        return weights
    if rates is not None:  # mixed token kinds: weigh them at list price, when every row prices
        priced = [rates.weight(t.counts()) for t in tokens]
        if all(w is not None for w in priced) and any(priced):
            return [w for w in priced if w is not None]
    return [t.total for t in tokens]


def allocate_day(
    day: dt.date,
    usage: dict[RowKey, UsageTokens],
    costs: list[CostLine],
    rates: Callable[[str], TokenRates | None] | None = None,
) -> list[UsageRecord]:
    """Billed records for one day; their billed cost sums to the cost lines' sum exactly.
    ``rates`` (model → list prices, from the warehouse's price table) weighs a line that mixes
    token kinds by priced usage; without it (or for an unpriced model) by total tokens."""
    by_model: dict[str, list[RowKey]] = defaultdict(list)
    for row_key in sorted(usage, key=lambda k: (k[1], k[0] or "")):
        by_model[row_key[1]].append(row_key)

    pools: dict[tuple[str, str | None], int] = defaultdict(int)
    leftover: dict[str, int] = defaultdict(int)  # sku -> micros nobody can carry
    for line in costs:
        if line.model and line.model in by_model:
            kind = line.token_type if line.token_type in TOKEN_TYPES else None
            pools[(line.model, kind)] += line.micros
        else:
            leftover[line.model or line.cost_type or line.description or "other"] += line.micros

    # Each model's rows get their parts of every pool of that model, summed in row order.
    tokens_of = {model: [usage[r] for r in rows] for model, rows in by_model.items()}
    billed_of: dict[str, list[int]] = {}
    for (model, kind), micros in sorted(pools.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        weights = _weights(tokens_of[model], kind, rates(model) if rates and not kind else None)
        if not any(weights):
            leftover[model] += micros
            continue
        parts = allocate(micros, weights)
        summed = billed_of.get(model)
        billed_of[model] = parts if summed is None else list(map(add, summed, parts))

    # One record per (account, sku): Workbench rows and leftovers merge on "unattributed".
    # slot → [billed micros, input, output, cache read, cache write (5m + 1h)], or [micros]
    # alone for a leftover no row's tokens share.
    merged: dict[tuple[str, str], list[int]] = {}
    for model, rows in by_model.items():
        billed = billed_of.get(model) or [0] * len(rows)
        for (key_id, _), tokens, micros in zip(rows, tokens_of[model], billed, strict=True):
            slot = (key_id or UNATTRIBUTED, model)
            write = tokens.cache_write_5m + tokens.cache_write_1h
            columns = merged.get(slot)
            if columns is None:
                merged[slot] = [
                    micros,
                    tokens.uncached_input,
                    tokens.output,
                    tokens.cache_read,
                    write,
                ]
            else:
                columns[0] += micros
                columns[1] += tokens.uncached_input
                columns[2] += tokens.output
                columns[3] += tokens.cache_read
                columns[4] += write
    for sku, micros in leftover.items():
        columns = merged.get((UNATTRIBUTED, sku))
        if columns is None:
            merged[(UNATTRIBUTED, sku)] = [micros]
        else:
            columns[0] += micros

    records: list[UsageRecord] = []
    template = _BILLED.__dict__
    for slot in sorted(merged):
        columns = merged[slot]
        # What fast_replace does, its changes stored one by one (a record per API key, model
        # and day: a hundred thousand over 90 days).
        record = _new(UsageRecord)
        values = record.__dict__
        values.update(template)
        values["day"] = day
        values["account_key"], values["sku"] = slot
        values["billed_cost_micros"] = columns[0]
        if len(columns) > 1:
            _, uncached, output, cache_read, cache_write = columns
            total = uncached + output + cache_read + cache_write
            if total:
                values["consumed_quantity"] = Decimal(total)
                values["consumed_unit"] = "tokens"
            values["input_tokens"] = uncached
            values["output_tokens"] = output
            values["cache_read_tokens"] = cache_read
            values["cache_write_tokens"] = cache_write
        records.append(record)
    return records


_new = object.__new__


# What every billed Claude API record shares (``allocate_day`` fills in the rest).
_BILLED = UsageRecord(
    day=dt.date.min,
    account_key=UNATTRIBUTED,
    service=SERVICE_API,
    sku="",
    cost_basis="billed",
    confidence="high",
)

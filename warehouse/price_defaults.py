"""The model prices aispend ships: public list prices in USD per million tokens.

Source: vendor-apis.md has no model prices, so these are the vendors' public price pages as read
for this release: Anthropic's pricing page (standard tier; "cache write" is the 5-minute cache
write, 1.25× input; "cache read" 0.1× input) and OpenAI's API pricing page (standard tier;
"cache read" is cached input; OpenAI bills cache writes as ordinary input, so the cache-write
price equals the input price). They are list prices: the warehouse uses them for list-price
equivalents and usage weights, never as billed cost (``warehouse.prices``).

**Append-only.** A vendor's price change is a new entry with its own ``valid_from``; an entry
once shipped is never edited, so a day already priced keeps its price after an upgrade
(a test holds every (model, valid_from) unique). An admin's own prices (``aispend prices
set``) take precedence from their ``valid_from`` on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

#: The day from which this release's list applies (no usage of these models predates it).
SHIPPED_FROM = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class ShippedPrice:
    provider: str
    model: str
    valid_from: dt.date
    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None


def _p(provider: str, model: str, i: str, o: str, cr: str | None, cw: str | None) -> ShippedPrice:
    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return ShippedPrice(provider, model, SHIPPED_FROM, Decimal(i), Decimal(o), dec(cr), dec(cw))


SHIPPED_PRICES: tuple[ShippedPrice, ...] = (
    # Anthropic: input, output, cache read, cache write (5 minutes)
    _p("Anthropic", "claude-opus-4-5", "5", "25", "0.50", "6.25"),
    _p("Anthropic", "claude-opus-4-1", "15", "75", "1.50", "18.75"),
    _p("Anthropic", "claude-opus-4", "15", "75", "1.50", "18.75"),
    _p("Anthropic", "claude-sonnet-4-5", "3", "15", "0.30", "3.75"),
    _p("Anthropic", "claude-sonnet-4", "3", "15", "0.30", "3.75"),
    _p("Anthropic", "claude-3-7-sonnet", "3", "15", "0.30", "3.75"),
    _p("Anthropic", "claude-3-5-sonnet", "3", "15", "0.30", "3.75"),
    _p("Anthropic", "claude-haiku-4-5", "1", "5", "0.10", "1.25"),
    _p("Anthropic", "claude-3-5-haiku", "0.80", "4", "0.08", "1"),
    _p("Anthropic", "claude-3-haiku", "0.25", "1.25", "0.03", "0.30"),
    _p("Anthropic", "claude-3-opus", "15", "75", "1.50", "18.75"),
    # OpenAI: input, output, cached input, cache write (= input)
    _p("OpenAI", "gpt-5", "1.25", "10", "0.125", "1.25"),
    _p("OpenAI", "gpt-5-mini", "0.25", "2", "0.025", "0.25"),
    _p("OpenAI", "gpt-4.1", "2", "8", "0.50", "2"),
    _p("OpenAI", "gpt-4.1-mini", "0.40", "1.60", "0.10", "0.40"),
    _p("OpenAI", "gpt-4.1-nano", "0.10", "0.40", "0.025", "0.10"),
    _p("OpenAI", "gpt-4o", "2.50", "10", "1.25", "2.50"),
    _p("OpenAI", "gpt-4o-mini", "0.15", "0.60", "0.075", "0.15"),
    _p("OpenAI", "o3", "2", "8", "0.50", "2"),
    _p("OpenAI", "o4-mini", "1.10", "4.40", "0.275", "1.10"),
)

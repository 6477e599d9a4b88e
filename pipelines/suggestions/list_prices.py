"""Anthropic's public list prices, for the suggestions' estimates only (the cost of generating
a suggestion, the "cheaper model" hint). Never billed cost, never used by a connector: billed
totals are allocated by usage in ``connectors.anthropic``. Moved here from the connector when
model prices left connector code; the warehouse's model price table replaces this module when
it lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


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


# Anthropic's public price list (standard tier).
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

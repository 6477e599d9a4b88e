"""What the same tokens would have cost one model tier down (list prices): the "cheaper model"
hint of a suggestion. An estimate, never a billed figure; the savings mart replaces it when it
lands (only ``inputs`` calls this).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from pipelines.suggestions.list_prices import price_for

# Claude models one tier down, for "the same work on a cheaper model".
CHEAPER_TIER = {"opus": "claude-sonnet-4-5", "sonnet": "claude-haiku-4-5"}
MIN_SAVING_MICROS = 1_000_000  # a hint below $1 is not worth a sentence
_DATED = re.compile(r"-(\d{8}|latest)$")


def model_name(sku: str) -> str:
    """A model id without its release-date suffix: 'claude-opus-4-1-20250805' -> 'claude-opus-4-1'."""
    return _DATED.sub("", sku)


def cheaper_model(per_model: dict[str, list[int]]) -> tuple[str, str, int] | None:
    """(model, cheaper model, saving in micro-dollars): the biggest list-price saving from
    moving one model's tokens (input, output, cache read, cache write) one tier down, if ≥ $1."""
    best: tuple[int, str, str] | None = None
    for model, (inp, out, cache_read, cache_write) in per_model.items():
        price = price_for(model)
        tier = next((t for t in CHEAPER_TIER if t in model), None)
        if price is None or tier is None:
            continue
        cheaper = CHEAPER_TIER[tier]
        cheap = price_for(cheaper)
        if cheap is None:
            continue

        def cost(p, inp=inp, out=out, cache_read=cache_read, cache_write=cache_write) -> Decimal:
            return (
                inp * p.input
                + out * p.output
                + cache_read * p.cache_read
                + cache_write * p.cache_write_5m
            )

        saving = int((cost(price) - cost(cheap)).to_integral_value(rounding=ROUND_HALF_UP))
        if saving >= MIN_SAVING_MICROS and (best is None or saving > best[0]):
            best = (saving, model, cheaper)
    return None if best is None else (best[1], best[2], best[0])

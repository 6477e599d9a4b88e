"""What the same tokens would have cost one model tier down (list prices): the "cheaper model"
hint of a suggestion. An estimate, never a billed figure; the savings mart replaces it when it
lands (only ``inputs`` calls this).
"""

from __future__ import annotations

import re

from pipelines.suggestions.list_prices import list_price

# Claude models one tier down, for "the same work on a cheaper model".
CHEAPER_TIER = {"opus": "claude-sonnet-4-5", "sonnet": "claude-haiku-4-5"}
MIN_SAVING_MICROS = 1_000_000  # a hint below $1 is not worth a sentence
_DATED = re.compile(r"-(\d{8}|latest)$")


def model_name(sku: str) -> str:
    """A model id without its release-date suffix: 'claude-opus-4-1-20250805' -> 'claude-opus-4-1'."""
    return _DATED.sub("", sku)


def cheaper_model(per_model: dict[str, list[int]]) -> tuple[str, str, int] | None:
    """(model, cheaper model, saving in micro-dollars): the biggest list-price saving from
    moving one model's tokens (input, output, cache read, cache write) one tier down, if ≥ $1.
    A model (or a token kind) without a list price gives no hint."""
    best: tuple[int, str, str] | None = None
    for model, (inp, out, cache_read, cache_write) in per_model.items():
        tier = next((t for t in CHEAPER_TIER if t in model), None)
        if tier is None:
            continue
        cheaper = CHEAPER_TIER[tier]
        tokens = {
            "input_tokens": inp,
            "output_tokens": out,
            "cache_read_tokens": cache_read,
            "cache_write_tokens": cache_write,
        }
        now, cheap = list_price(model, **tokens).micros, list_price(cheaper, **tokens).micros
        if now is None or cheap is None:
            continue
        saving = now - cheap
        if saving >= MIN_SAVING_MICROS and (best is None or saving > best[0]):
            best = (saving, model, cheaper)
    return None if best is None else (best[1], best[2], best[0])

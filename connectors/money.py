"""Exact money for connectors: integer micro-dollars, never floats.

- ``to_micros(amount, unit=...)``: a vendor amount (USD or cents, as ``Decimal``/``int``/``str``)
  to integer micro-dollars (1 USD = 1_000_000). State the unit at every call site, so a reader
  sees at once whether ``"123.45"`` means dollars or cents (Anthropic and Cursor send cents;
  OpenAI and GitHub send dollars); ``PayloadReader.money`` requires it.
- ``allocate(total, weights)``: split a billed total over usage weights (tokens, requests…) so
  the parts sum to the total exactly (largest remainder).
- ``split_over_days(amount, start, end)``: spread a multi-day amount (a monthly seat fee, a
  manual entry) over its days in whole cents, summing to the amount exactly (``step=1`` for
  a count such as tokens).

This module imports nothing from aispend: the contract and every connector build on it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from itertools import repeat
from operator import mul
from typing import Literal

MICROS_PER_USD = 1_000_000
CENT_MICROS = 10_000
MoneyUnit = Literal["usd", "cents"]


def to_micros(amount: Decimal | int | str, *, unit: MoneyUnit = "usd") -> int:
    """Convert a vendor amount to integer micro-dollars, exactly where the input allows.

    ``unit`` is ``"usd"`` (``"1.23"`` is $1.23, the default) or ``"cents"`` (``"123"`` is $1.23). Anything
    finer than a micro-dollar is rounded half-even. Floats are refused: parse JSON with
    ``parse_float=Decimal`` (``VendorHttp`` does) so no binary rounding sneaks in.
    """
    if isinstance(amount, float):
        raise TypeError("money must not be a float; parse JSON with parse_float=Decimal")
    if isinstance(amount, bool):
        raise TypeError("money must be a number, not a bool")
    if unit not in ("usd", "cents"):
        raise ValueError(f"unit must be 'usd' or 'cents', not {unit!r}")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not a decimal amount") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not a finite amount")
    if unit == "cents":
        value = value / 100
    return int((value * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


_CENTS_MICROS: dict[Decimal | int, int] = {}
_CENTS_MICROS_MAX = 1 << 16


def cents_to_micros(amount: Decimal | int) -> int:
    """``to_micros(amount, unit="cents")``, remembered per amount for an ``int`` or a finite
    ``Decimal``: a page of usage events repeats the same prices (the result depends on the
    value only, so equal amounts share it). Anything else goes to ``to_micros`` as it is."""
    kind = type(amount)
    if kind is not int and (kind is not Decimal or not amount.is_finite()):
        return to_micros(amount, unit="cents")
    micros = _CENTS_MICROS.get(amount)
    if micros is None:
        micros = to_micros(amount, unit="cents")
        if len(_CENTS_MICROS) >= _CENTS_MICROS_MAX:
            _CENTS_MICROS.clear()
        _CENTS_MICROS[amount] = micros
    return micros


def micros_to_decimal(micros: int) -> Decimal:
    """Micro-dollars as exact decimal dollars (``1_230_000`` → ``Decimal("1.23")``)."""
    return Decimal(micros).scaleb(-6)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` (micro-dollars) over ``weights`` proportionally; parts sum to ``total``.

    Largest-remainder (Hamilton) rounding; ties go to the earlier weight. A negative total
    (a credit) is split like its absolute value, negated. Weights must be whole numbers ≥ 0
    with a positive sum; use usage (tokens, requests, seats, or tokens at the price table's list
    prices: ``connectors.tokens.TokenRates``) as weights, never a price held in connector code.
    """
    if min(weights, default=0) < 0:
        raise ValueError("allocate needs weights >= 0")
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("allocate needs a positive weight sum")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    # (quotient, remainder) of total * w / sum for every weight, worked out in C (a day's
    # usage rows by the thousand, once per cost line).
    shares = map(divmod, map(mul, weights, repeat(total)), repeat(weight_sum))
    parts, remainders = (list(column) for column in zip(*shares, strict=True))
    leftover = total - sum(parts)
    # Largest remainder first, ties in weight order (a stable sort, reversed, keeps it).
    order = sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def split_over_days(
    amount: int, start: dt.date, end: dt.date, *, step: int = CENT_MICROS
) -> list[tuple[dt.date, int]]:
    """Split a whole amount over the inclusive days ``start..end`` exactly.

    Every day gets the same number of ``step``s (whole cents of micro-dollars by default;
    ``step=1`` splits a count such as tokens); leftover steps go one each to the first days and
    what is smaller than a step (sub-cent micros, rare) to the last day. The parts always sum
    to ``amount``.
    """
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    if step < 1:
        raise ValueError("step must be at least 1")
    days = (end - start).days + 1
    sign = -1 if amount < 0 else 1
    steps, below_step = divmod(abs(amount), step)
    per_day, extra = divmod(steps, days)
    parts = []
    for i in range(days):
        part = (per_day + (1 if i < extra else 0)) * step
        if i == days - 1:
            part += below_step
        parts.append((start + dt.timedelta(days=i), sign * part))
    return parts

"""Dollar amounts as people type them ("228", "1,234.56", "$19.99") into exact micro-dollars."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from warehouse.errors import InvalidInput

#: Dollars: far above any invoice, far below what BIGINT micro-dollars hold.
MAX_DOLLARS = Decimal(1_000_000_000)


class AmountError(InvalidInput):
    """Not an amount in dollars; the message names what was typed."""


def dollars_to_micros(amount: Decimal | str | int) -> int:
    """``amount`` in dollars as integer micro-dollars; refuses text that is not a finite number,
    has more than 6 decimal places (finer than a micro-dollar) or exceeds ``MAX_DOLLARS``."""
    try:
        value = Decimal(str(amount).strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise AmountError(f"amount {amount!r} is not a number") from None
    if not value.is_finite():
        raise AmountError(f"amount {amount!r} is not a number")
    if value.as_tuple().exponent < -6:
        raise AmountError(f"amount {amount!r} has more than 6 decimal places")
    if abs(value) > MAX_DOLLARS:
        raise AmountError(f"amount {amount!r} is more than {MAX_DOLLARS:,} dollars")
    return int(value.scaleb(6))


def usd_text(micros: int) -> str:
    """Integer micro-dollars as "$1,234.57" (half-up to the cent), for messages and alerts."""
    sign, micros = ("-", -micros) if micros < 0 else ("", micros)
    cents = (micros + 5_000) // 10_000
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"

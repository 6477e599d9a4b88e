"""Display formatting for the dashboard. Storage is exact integer micro-dollars; only display rounds."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

MICROS_PER_DOLLAR = Decimal(1_000_000)
CENT = Decimal("0.01")


def usd(micros: int) -> str:
    """Integer micro-dollars as "$1,234.56" (negative: "-$1.50"), rounded half-up to the cent."""
    dollars = (Decimal(int(micros)) / MICROS_PER_DOLLAR).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if dollars < 0 else ""
    return f"{sign}${abs(dollars):,.2f}"


def dollars_text(micros: int) -> str:
    """Integer micro-dollars as a plain exact number for an input field: "228", "19.99"."""
    dollars = Decimal(int(micros)) / MICROS_PER_DOLLAR
    text = f"{dollars:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def month_label(month: str) -> str:
    """'2026-11' as 'November 2026'."""
    return dt.datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def current_month(today: dt.date | None = None) -> str:
    """The current UTC month as 'YYYY-MM'."""
    day = today or dt.datetime.now(dt.UTC).date()
    return f"{day.year:04d}-{day.month:02d}"


def usd_whole(micros: int) -> str:
    """Integer micro-dollars at a glance, without cents: "$14,280" (half-up to the dollar)."""
    sign, micros = ("-", -int(micros)) if micros < 0 else ("", int(micros))
    return f"{sign}${(micros + 500_000) // 1_000_000:,}"


def tokens_short(tokens: int | None) -> str:
    """39.6M, 287K, 950 — or "~" when unknown (unknown is not zero)."""
    if tokens is None:
        return "~"
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if tokens >= size:
            value = tokens / size
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(tokens)

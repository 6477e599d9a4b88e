"""Kiro's credits in US dollars, from the tenant's own prices (Kiro's reports carry credits).

- A **seat** is billed per user and month at its tier's price (``seat_prices``: the defaults
  are the public Pro $20, Pro+ $40 and Power $200 a month; contracts differ, so the admin sets
  them). A user holds a seat in a month when any report of that month names them; the tier is
  the last one reported that month. The fee is a ``Purchase`` amortised over the month's days
  (``connectors.purchases``), so a month's rows sum exactly to the price.
- **Overage** credits (``Overage_Credits_Used``, beyond the seat's monthly credits) are billed
  at ``price_per_credit`` each; credits within the plan cost nothing beyond the seat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.contract import ConnectorError
from connectors.money import to_micros

DEFAULT_SEAT_PRICES = '{"PRO": "20", "PRO_PLUS": "40", "POWER": "200"}'


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of ``day``'s calendar month."""
    first = day.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def seat_prices_micros(vendor: str, prices: Any) -> dict[str, int]:
    """``{"PRO": "20", …}`` (the ``seat_prices`` setting) as micro-dollars per tier and month."""
    if not isinstance(prices, Mapping) or not prices:
        raise ConnectorError(vendor, 'setting seat_prices must map tiers to prices: {"PRO": "20"}')
    parsed = {}
    for tier, price in prices.items():
        try:
            micros = to_micros(Decimal(str(price)), unit="usd")
        except (ArithmeticError, ValueError, TypeError):
            micros = -1
        if micros < 0:
            raise ConnectorError(
                vendor, f"setting seat_prices: {tier!r} has no valid price ({price!r})"
            )
        parsed[str(tier).upper()] = micros
    return parsed


def seat_price(vendor: str, prices: dict[str, int], tier: str) -> int:
    try:
        return prices[tier.upper()]
    except KeyError:
        raise ConnectorError(
            vendor,
            f"subscription tier {tier!r} has no price: add it to the seat_prices setting "
            f"(now {', '.join(sorted(prices))})",
        ) from None


def overage_micros(credits: Decimal, price_per_credit: Decimal) -> int:
    """What ``credits`` overage credits cost, exact to the micro-dollar."""
    return to_micros(credits * price_per_credit, unit="usd")

"""Month-end projection from daily amounts: realised + the trailing daily rate x days left.

One rule for budgets and forecasts. Integer micro-dollars in and out (the rate is floored to
the micro-dollar); a finished month projects exactly what it realised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

TRAILING_DAYS = 7


@dataclass(frozen=True)
class Projection:
    realised_micros: int
    daily_rate_micros: int
    days_left: int
    projected_micros: int


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of ``period`` ('YYYY-MM') and first day of the month after it."""
    first = dt.date.fromisoformat(f"{period}-01")
    return first, (first + dt.timedelta(days=32)).replace(day=1)


def project(
    per_day: Mapping[dt.date, int], period: str, today: dt.date, trailing_days: int = TRAILING_DAYS
) -> Projection:
    """Project ``period`` from amounts per day. The rate is the mean of the ``trailing_days``
    whole days before ``today`` (today is still filling up), within the month."""
    start, end = month_bounds(period)
    realised = sum(m for d, m in per_day.items() if start <= d < end)
    if not start <= today < end:
        return Projection(realised, 0, 0, realised)
    window_start = max(start, today - dt.timedelta(days=trailing_days))
    days = (today - window_start).days
    window = sum(m for d, m in per_day.items() if window_start <= d < today)
    rate = window // days if days else 0
    days_left = (end - today).days
    return Projection(realised, rate, days_left, realised + rate * days_left)

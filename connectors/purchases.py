"""Purchases spread over time: a seat fee billed for a month, amortised per day.

FOCUS keeps what was billed (``BilledCost``) apart from what a day of use cost
(``EffectiveCost``). A seat fee of $19 for October becomes 31 ``Purchase`` rows, one per day,
whose ``effective_cost_micros`` sum to exactly $19 (whole cents per day, leftover cents on the
first days). Where the money is billed is the connector's choice:

- ``billed_on=None`` (default): billed cost follows the same daily split, so each day's bill is
  the day's share (the vendor's control total per day is then that split too);
- ``billed_on=day``: the whole amount is billed on that day (the invoice date) and every other
  day's row bills 0 while still carrying its share of effective cost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.contract import UsageRecord
from connectors.money import split_over_days


def amortized_purchase(
    *,
    account_key: str,
    service: str,
    sku: str,
    amount_micros: int,
    period_start: dt.date,
    period_end: dt.date,
    within: tuple[dt.date, dt.date],
    billed_on: dt.date | None = None,
    **fields: Any,
) -> list[UsageRecord]:
    """The ``Purchase`` rows of one purchase for the days of ``within`` (the fetch range).

    ``period_start..period_end`` (inclusive) is what the amount pays for; rows are made for the
    days of that period inside ``within`` only, each from the whole period's split, so fetching
    a month in pieces gives the same rows as fetching it at once. ``fields`` are passed to every
    ``UsageRecord`` (``consumed_quantity=1, consumed_unit="seat"``, ``sub_account``…).
    """
    if billed_on is not None and not period_start <= billed_on <= period_end:
        raise ValueError(f"billed_on {billed_on} is outside {period_start}..{period_end}")
    lo, hi = within
    rows = []
    for day, share in split_over_days(amount_micros, period_start, period_end):
        if not lo <= day <= hi:
            continue
        billed = share
        if billed_on is not None:  # the whole amount on the invoice day, nothing elsewhere
            billed = amount_micros if day == billed_on else 0
        rows.append(
            UsageRecord(
                day=day,
                account_key=account_key,
                service=service,
                sku=sku,
                charge_category="Purchase",
                billed_cost_micros=billed,
                effective_cost_micros=share,
                **fields,
            )
        )
    return rows

"""Copilot seat fees: the tenant's seat plan (a price per plan with valid-from/valid-to dates)
and each seat's monthly fee as daily ``Purchase`` rows (``connectors.purchases``).

Rules (vendor-apis.md §3 and github/docs plans):

- a seat is billed the plan's monthly price for every calendar month it is held, split over
  the month's days (whole cents; a month's rows sum to exactly the price), up to the month
  before its ``pending_cancellation_date`` (the seat ends at the start of that cycle; until
  then it is billed). The first month is prorated: rows start on the day of ``created_at``
  (when access was last granted), so an hourly sync that first sees a new seat needs no
  re-sync of the days before it;
- the price of a month is the plan entry valid on the month's first day: a price change takes
  effect from the first month that starts on or after its ``valid_from``, and never re-prices
  the months before it;
- a seat whose ``plan_type`` is ``unknown`` is priced at the organisation's plan;
- a seat with no assignee (``assignee: null``) is billed to ``unattributed``.

The seat list is a snapshot of today: a seat removed before a sync is not in its history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.contract import UNATTRIBUTED, ConnectorError, UsageRecord, VendorTotal
from connectors.copilot.payloads import PLANS, VENDOR, Seat
from connectors.dates import days
from connectors.money import to_micros
from connectors.purchases import amortized_purchase

SERVICE = "GitHub Copilot"
SEAT_UNIT = "seat_days"
#: Defaults from github/docs plans.md: Business $19, Enterprise $39 per seat per month.
DEFAULT_SEAT_PLAN = (
    '[{"plan": "business", "usd_per_seat_month": "19"}, '
    '{"plan": "enterprise", "usd_per_seat_month": "39"}]'
)
SETTING = "seat_plan"


@dataclass(frozen=True)
class PlanPrice:
    plan: str
    micros_per_month: int
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # inclusive

    def covers(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def parse_seat_plan(value: Any) -> list[PlanPrice]:
    """The ``seat_plan`` setting: ``[{"plan", "usd_per_seat_month", "valid_from"?,
    "valid_to"?}, ...]``; raises ``ConnectorError`` naming the entry that is wrong."""
    if not isinstance(value, list) or not value:
        raise ConnectorError(VENDOR, f"setting {SETTING!r} must be a non-empty JSON list")
    prices = []
    for i, entry in enumerate(value):
        where = f"setting {SETTING!r} entry {i}"
        if not isinstance(entry, dict) or entry.get("plan") not in PLANS:
            raise ConnectorError(VENDOR, f"{where}: plan must be one of {', '.join(PLANS)}")
        try:
            amount = Decimal(str(entry.get("usd_per_seat_month")))
            bounds = [
                dt.date.fromisoformat(entry[k]) if entry.get(k) else None
                for k in ("valid_from", "valid_to")
            ]
            micros = to_micros(amount, unit="usd")
        except (ArithmeticError, ValueError, TypeError):
            raise ConnectorError(
                VENDOR,
                f"{where}: usd_per_seat_month and valid_from/valid_to (YYYY-MM-DD) "
                "must be a decimal amount and dates",
            ) from None
        if micros < 0:
            raise ConnectorError(VENDOR, f"{where}: a seat price cannot be negative")
        prices.append(PlanPrice(entry["plan"], micros, *bounds))
    return prices


def month_price(prices: list[PlanPrice], plan: str, month: dt.date) -> int:
    """Micro-dollars per seat for the month starting ``month`` (the entry valid on that day)."""
    found = [p for p in prices if p.plan == plan and p.covers(month)]
    if not found:
        raise ConnectorError(
            VENDOR, f"setting {SETTING!r} has no {plan} price valid on {month.isoformat()}"
        )
    if len(found) > 1:
        raise ConnectorError(
            VENDOR, f"setting {SETTING!r} has overlapping {plan} prices on {month.isoformat()}"
        )
    return found[0].micros_per_month


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def billed_months(seat: Seat, lo: dt.date, hi: dt.date) -> list[dt.date]:
    """First days of the months overlapping ``lo..hi`` for which the seat is billed."""
    first = _month_start(seat.created_day)
    last = None
    if seat.pending_cancellation is not None:
        last = _month_start(seat.pending_cancellation - dt.timedelta(days=1))
    months = []
    month = _month_start(lo)
    while month <= hi:
        if month >= first and (last is None or month <= last):
            months.append(month)
        month = _month_end(month) + dt.timedelta(days=1)
    return months


def seat_plan_of(seat: Seat, org_plan: str) -> str:
    return org_plan if seat.plan_type == "unknown" else seat.plan_type


def seat_fees(
    seats: list[Seat], org_plan: str, prices: list[PlanPrice], within: tuple[dt.date, dt.date]
) -> tuple[list[UsageRecord], list[VendorTotal]]:
    """The days of ``within``: one ``Purchase`` row per (login, day, plan), billed and
    amortised per day (a month's rows sum to the price), and the seats' control total per day
    (every seat, assigned or not, each split on its own)."""
    lo, hi = within
    rows: dict[tuple[str, dt.date, str], list[UsageRecord]] = defaultdict(list)
    totals: dict[dt.date, int] = dict.fromkeys(days(lo, hi), 0)
    for seat in seats:
        plan = seat_plan_of(seat, org_plan)
        sku = f"Copilot {plan.capitalize()} seat"
        account = seat.login or UNATTRIBUTED
        tags = {"seat_plan": plan}
        if seat.pending_cancellation is not None:
            tags["pending_cancellation"] = seat.pending_cancellation.isoformat()
        for month in billed_months(seat, lo, hi):
            for record in amortized_purchase(
                account_key=account,
                service=SERVICE,
                sku=sku,
                amount_micros=month_price(prices, plan, month),
                period_start=month,
                period_end=_month_end(month),
                within=within,
                consumed_quantity=Decimal(1),
                consumed_unit=SEAT_UNIT,
                tags=tags,
            ):
                if record.day < seat.created_day:
                    continue  # the first month is prorated from the day access was granted
                rows[(account, record.day, sku)].append(record)
                totals[record.day] += record.billed_cost_micros
    return [_merge(parts) for _, parts in sorted(rows.items())], [
        VendorTotal(day, micros, scope="seats") for day, micros in sorted(totals.items())
    ]


def _merge(parts: list[UsageRecord]) -> UsageRecord:
    """Several seats of one account on one day (seats without an assignee) as one row."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return UsageRecord(
        day=first.day,
        account_key=first.account_key,
        service=first.service,
        sku=first.sku,
        charge_category="Purchase",
        billed_cost_micros=sum(p.billed_cost_micros for p in parts),
        effective_cost_micros=sum(p.effective_cost_micros or 0 for p in parts),
        consumed_quantity=sum((p.consumed_quantity or Decimal(0) for p in parts), Decimal(0)),
        consumed_unit=first.consumed_unit,
        tags={"seat_plan": (first.tags or {}).get("seat_plan", ""), "seats": str(len(parts))},
    )

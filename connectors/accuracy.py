"""The accuracy invariant as pure functions: used by the pipeline's asset check (over sums the
warehouse computed) and by the conformance kit (over the records of one fetch).

1. **Control totals**: per UTC day, billed facts (people + ``unattributed``) equal the vendor's
   control total (``VendorTotal``) to the micro-dollar.
2. **Unit guard**: per day and consumed unit, billed ÷ quantity lies within the connector's
   declared ``UnitPrice`` range, so an amount read in the wrong unit (cents as dollars: 100×)
   fails even when facts and totals were read with the same mistake.
3. **Reconciliation**: an independent period figure (``ReconciliationTotal``) equals the billed
   facts of its period (and account), within its tolerance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from connectors.contract import ReconciliationTotal, UnitPrice, UsageRecord
from connectors.money import micros_to_decimal

UnitSums = Mapping[tuple[dt.date, str], tuple[int, Decimal]]


def _usd(micros: int) -> str:
    return f"${micros_to_decimal(micros):,.6f}".rstrip("0").rstrip(".")


def control_total_problems(
    billed: Mapping[dt.date, int], totals: Mapping[dt.date, int], days: Iterable[dt.date]
) -> list[str]:
    """Days whose billed facts differ from the control total, or that have billed facts but no
    control total. ``billed`` and ``totals`` map a day to micro-dollars."""
    problems = []
    for day in sorted(set(days)):
        got = billed.get(day, 0)
        if day not in totals:
            if got:
                problems.append(f"{day}: billed facts sum to {_usd(got)} but no control total")
            continue
        if got != totals[day]:
            problems.append(
                f"{day}: billed facts sum to {_usd(got)}, the vendor's total is "
                f"{_usd(totals[day])} (off by {_usd(got - totals[day])})"
            )
    return problems


def unit_sums(records: Iterable[UsageRecord], prices: Iterable[UnitPrice]) -> dict:
    """Billed micros and consumed quantity per (day, unit) over billed records with a quantity."""
    units = {p.unit for p in prices}
    sums: dict[tuple[dt.date, str], tuple[int, Decimal]] = {}
    for r in records:
        if r.cost_basis != "billed" or r.consumed_unit not in units or not r.consumed_quantity:
            continue
        billed, quantity = sums.get((r.day, r.consumed_unit), (0, Decimal(0)))
        sums[(r.day, r.consumed_unit)] = (
            billed + r.billed_cost_micros,
            quantity + Decimal(r.consumed_quantity),
        )
    return sums


def unit_price_problems(sums: UnitSums, prices: Iterable[UnitPrice]) -> list[str]:
    """Days whose amount per unit lies outside the declared range (the unit guard)."""
    by_unit = {p.unit: p for p in prices}
    problems = []
    for (day, unit), (billed, quantity) in sorted(sums.items()):
        price = by_unit.get(unit)
        if price is None or quantity <= 0 or billed == 0:
            continue
        per_unit = micros_to_decimal(billed) / Decimal(quantity)
        if not price.min_usd <= per_unit <= price.max_usd:
            problems.append(
                f"{day}: {per_unit:.3E} USD per {unit.rstrip('s')} is outside the plausible "
                f"{price.min_usd}..{price.max_usd}; is an amount in the wrong unit (cents "
                "read as dollars)?"
            )
    return problems


def reconciliation_problem(total: ReconciliationTotal, billed: int) -> str | None:
    """Why the billed facts of the period disagree with the vendor's independent figure."""
    if abs(billed - total.billed_cost_micros) <= total.tolerance_micros:
        return None
    who = f" for {total.account_key}" if total.account_key else ""
    return (
        f"{total.name}{who} {total.period_start}..{total.period_end}: the vendor reports "
        f"{_usd(total.billed_cost_micros)}, billed facts sum to {_usd(billed)}"
    )

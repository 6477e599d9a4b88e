"""Conformance scenarios about numbers: exact money, control totals, tokens counted once, the
unit guard, and reconciliation with the vendor's independent totals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

import pytest

from connectors.accuracy import (
    control_total_problems,
    reconciliation_problem,
    unit_price_problems,
    unit_sums,
)
from connectors.testing.base import KitBase
from connectors.testing.targets import ConformanceTarget
from connectors.tokens import TOKEN_COLUMNS, record_tokens

RECONCILIATION_DAYS = 40  # a fetch ending today that covers any calendar-month billing cycle


def _billed_by_day(records) -> dict[dt.date, int]:
    billed: dict[dt.date, int] = defaultdict(int)
    for r in records:
        if r.cost_basis == "billed":
            billed[r.day] += r.billed_cost_micros
    return billed


class MoneyScenarios(KitBase):
    def truths(
        self, target: ConformanceTarget, per_day: Callable[[dt.date], int | None]
    ) -> dict[dt.date, int] | None:
        """What the target knows for each day of the window; None when it knows nothing."""
        known = {day: per_day(day) for day in self.window_days_of(target)}
        if all(value is None for value in known.values()):
            return None
        return {day: value for day, value in known.items() if value is not None}

    def test_money_is_exact(self, conformance_target: ConformanceTarget) -> None:
        got = self.fetch_all(conformance_target)
        for r in got.usage:
            assert type(r.billed_cost_micros) is int, f"billed cost is not int micros: {r!r}"
            for name in ("list_cost_micros", "effective_cost_micros"):
                value = getattr(r, name)
                assert value is None or type(value) is int, f"{name} is not int micros: {r!r}"
            for name in (*TOKEN_COLUMNS, "requests"):
                value = getattr(r, name)
                assert value is None or (type(value) is int and value >= 0), f"{name}: {r!r}"
            assert r.consumed_quantity is None or isinstance(r.consumed_quantity, Decimal | int)
            assert not isinstance(r.consumed_quantity, float)
        for a in got.activity:
            assert isinstance(a.value, Decimal | int) and not isinstance(a.value, float), f"{a!r}"
        for t in got.vendor_totals:
            assert type(t.billed_cost_micros) is int, f"vendor total is not int micros: {t!r}"
        expected = {
            d: conformance_target.expected_billed_micros(d)
            for d in self.window_days_of(conformance_target)
        }
        if all(v is None for v in expected.values()):
            pytest.fail(
                "the target declares no billed total, so money was never compared: implement "
                "expected_billed_micros(day) on the simulated vendor (or bypass with a reason)"
            )
        assert any(expected.values()), "the target bills nothing in the window: nothing compared"
        billed = _billed_by_day(got.usage)
        for day, want in sorted(expected.items()):
            assert billed.get(day, 0) == want, (
                f"{day}: billed records sum to {billed.get(day, 0)} micros, the vendor billed {want}"
            )

    def test_vendor_control_totals_match(self, conformance_target: ConformanceTarget) -> None:
        """The connector reports the vendor's own total for every day it fetched (its control
        total channel, never an account), and people + unattributed equal it exactly."""
        got = self.fetch_all(conformance_target)
        if not got.vendor_totals:
            pytest.fail(
                "the connector reports no VendorTotal: yield the vendor's own daily total in "
                "FetchBatch.vendor_totals (or bypass with the reason the vendor publishes none)"
            )
        window = self.window_days_of(conformance_target)
        totals: dict[dt.date, int] = defaultdict(int)
        for t in got.vendor_totals:
            totals[t.day] += t.billed_cost_micros
        missing = [d for d in window if d not in totals]
        assert not missing, f"no control total for {missing}: report every fetched day, zero too"
        problems = control_total_problems(_billed_by_day(got.usage), totals, window)
        assert not problems, problems
        for day in window:
            want = conformance_target.expected_billed_micros(day)
            if want is not None:
                assert totals[day] == want, (
                    f"{day}: control total {totals[day]}, vendor billed {want}"
                )
        keys = {a.account_key for a in got.accounts} | {r.account_key for r in got.usage}
        assert not any(k.startswith("x_vendor_total") for k in keys), (
            "a control total is an account"
        )

    def test_tokens_are_counted_once(self, conformance_target: ConformanceTarget) -> None:
        """Summed token columns equal the tokens the vendor processed, each counted once (a
        view repeating tokens another record carries keeps them out of the columns)."""
        got = self.fetch_all(conformance_target)
        expected = {
            d: conformance_target.expected_tokens(d)
            for d in self.window_days_of(conformance_target)
        }
        if all(v is None for v in expected.values()):
            pytest.fail(
                "the target declares no processed tokens: implement expected_tokens(day) on the "
                "simulated vendor (or bypass with the reason the vendor reports no tokens)"
            )
        counted: dict[dt.date, int] = defaultdict(int)
        for r in got.usage:
            counted[r.day] += record_tokens(r)
        for day, want in sorted(expected.items()):
            assert counted.get(day, 0) == want, (
                f"{day}: token columns sum to {counted.get(day, 0)}, the vendor processed "
                f"{want} (a difference means tokens counted twice, or dropped)"
            )

    def test_unit_guard_catches_cents_read_as_dollars(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """Amounts read in the wrong unit (cents as dollars: 100×) fail: through the declared
        unit prices, or, for a connector without a fixed price per unit, through the vendor's
        independent period totals read from another endpoint (Cursor's ``/teams/spend``)."""
        prices = self.connector.unit_prices
        if not prices:
            self._guard_by_reconciliation(conformance_target)
            return
        got = self.fetch_all(conformance_target)
        sums = unit_sums(got.usage, prices)
        assert sums, f"no billed record carries a consumed quantity in {[p.unit for p in prices]}"
        problems = unit_price_problems(sums, prices)
        assert not problems, f"amounts per unit are implausible for unit_prices: {problems}"
        slipped = [
            dataclasses.replace(r, billed_cost_micros=r.billed_cost_micros * 100) for r in got.usage
        ]
        assert unit_price_problems(unit_sums(slipped, prices), prices), (
            "amounts 100x too large (cents read as dollars) pass the declared unit prices: "
            "narrow the ranges"
        )

    def _guard_by_reconciliation(self, target: ConformanceTarget) -> None:
        span = target.data_span()
        if span is None:
            pytest.fail(
                "declare unit_prices = (UnitPrice(unit, min_usd, max_usd), ...) for a consumed "
                "unit your billed records carry (or bypass with a reason)"
            )
        start = max(span[0], target.today - dt.timedelta(days=RECONCILIATION_DAYS))
        got = self.fetch_all(target, window=(start, target.today))
        if not got.reconciliation:
            pytest.fail(
                "no unit_prices and no ReconciliationTotal: declare unit_prices = (UnitPrice(unit, "
                "min_usd, max_usd), ...), or report the vendor's independent period totals, so "
                "an amount in the wrong unit fails (or bypass with a reason)"
            )

        def problems(records) -> list[str]:
            out = []
            for total in got.reconciliation:
                billed = sum(
                    r.billed_cost_micros
                    for r in records
                    if r.cost_basis == "billed"
                    and total.period_start <= r.day <= total.period_end
                    and (total.account_key is None or r.account_key == total.account_key)
                )
                problem = reconciliation_problem(total, billed)
                if problem is not None:
                    out.append(problem)
            return out

        assert not problems(got.usage), problems(got.usage)
        assert any(t.billed_cost_micros for t in got.reconciliation), (
            "every reconciliation total is zero, so a unit slip could not show"
        )
        slipped = [
            dataclasses.replace(r, billed_cost_micros=r.billed_cost_micros * 100) for r in got.usage
        ]
        assert problems(slipped), (
            "amounts 100x too large (cents read as dollars) still agree with the vendor's "
            "independent totals: the guard would not catch a unit slip"
        )

    def test_reconciliation_totals_agree(self, conformance_target: ConformanceTarget) -> None:
        """A fetch that reaches today reports the vendor's independent period totals, and each
        equals the billed records of its period (within its tolerance)."""
        span = conformance_target.data_span()
        if span is None:
            pytest.skip("the target holds no data beyond its window, so reconciliation is unproven")
        today = conformance_target.today
        start = max(span[0], today - dt.timedelta(days=RECONCILIATION_DAYS))
        got = self.fetch_all(conformance_target, window=(start, today))
        if not got.reconciliation:
            pytest.fail(
                "no ReconciliationTotal: report the vendor's independent totals (a billing "
                "cycle's spend) in FetchBatch.reconciliation, or bypass with the reason the "
                "vendor publishes none"
            )
        for total in got.reconciliation:
            assert start <= total.period_start <= total.period_end <= today, (
                f"{total}: its period is not inside the fetched {start}..{today}"
            )
            billed = sum(
                r.billed_cost_micros
                for r in got.usage
                if r.cost_basis == "billed"
                and total.period_start <= r.day <= total.period_end
                and (total.account_key is None or r.account_key == total.account_key)
            )
            problem = reconciliation_problem(total, billed)
            assert problem is None, problem

"""Conformance scenarios about fetching: range, repeatability, paging, windows, and faults."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.testing.base import KitBase
from connectors.testing.targets import ConformanceTarget


class FetchScenarios(KitBase):
    def test_fetch_stays_in_range(self, conformance_target: ConformanceTarget) -> None:
        start, end = conformance_target.window
        got = self.fetch_all(conformance_target)
        assert got.usage or got.activity, "a fetch over the window yielded no records at all"
        for record in [*got.usage, *got.activity, *got.vendor_totals]:
            assert start <= record.day <= end, f"{record!r} is outside {start}..{end}"
        for record in [*got.usage, *got.activity]:
            assert isinstance(record.account_key, str) and record.account_key

    def test_fetch_twice_gives_identical_records(
        self, conformance_target: ConformanceTarget
    ) -> None:
        first = self.fetch_all(conformance_target)
        second = self.fetch_all(conformance_target)
        assert first.canonical() == second.canonical()
        keys = [r.record_key("t", self.connector.name) for r in first.usage]
        assert len(keys) == len(set(keys)), "two usage records share a record key"

    def test_every_offered_page_is_consumed(self, conformance_target: ConformanceTarget) -> None:
        conformance_target.reset_pages()
        self.fetch_all(conformance_target)
        offered = conformance_target.pages_offered()
        if offered is None:
            pytest.skip("the target cannot tell which pages it offered, so paging is unproven")
        assert offered >= 1, (
            "every response fit in one page, so paging was never exercised: serve pages through "
            "SimulatedVendor.page_size(...) (the kit caps pages) or bypass with a reason"
        )
        assert conformance_target.unconsumed_pages() == [], "pages were offered but never read"

    def test_a_window_beyond_the_maximum_is_split(
        self, conformance_target: ConformanceTarget
    ) -> None:
        """Fetch ``max_window_days + 2`` days: a connector whose maximum is larger than the
        vendor allows gets the vendor's refusal (HTTP 400) here, not in production."""
        span = conformance_target.data_span()
        if span is None:
            pytest.skip("the target holds no data beyond its window, so long windows are unproven")
        length = self.connector.max_window_days + 2
        start = span[0]
        end = start + dt.timedelta(days=length - 1)
        got = self.fetch_all(conformance_target, window=(start, end))
        assert got.usage or got.activity, f"a {length}-day fetch yielded no records"
        for record in [*got.usage, *got.activity, *got.vendor_totals]:
            assert start <= record.day <= end, f"{record!r} is outside {start}..{end}"

    def test_survives_a_429_storm(self, conformance_target: ConformanceTarget) -> None:
        clean = self.fetch_all(conformance_target)
        conformance_target.set_faults(rate_limit_every=2, retry_after=0)
        stormy = self.fetch_all(conformance_target)
        conformance_target.clear_faults()
        self.require_served(conformance_target, "rate_limit", "the 429 storm")
        assert stormy.canonical() == clean.canonical()

    def test_survives_a_500_storm(self, conformance_target: ConformanceTarget) -> None:
        clean = self.fetch_all(conformance_target)
        conformance_target.set_faults(server_error_every=3)
        stormy = self.fetch_all(conformance_target)
        conformance_target.clear_faults()
        self.require_served(conformance_target, "server_error", "the 500 storm")
        assert stormy.canonical() == clean.canonical()

    def test_malformed_payload_is_a_clear_error(
        self, conformance_target: ConformanceTarget
    ) -> None:
        conformance_target.set_faults(malformed_every=1)
        self.assert_clear_error(conformance_target, "malformed JSON", "malformed")

    def test_missing_field_is_a_clear_error(self, conformance_target: ConformanceTarget) -> None:
        if not self.required_field:
            pytest.fail(
                "declare required_field = '<a field the connector needs>' on the conformance "
                "class (or bypass this scenario with a reason)"
            )
        conformance_target.set_faults(missing_field=self.required_field)
        self.assert_clear_error(
            conformance_target,
            f"missing field {self.required_field!r} (no response of the window contained it?)",
            "missing_field",
        )

"""Manual entries as a connector like any other: it joins the conformance kit through a static
admin-input target, splits entries into exact daily rows, reports its own control total, and
tags every row with who entered (and last edited) it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from connectors.contract import FetchContext
from connectors.dates import days
from connectors.manual import ManualConnector
from connectors.money import split_over_days
from connectors.testing import ConnectorConformance, StaticConfigTarget

ENTRIES = [
    {
        "id": 1,
        "provider": "GitHub",
        "service": "Copilot Business seats",
        "amount_micros": 190_000_000,
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "charge_category": "Purchase",
        "account_key": None,
        "account_name": None,
        "description": "10 seats",
        "created_by": "admin@example.com",
        "updated_by": None,
    },
    {
        "id": 2,
        "provider": "Cursor",
        "service": "Cursor seats",
        "amount_micros": 40_000_007,
        "tokens": 1_000_003,
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "charge_category": "Purchase",
        "account_key": "member:3",
        "account_name": "Ada Lovelace",
        "description": "",
        "created_by": "admin@example.com",
        "updated_by": "finance@example.com",
    },
    {
        "id": 3,
        "provider": "OpenAI",
        "service": "ChatGPT Team",
        "amount_micros": -5_000_000,
        "period_start": "2026-09-29",
        "period_end": "2026-10-01",
        "charge_category": "Credit",
        "account_key": None,
        "account_name": None,
        "description": "refund",
        "created_by": "finance@example.com",
        "updated_by": None,
    },
]
SPAN = (dt.date(2026, 9, 1), dt.date(2026, 10, 31))


def _on(day: dt.date, field: str, step: int) -> int:
    return sum(
        part
        for e in ENTRIES
        if e.get(field) is not None
        for d, part in split_over_days(
            e[field],
            dt.date.fromisoformat(e["period_start"]),
            dt.date.fromisoformat(e["period_end"]),
            step=step,
        )
        if d == day
    )


def billed_on(day: dt.date) -> int:
    return _on(day, "amount_micros", 10_000)


def tokens_on(day: dt.date) -> int:
    return _on(day, "tokens", 1)


class TestManualConformance(ConnectorConformance):
    connector = ManualConnector
    bypass = {
        "test_check_rejects_bad_credentials": "manual entries need no credentials to reject",
        "test_survives_a_429_storm": "admin input is read from the warehouse, not over HTTP",
        "test_survives_a_500_storm": "admin input is read from the warehouse, not over HTTP",
        "test_malformed_payload_is_a_clear_error": "the warehouse builds the input; no payload",
        "test_missing_field_is_a_clear_error": "the warehouse builds the input; no payload",
        "test_unit_guard_catches_cents_read_as_dollars": (
            "an entry states an amount in dollars, typed by an admin; no consumed unit"
        ),
        "test_reconciliation_totals_agree": "the admin's entry is the only figure there is",
    }

    @pytest.fixture
    def conformance_target(self) -> Iterator[StaticConfigTarget]:
        yield StaticConfigTarget(
            {"entries": ENTRIES},
            (dt.date(2026, 9, 28), dt.date(2026, 10, 2)),
            billed=billed_on,
            tokens=tokens_on,  # an entry's optional token count, split like its amount
            span=SPAN,
        )


def _fetch(start: dt.date, end: dt.date, entries=ENTRIES):
    return list(ManualConnector().fetch({"entries": entries}, start, end, FetchContext()))


def test_rows_are_tagged_with_who_entered_and_edited_them():
    [batch] = _fetch(dt.date(2026, 9, 30), dt.date(2026, 10, 1))
    by_entry = {r.tags["entry_id"]: r for r in batch.usage}
    assert by_entry["1"].tags == {
        "entry_id": "1",
        "entered_by": "admin@example.com",
        "description": "10 seats",
    }
    assert by_entry["2"].tags["edited_by"] == "finance@example.com"
    assert by_entry["2"].account_key == "member:3"
    assert {r.confidence for r in batch.usage} == {"medium"}
    assert by_entry["3"].charge_category == "Credit" and by_entry["3"].billed_cost_micros < 0


def test_a_window_gets_the_rows_of_a_whole_period_split():
    [batch] = _fetch(dt.date(2026, 10, 10), dt.date(2026, 10, 12))
    assert [r.day.day for r in batch.usage] == [10, 11, 12]
    whole = dict(split_over_days(40_000_007, dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    assert [r.billed_cost_micros for r in batch.usage] == [
        whole[d] for d in days(dt.date(2026, 10, 10), dt.date(2026, 10, 12))
    ]
    assert [(t.day.day, t.billed_cost_micros) for t in batch.vendor_totals] == [
        (d.day, whole[d]) for d in days(dt.date(2026, 10, 10), dt.date(2026, 10, 12))
    ]


def test_input_span_and_fingerprint_follow_the_entries():
    connector = ManualConnector()
    assert connector.input_span({"entries": ENTRIES}) == SPAN
    assert connector.input_span({"entries": []}) is None
    edited = [{**ENTRIES[0], "amount_micros": 1}, *ENTRIES[1:]]
    before = connector.input_fingerprint({"entries": ENTRIES})
    assert before == connector.input_fingerprint({"entries": list(ENTRIES)})
    assert before != connector.input_fingerprint({"entries": edited})

"""Activity stored one row per (account, day), its metrics in a JSON object (SQLite and
PostgreSQL): exact values, the ``activity_facts`` view, metrics spread over batches, and a
metric reported twice failing the write as the one-row-per-metric table did."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from connectors.contract import ActivityRecord, DayActivity, FetchBatch
from warehouse import facts
from warehouse.activity_days import json_number, metrics_json
from warehouse.facts import replace_partition
from warehouse.models import ActivityDay, ActivityFact, Tenant

D1 = dt.date(2025, 3, 1)
D2 = dt.date(2025, 3, 2)


def _tenant(engine) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug="acme", name="Acme").returning(Tenant.id)
        ).scalar_one()


def _write(engine, tenant_id, batches):
    return replace_partition(
        engine,
        tenant_id,
        "cursor",
        D1,
        D2,
        batches,
        source_type="api",
        provider="Cursor",
        run_id="run-1",
    )


def _view(engine, tenant_id):
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ActivityFact.account_key, ActivityFact.day, ActivityFact.metric, ActivityFact.value
            )
            .where(ActivityFact.tenant_id == tenant_id)
            .order_by(ActivityFact.account_key, ActivityFact.day, ActivityFact.metric)
        ).all()
    return [(a, d, m, Decimal(v)) for a, d, m, v in rows]


def _days(engine, tenant_id):
    with engine.connect() as conn:
        return conn.execute(
            select(ActivityDay.account_key, ActivityDay.day, ActivityDay.metrics)
            .where(ActivityDay.tenant_id == tenant_id)
            .order_by(ActivityDay.account_key, ActivityDay.day)
        ).all()


def test_json_numbers_are_exact():
    assert [json_number(v) for v in (3, Decimal("3.000000"), Decimal("-0.25"), True)] == [
        "3",
        "3",
        "-0.25",
        "1",
    ]
    assert json_number(Decimal("1E+2")) == "100" and json_number(Decimal("1.5E-7")) == "0.00000015"
    assert metrics_json({"a": 1, 'q"x': Decimal("2.50")}) == '{"a":1,"q\\"x":2.5}'
    with pytest.raises(ValueError, match="finite"):
        json_number(Decimal("NaN"))


def test_integer_metrics_are_the_json_modules_compact_text_whatever_their_names():
    names = ["sessions", "ü", "𝄞", 'q"x', "back\\slash", "tab\t", "del\x7f", "\u2028", ""]
    values = [0, -1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]
    for name in names:
        for value in values:
            metrics = {"lines_added": 40, name: value}
            assert metrics_json(metrics) == json.dumps(metrics, separators=(",", ":"))


def test_a_days_metrics_are_one_row_and_the_view_unnests_them(engine):
    tid = _tenant(engine)
    batch = FetchBatch(
        activity=[
            ActivityRecord(D1, "ada", "chat_requests", 12),
            ActivityRecord(D1, "ada", "acceptance_rate", Decimal("0.375")),
            ActivityRecord(D1, "bob", "chat_requests", 0),
            ActivityRecord(D2, "ada", "lines_added", Decimal("340")),
        ]
    )
    result = _write(engine, tid, [batch])
    assert (result.activity_rows, result.activity_days) == (4, 3)
    assert result.rows == 3  # rows stored, not the values in them
    days = _days(engine, tid)
    assert [(a, d) for a, d, _ in days] == [("ada", D1), ("ada", D2), ("bob", D1)]
    assert days[0].metrics == {"chat_requests": 12, "acceptance_rate": 0.375}
    assert days[1].metrics == {"lines_added": 340}  # an integral Decimal is a JSON integer
    assert _view(engine, tid) == [
        ("ada", D1, "acceptance_rate", Decimal("0.375")),
        ("ada", D1, "chat_requests", Decimal(12)),
        ("ada", D2, "lines_added", Decimal(340)),
        ("bob", D1, "chat_requests", Decimal(0)),
    ]


def test_metrics_of_a_day_spread_over_flushed_batches_merge_into_its_row(engine, monkeypatch):
    monkeypatch.setattr(facts, "CHUNK_ROWS", 1)  # every batch is written before the next
    tid = _tenant(engine)
    batches = [
        FetchBatch(activity=[ActivityRecord(D1, "ada", "chat_requests", 2)]),
        FetchBatch(activity=[ActivityRecord(D1, "ada", "acceptance_rate", Decimal("0.5"))]),
        FetchBatch(activity=[ActivityRecord(D1, "ada", "lines_added", 7)]),
    ]
    result = _write(engine, tid, batches)
    assert (result.activity_rows, result.activity_days) == (3, 1)
    [(_, _, metrics)] = _days(engine, tid)
    assert metrics == {"chat_requests": 2, "acceptance_rate": 0.5, "lines_added": 7}
    assert [v for *_, v in _view(engine, tid)] == [Decimal("0.5"), Decimal(2), Decimal(7)]


@pytest.mark.parametrize("flushed", [False, True], ids=["same-chunk", "flushed"])
def test_a_metric_reported_twice_fails_the_write_and_keeps_the_previous_rows(
    engine, monkeypatch, flushed
):
    tid = _tenant(engine)
    _write(engine, tid, [FetchBatch(activity=[ActivityRecord(D1, "ada", "chat_requests", 1)])])
    if flushed:
        monkeypatch.setattr(facts, "CHUNK_ROWS", 1)
    twice = [
        FetchBatch(activity=[ActivityRecord(D1, "bob", "chat_requests", 5)]),
        FetchBatch(activity=[ActivityRecord(D1, "bob", "chat_requests", 6)]),
    ]
    dbapi = engine.dialect.loaded_dbapi
    with pytest.raises(dbapi.IntegrityError, match="'chat_requests' of 'bob' on 2025-03-01"):
        _write(engine, tid, twice)
    assert _view(engine, tid) == [("ada", D1, "chat_requests", Decimal(1))]


@pytest.mark.parametrize("chunk", [100_000, 1], ids=["one-chunk", "flushed-per-batch"])
def test_grouped_activity_writes_the_rows_one_record_per_metric_writes(engine, monkeypatch, chunk):
    """``DayActivity`` (one per account and day) and ``ActivityRecord`` (one per metric) are
    two shapes of the same facts: mixed and spread over batches, the same rows."""
    monkeypatch.setattr(facts, "CHUNK_ROWS", chunk)
    flat = [
        ActivityRecord(D1, "ada", "chat_requests", 12),
        ActivityRecord(D1, "ada", "acceptance_rate", Decimal("0.375")),
        ActivityRecord(D2, "ada", "lines_added", 340),
        ActivityRecord(D1, "bob", "chat_requests", 0),
    ]
    by_records = _tenant(engine)
    _write(engine, by_records, [FetchBatch(activity=flat)])
    with engine.begin() as conn:
        grouped = conn.execute(
            insert(Tenant).values(slug="beta", name="Beta").returning(Tenant.id)
        ).scalar_one()
    batches = [
        FetchBatch(activity_days=[DayActivity(D1, "ada", {"chat_requests": 12})]),
        FetchBatch(
            activity=[ActivityRecord(D1, "ada", "acceptance_rate", Decimal("0.375"))],
            activity_days=[DayActivity(D2, "ada", {"lines_added": 340})],
        ),
        FetchBatch(
            activity_days=[DayActivity(D1, "bob", {"chat_requests": 0}), DayActivity(D2, "cy", {})]
        ),
    ]
    assert [r for b in batches for r in b.activity_records()] == [
        flat[0],
        flat[1],
        flat[2],
        flat[3],
    ]
    result = _write(engine, grouped, batches)
    assert (result.activity_rows, result.activity_days) == (4, 3)  # no row for an empty group
    assert _days(engine, grouped) == _days(engine, by_records)
    assert _view(engine, grouped) == _view(engine, by_records)


def test_a_metric_given_in_both_shapes_fails_and_a_group_outside_the_range_is_refused(engine):
    tid = _tenant(engine)
    twice = FetchBatch(
        activity=[ActivityRecord(D1, "bob", "chat_requests", 5)],
        activity_days=[DayActivity(D1, "bob", {"lines_added": 1, "chat_requests": 6})],
    )
    dbapi = engine.dialect.loaded_dbapi
    with pytest.raises(dbapi.IntegrityError, match="'chat_requests' of 'bob' on 2025-03-01"):
        _write(engine, tid, [twice])
    outside = FetchBatch(activity_days=[DayActivity(D2 + dt.timedelta(days=1), "bob", {"a": 1})])
    with pytest.raises(ValueError, match="2025-03-03 is outside the requested range"):
        _write(engine, tid, [outside])
    assert _view(engine, tid) == []

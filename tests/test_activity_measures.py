"""What the marts read of an activity day, stored when it is written (SQLite and PostgreSQL):
the writer, a merge of late metrics and a plain insert store the figures the SQL derives from
the metrics (``measures_sql``, what migration 0019 filled older rows with and what
``member_daily`` computed before), for integers, exact non-integers, zeros and control figures."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import insert, select, text

from connectors.contract import ActivityRecord, DayActivity, FetchBatch
from warehouse import facts
from warehouse.activity_measures import day_measures, measures_sql
from warehouse.facts import replace_partition
from warehouse.models import ActivityDay, Tenant
from warehouse.seconds_saved import SECONDS_SAVED_PER_UNIT

D1, D2, D3 = dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3)
METRICS = [
    {"lines_added": 10, "chat_requests": 2, "pull_requests": 1, "commits": 3},
    {"x_control_total": 5},  # control figures only: nobody's day (is_active NULL)
    {"cmdk_usages": 0, "x_control_total": 4},  # somebody's metric, none above zero
    {"accepted_lines_added": Decimal("2.5"), "agent_requests": Decimal("-1.5")},
    {"composer_requests": Decimal("0.4"), "acceptance_rate": Decimal("0.375")},
]


def _tenant(engine) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug="acme", name="Acme").returning(Tenant.id)
        ).scalar_one()


def _stored_and_derived(engine, tenant_id) -> list[tuple]:
    """Per row: (account, day, stored seconds, stored is_active, the same from SQL)."""
    seconds, active = measures_sql(engine.dialect.name, "metrics")
    with engine.connect() as conn:
        return conn.execute(
            text(
                f"SELECT account_key, day, default_seconds_saved, is_active, {seconds}, {active}"
                " FROM activity_days WHERE tenant_id = :t ORDER BY account_key, day"
            ),
            {"t": tenant_id},
        ).all()


def _assert_stored_as_derived(rows) -> None:
    assert rows
    for account, day, seconds, active, sql_seconds, sql_active in rows:
        assert (seconds, active) == (sql_seconds, sql_active), (account, day)
        assert seconds is not None


def test_the_writer_stores_what_the_sql_derives(engine, monkeypatch):
    tid = _tenant(engine)
    monkeypatch.setattr(facts, "CHUNK_ROWS", 1)  # every batch written before the next: merges
    batches = [
        FetchBatch(activity_days=[DayActivity(D1, f"u{i}", m) for i, m in enumerate(METRICS)]),
        FetchBatch(activity=[ActivityRecord(D1, "u1", "chat_requests", 4)]),  # merged: active
        FetchBatch(activity=[ActivityRecord(D1, "u0", "cmdk_usages", 2)]),  # merged: +30 s
        FetchBatch(activity=[ActivityRecord(D2, "u2", "x_other", 1)]),
    ]
    replace_partition(
        engine, tid, "cursor", D1, D2, batches, source_type="api", provider="Cursor", run_id=None
    )
    rows = _stored_and_derived(engine, tid)
    _assert_stored_as_derived(rows)
    got = [(a, s, act) for a, _, s, act, *_ in rows]  # by account, then day
    # u3: 2.5 lines (×6) and -1.5 agent requests (×60): truncated on SQLite, rounded half away
    # from zero on PostgreSQL, as each engine's CAST(… AS BIGINT) does.
    u3 = 2 * 6 - 1 * 60 if engine.dialect.name == "sqlite" else 3 * 6 - 2 * 60
    assert got == [
        ("u0", 10 * 6 + 2 * 30 + 600 + 2 * 15, 1),
        ("u1", 4 * 30, 1),
        ("u2", 0, 0),
        ("u2", 0, None),
        ("u3", u3, 1),
        ("u4", 0, 1),
    ]


def test_a_plain_insert_fills_them_too(engine):
    tid = _tenant(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(ActivityDay),
            [
                {
                    "tenant_id": tid,
                    "source": "cursor",
                    "account_key": f"u{i}",
                    "day": D3,
                    "metrics": m,
                }
                # (a plain insert takes JSON's own numbers: no Decimal)
                for i, m in enumerate([*METRICS[:3], {"accepted_lines_added": 2.5}])
            ],
        )
    _assert_stored_as_derived(_stored_and_derived(engine, tid))
    with engine.connect() as conn:
        first = conn.execute(
            select(ActivityDay.default_seconds_saved, ActivityDay.is_active).where(
                ActivityDay.account_key == "u0"
            )
        ).one()
    assert tuple(first) == (10 * 6 + 2 * 30 + 600, 1)


def test_day_measures_read_each_metric_once():
    assert day_measures({}, "sqlite") == (0, None)
    assert day_measures({"x_a": 3, "lines_added": 1}, "postgresql") == (6, 1)
    assert day_measures({"lines_added": True}, "sqlite") == (6, 1)


def test_the_stored_seconds_follow_these_coefficients():
    """activity_days.default_seconds_saved holds the seconds at these coefficients: changing
    one needs a migration recomputing the column (warehouse.activity_measures.measures_sql),
    then this pin updated with it."""
    assert json.dumps(SECONDS_SAVED_PER_UNIT, sort_keys=True) == json.dumps(
        {
            "accepted_lines_added": 6,
            "agent_requests": 60,
            "chat_requests": 30,
            "cmdk_usages": 15,
            "composer_requests": 60,
            "lines_added": 6,
            "pull_requests": 600,
        },
        sort_keys=True,
    )

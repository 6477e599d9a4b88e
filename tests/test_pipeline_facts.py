"""replace_partition and sync status on SQLite and PostgreSQL: idempotent, atomic, range-checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from connectors.contract import Account, ActivityRecord, FetchBatch, UsageRecord
from warehouse import sync_status
from warehouse.facts import replace_partition
from warehouse.models import ActivityFact, Tenant, UsageFact, VendorAccount

D1 = dt.date(2025, 3, 1)
D2 = dt.date(2025, 3, 2)
D3 = dt.date(2025, 3, 3)


def _tenant(engine, slug: str = "acme") -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug=slug, name=slug).returning(Tenant.id)
        ).scalar_one()


def _batches(days: list[dt.date], cost: int = 1_250_000) -> Iterator[FetchBatch]:
    for day in days:
        yield FetchBatch(
            usage=[
                UsageRecord(
                    day=day,
                    account_key="ada@example.com",
                    service="API",
                    sku="m1",
                    billed_cost_micros=cost,
                    input_tokens=10,
                ),
                UsageRecord(
                    day=day,
                    account_key="unattributed",
                    service="API",
                    sku="m1",
                    billed_cost_micros=5,
                ),
            ],
            activity=[
                ActivityRecord(
                    day=day, account_key="ada@example.com", metric="sessions", value=Decimal("3")
                )
            ],
            accounts=[Account("ada@example.com", display_name="Ada", email="ada@example.com")],
        )


def _write(engine, tenant_id, batches, start=D1, end=D3):
    return replace_partition(
        engine,
        tenant_id,
        "anthropic",
        start,
        end,
        batches,
        source_type="api",
        provider="Anthropic",
        run_id="run-1",
    )


def _usage(engine, tenant_id):
    with engine.connect() as conn:
        return conn.execute(
            select(
                UsageFact.charge_period_start,
                UsageFact.charge_period_end,
                UsageFact.account_key,
                UsageFact.billed_cost_micros,
                UsageFact.record_key,
            )
            .where(UsageFact.tenant_id == tenant_id)
            .order_by(UsageFact.charge_period_start, UsageFact.account_key)
        ).all()


def test_replace_partition_is_idempotent(engine):
    tid = _tenant(engine)
    first = _write(engine, tid, _batches([D1, D2, D3]))
    rows_first = _usage(engine, tid)
    second = _write(engine, tid, _batches([D1, D2, D3]))
    rows_second = _usage(engine, tid)
    assert first.usage_rows == second.usage_rows == 6
    assert first.activity_rows == 3
    assert rows_first == rows_second
    assert rows_first[0].charge_period_end == D1 + dt.timedelta(days=1)
    assert rows_first[0].record_key == UsageRecord(
        day=D1, account_key="ada@example.com", service="API", sku="m1"
    ).record_key(str(tid), "anthropic")
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(UsageFact.billed_cost_micros))).scalar_one()
        accounts = conn.execute(
            select(VendorAccount.account_key, VendorAccount.display_name).order_by(
                VendorAccount.account_key
            )
        ).all()
        activity = conn.execute(select(func.count()).select_from(ActivityFact)).scalar_one()
    assert total == 3 * (1_250_000 + 5)
    assert [tuple(a) for a in accounts] == [("ada@example.com", "Ada"), ("unattributed", None)]
    assert activity == 3


def test_replace_partition_only_touches_its_range(engine):
    tid = _tenant(engine)
    _write(engine, tid, _batches([D1, D2, D3]))
    _write(engine, tid, _batches([D3], cost=7), start=D3, end=D3)
    rows = _usage(engine, tid)
    assert [r.billed_cost_micros for r in rows if r.account_key != "unattributed"] == [
        1_250_000,
        1_250_000,
        7,
    ]


def test_failure_mid_stream_leaves_previous_rows_intact(engine):
    tid = _tenant(engine)
    _write(engine, tid, _batches([D1, D2, D3]))
    before = _usage(engine, tid)

    def broken() -> Iterator[FetchBatch]:
        yield from _batches([D1], cost=99)
        raise RuntimeError("vendor went away")

    with pytest.raises(RuntimeError, match="vendor went away"):
        _write(engine, tid, broken())
    assert _usage(engine, tid) == before


def test_record_outside_range_is_rejected(engine):
    tid = _tenant(engine)
    _write(engine, tid, _batches([D1, D2]))
    before = _usage(engine, tid)
    with pytest.raises(ValueError, match=r"anthropic.*2025-03-04"):
        _write(engine, tid, _batches([D2, dt.date(2025, 3, 4)]), start=D1, end=D3)
    assert _usage(engine, tid) == before


def test_sync_status_records_attempt_success_failure(engine):
    tid = _tenant(engine)
    assert sync_status.get_status(engine, tid, "cursor") is None
    sync_status.record_attempt(engine, tid, "cursor")
    sync_status.record_success(engine, tid, "cursor", 42)
    sync_status.record_attempt(engine, tid, "cursor")
    sync_status.record_failure(engine, tid, "cursor", "cursor at /teams/daily-usage-data: 401")
    state = sync_status.get_status(engine, tid, "cursor")
    assert state.rows == 42
    assert state.last_error == "cursor at /teams/daily-usage-data: 401"
    assert state.last_success_at is not None and state.last_attempt_at >= state.last_success_at
    assert sync_status.freshness(state.last_success_at, state.last_success_at) == "fresh"
    later = state.last_success_at + dt.timedelta(hours=30)
    assert sync_status.freshness(state.last_success_at, later) == "old"

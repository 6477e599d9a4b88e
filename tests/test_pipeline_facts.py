"""replace_partition and sync status on SQLite and PostgreSQL: idempotent, atomic, range-checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from connectors.contract import (
    Account,
    ActivityRecord,
    FetchBatch,
    ReconciliationTotal,
    UsageRecord,
    VendorTotal,
)
from warehouse import sync_status
from warehouse.facts import replace_partition
from warehouse.models import (
    ActivityFact,
    Tenant,
    UsageFact,
    VendorAccount,
    VendorBilledTotal,
    VendorReconciliationTotal,
)

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


def _write(engine, tenant_id, batches, start=D1, end=D3, source="anthropic"):
    return replace_partition(
        engine,
        tenant_id,
        source,
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


def test_other_writers_go_on_while_a_partition_streams(engine):
    """On SQLite the rows are staged: the one write lock is not held while the vendor is
    fetched, so another source's sync (its status, its whole partition) is written meanwhile."""
    tid = _tenant(engine)

    def slow_vendor() -> Iterator[FetchBatch]:
        yield from _batches([D1])
        sync_status.record_attempt(engine, tid, "cursor")
        _write(engine, tid, _batches([D1, D2], cost=7), source="cursor")
        yield from _batches([D2, D3])

    result = _write(engine, tid, slow_vendor())
    assert result.usage_rows == 6
    assert sync_status.get_status(engine, tid, "cursor").last_attempt_at is not None
    with engine.connect() as conn:
        by_source = dict(
            conn.execute(
                select(UsageFact.source, func.count())
                .where(UsageFact.tenant_id == tid)
                .group_by(UsageFact.source)
            ).all()
        )
    assert by_source == {"anthropic": 6, "cursor": 4}


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


def _totals(engine, tenant_id):
    with engine.connect() as conn:
        billed = conn.execute(
            select(
                VendorBilledTotal.day, VendorBilledTotal.scope, VendorBilledTotal.billed_cost_micros
            )
            .where(VendorBilledTotal.tenant_id == tenant_id)
            .order_by(VendorBilledTotal.day, VendorBilledTotal.scope)
        ).all()
        figures = conn.execute(
            select(
                VendorReconciliationTotal.account_key,
                VendorReconciliationTotal.period_start,
                VendorReconciliationTotal.period_end,
                VendorReconciliationTotal.billed_cost_micros,
            ).where(VendorReconciliationTotal.tenant_id == tenant_id)
        ).all()
    return [tuple(r) for r in billed], [tuple(r) for r in figures]


def _with_totals(days: list[dt.date], scale: int = 1, cycle_end: dt.date = D2):
    for batch in _batches(days):
        batch.vendor_totals = [VendorTotal(day, 1_000 * scale, scope="seats") for day in days] + [
            VendorTotal(day, 5 * scale, scope="credits") for day in days
        ]
        batch.reconciliation = [ReconciliationTotal("cycle", D1, cycle_end, 77 * scale, "ada")]
        batch.usage[0] = dataclasses.replace(batch.usage[0], tags={"entered_by": "ada"})
        yield batch
        days = []  # one batch carries every day's totals


def test_control_totals_are_replaced_with_the_partition_and_reconciliation_upserted(engine):
    tid = _tenant(engine)
    _write(engine, tid, _with_totals([D1, D2, D3]))
    billed, figures = _totals(engine, tid)
    assert billed == [
        (D, scope, micros)
        for D in (D1, D2, D3)
        for scope, micros in (("credits", 5), ("seats", 1_000))
    ]
    assert figures == [("ada", D1, D2, 77)]
    # A later run over D3 only: D3's totals replaced, the cycle snapshot updated in place.
    _write(engine, tid, _with_totals([D3], scale=2, cycle_end=D3), start=D3, end=D3)
    billed, figures = _totals(engine, tid)
    assert [b for b in billed if b[0] == D3] == [(D3, "credits", 10), (D3, "seats", 2_000)]
    assert [b for b in billed if b[0] == D1] == [(D1, "credits", 5), (D1, "seats", 1_000)]
    assert figures == [("ada", D1, D3, 154)]
    with engine.connect() as conn:
        tags = conn.execute(select(UsageFact.tags).where(UsageFact.tags.is_not(None))).scalars()
        assert list(tags) == [{"entered_by": "ada"}] * 3


def test_bad_control_totals_roll_the_write_back(engine):
    tid = _tenant(engine)
    _write(engine, tid, _with_totals([D1, D2, D3]))
    before = (_usage(engine, tid), _totals(engine, tid))

    def twice() -> Iterator[FetchBatch]:
        yield FetchBatch(vendor_totals=[VendorTotal(D1, 1)])
        yield FetchBatch(vendor_totals=[VendorTotal(D1, 1)])

    with pytest.raises(ValueError, match="2025-03-01 was reported twice"):
        _write(engine, tid, twice())
    outside = FetchBatch(vendor_totals=[VendorTotal(dt.date(2025, 3, 9), 1)])
    with pytest.raises(ValueError, match="vendor total for 2025-03-09 is outside"):
        _write(engine, tid, iter([outside]))
    assert (_usage(engine, tid), _totals(engine, tid)) == before


def test_a_batch_larger_than_a_chunk_is_written_in_chunks(engine, monkeypatch):
    """A connector's batch can hold a whole window (~130 k records): its rows go out in chunks
    of ``CHUNK_ROWS`` rather than all converted first."""
    from warehouse import bulk_insert, facts

    monkeypatch.setattr(facts, "CHUNK_ROWS", 2)
    sizes: list[int] = []
    write = bulk_insert.BulkInsert.write

    def counting(self, rows):
        if self.sql.find("usage_facts") >= 0:
            sizes.append(len(rows))
        return write(self, rows)

    monkeypatch.setattr(bulk_insert.BulkInsert, "write", counting)
    tid = _tenant(engine)
    batch = next(_batches([D1]))
    usage = [dataclasses.replace(batch.usage[0], sku=f"m{i}") for i in range(5)]
    result = _write(engine, tid, [FetchBatch(usage=usage)])
    assert result.usage_rows == 5 and len(_usage(engine, tid)) == 5
    assert max(sizes) <= 2 and sum(sizes) == 5

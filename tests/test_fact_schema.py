"""The fact tables' keys since migration 0018, on SQLite and PostgreSQL: a usage record written
twice still fails the write; a deleted tenant's or file import's facts go with it (triggers,
no foreign keys)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy.exc
from sqlalchemy import func, insert, select, text

from connectors.contract import DayActivity, FetchBatch, UsageRecord
from warehouse.facts import replace_partition
from warehouse.models import ActivityDay, Tenant, UsageFact

DAY = dt.date(2025, 3, 1)


def _tenant(engine, slug: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug=slug, name=slug).returning(Tenant.id)
        ).scalar_one()


def _usage(account: str, day: dt.date = DAY, cost: int = 1_000) -> UsageRecord:
    return UsageRecord(
        day=day, account_key=account, service="API", sku="m1", billed_cost_micros=cost
    )


def _write(engine, tenant_id: int, usage: list[UsageRecord], days: int = 2):
    activity = [DayActivity(DAY, "ada@example.com", {"chat_requests": 3})]
    return replace_partition(
        engine,
        tenant_id,
        "cursor",
        DAY,
        DAY + dt.timedelta(days=days - 1),
        [FetchBatch(usage=usage, activity_days=activity)],
        source_type="api",
        provider="Cursor",
        run_id="run-1",
    )


def _facts(engine, tenant_id: int) -> list[tuple]:
    with engine.connect() as conn:
        usage = conn.execute(
            select(
                UsageFact.account_key, UsageFact.charge_period_start, UsageFact.billed_cost_micros
            )
            .where(UsageFact.tenant_id == tenant_id)
            .order_by(UsageFact.id)
        ).all()
        activity = conn.execute(
            select(func.count()).select_from(ActivityDay).where(ActivityDay.tenant_id == tenant_id)
        ).scalar_one()
    return [tuple(r) for r in usage] + [("activity_days", activity)]


def test_a_usage_record_written_twice_fails_the_write_and_keeps_the_previous_rows(engine):
    tid = _tenant(engine, "acme")
    _write(engine, tid, [_usage("ada@example.com"), _usage("bob@example.com")])
    before = _facts(engine, tid)
    twice = [_usage("ada@example.com", cost=5), _usage("ada@example.com", cost=7)]
    errors = (sqlalchemy.exc.IntegrityError, engine.dialect.loaded_dbapi.IntegrityError)
    with pytest.raises(errors, match="(?i)unique"):
        _write(engine, tid, twice)
    assert _facts(engine, tid) == before
    # The same record on another day is another record (its key hashes the day).
    _write(engine, tid, [_usage("ada@example.com"), _usage("ada@example.com", DAY.replace(day=2))])
    assert [r[1] for r in _facts(engine, tid)[:2]] == [DAY, DAY.replace(day=2)]


def test_deleting_a_tenant_deletes_its_facts_and_no_one_elses(engine):
    acme, globex = _tenant(engine, "acme"), _tenant(engine, "globex")
    _write(engine, acme, [_usage("ada@example.com"), _usage("bob@example.com", cost=2)])
    _write(engine, globex, [_usage("ada@example.com", cost=9)])
    kept = _facts(engine, globex)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tenants WHERE id = :id"), {"id": acme})
    assert _facts(engine, acme) == [("activity_days", 0)]
    assert _facts(engine, globex) == kept == [("ada@example.com", DAY, 9), ("activity_days", 1)]


def test_deleting_a_file_import_deletes_its_facts(engine):
    from warehouse.models_imports import FileImport

    acme = _tenant(engine, "acme")
    _write(engine, acme, [_usage("ada@example.com")])
    with engine.begin() as conn:
        import_id = conn.execute(
            insert(FileImport)
            .values(
                tenant_id=acme,
                content_hash="h",
                filename="spend.csv",
                file_format="csv",
                detected={},
                imported_by="admin@acme.example",
            )
            .returning(FileImport.id)
        ).scalar_one()
        conn.execute(
            insert(UsageFact).values(
                tenant_id=acme,
                source="file",
                record_key="k",
                account_key="bob@example.com",
                charge_period_start=DAY,
                charge_period_end=DAY.replace(day=2),
                provider="P",
                service="S",
                sku="x",
                billed_cost_micros=7,
                file_import_id=import_id,
            )
        )
    assert len(_facts(engine, acme)) == 3
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM file_imports WHERE id = :id"), {"id": import_id})
    assert _facts(engine, acme) == [("ada@example.com", DAY, 1_000), ("activity_days", 1)]

"""A partition write fills the columns its rows share (tenant, source, source type, run,
ingestion time) once, not per row (on SQLite the staging copy's SELECT binds them): the stored
values are still exactly the ones SQLAlchemy's own per-row insert stores, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select, text

from connectors.contract import DayActivity, FetchBatch, UsageRecord
from warehouse import facts
from warehouse.facts import replace_partition
from warehouse.models import ActivityDay, Tenant, UsageFact

DAY = dt.date(2025, 3, 1)
WRITTEN_AT = dt.datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
RECORDS = [
    UsageRecord(
        day=DAY,
        account_key="ada@example.com",
        service="API",
        sku="m1",
        billed_cost_micros=1_250_000,
        list_cost_micros=2_000_000,
        effective_cost_micros=1_000_000,
        consumed_quantity=Decimal("12.5"),
        consumed_unit="tokens",
        input_tokens=10,
        output_tokens=20,
        cache_read_tokens=30,
        cache_write_tokens=40,
        requests=2,
        sub_account="project-x",
        tags={"team": "core"},
    ),
    UsageRecord(
        day=DAY + dt.timedelta(days=1),
        account_key="unattributed",
        service="Seats",
        sku="seat",
        billed_cost_micros=5,
        charge_category="Purchase",
        cost_basis="estimated",
        confidence="low",
        provider="Invoice Co",  # a record's own provider wins over the connector's
    ),
]


def _tenant(engine, slug: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug=slug, name=slug).returning(Tenant.id)
        ).scalar_one()


def _stored(engine, tenant_id: int) -> list[tuple]:
    """Every usage column but ``id``, as the database holds it (SQLite: its literal, type
    included; PostgreSQL: its text), ordered by day."""
    names = [c.name for c in UsageFact.__table__.c if c.name not in ("id", "tenant_id")]
    wrap = "quote({})" if engine.dialect.name == "sqlite" else "CAST({} AS TEXT)"
    columns = ", ".join(wrap.format(n) for n in names)
    with engine.connect() as conn:
        return conn.execute(
            text(
                f"SELECT {columns} FROM usage_facts WHERE tenant_id = :t"
                " ORDER BY charge_period_start"
            ),
            {"t": tenant_id},
        ).all()


def test_constant_columns_are_stored_as_a_per_row_insert_stores_them(engine, monkeypatch):
    monkeypatch.setattr(facts, "_now", lambda: WRITTEN_AT)
    written = _tenant(engine, "written")
    reference = _tenant(engine, "reference")
    activity = [DayActivity(DAY, "ada@example.com", {"sessions": 3, "lines_added": 40})]
    result = replace_partition(
        engine,
        written,
        "anthropic",
        DAY,
        DAY + dt.timedelta(days=1),
        [FetchBatch(usage=RECORDS, activity_days=activity)],
        source_type="api",
        provider="Anthropic",
        run_id="run-7",
    )
    assert result.usage_rows == 2 and result.activity_days == 1
    with engine.begin() as conn:  # the same facts through SQLAlchemy Core, row by row
        for rec in RECORDS:
            conn.execute(
                insert(UsageFact).values(
                    tenant_id=reference,
                    source="anthropic",
                    record_key=rec.record_key(str(written), "anthropic"),
                    account_key=rec.account_key,
                    charge_period_start=rec.day,
                    charge_period_end=rec.day + dt.timedelta(days=1),
                    provider=rec.provider or "Anthropic",
                    service=rec.service,
                    sku=rec.sku,
                    charge_category=rec.charge_category,
                    billed_cost_micros=rec.billed_cost_micros,
                    list_cost_micros=rec.list_cost_micros,
                    effective_cost_micros=rec.effective_cost_micros,
                    currency=rec.currency,
                    consumed_quantity=rec.consumed_quantity,
                    consumed_unit=rec.consumed_unit,
                    input_tokens=rec.input_tokens,
                    output_tokens=rec.output_tokens,
                    cache_read_tokens=rec.cache_read_tokens,
                    cache_write_tokens=rec.cache_write_tokens,
                    requests=rec.requests,
                    sub_account=rec.sub_account,
                    cost_basis=rec.cost_basis,
                    confidence=rec.confidence,
                    source_type="api",
                    ingestion_run_id="run-7",
                    ingested_at=WRITTEN_AT,
                    tags=dict(rec.tags) if rec.tags else None,
                )
            )
    stored = _stored(engine, written)
    assert len(stored) == 2
    assert stored == _stored(engine, reference)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                UsageFact.tenant_id,
                UsageFact.source,
                UsageFact.source_type,
                UsageFact.ingestion_run_id,
                UsageFact.ingested_at,
            ).where(UsageFact.tenant_id == written)
        ).all()
        days = conn.execute(
            select(
                ActivityDay.tenant_id,
                ActivityDay.source,
                ActivityDay.account_key,
                ActivityDay.day,
                ActivityDay.metrics,
                ActivityDay.ingestion_run_id,
            )
        ).all()
    assert {(t, s, st, run) for t, s, st, run, _ in rows} == {
        (written, "anthropic", "api", "run-7")
    }
    assert {at.replace(tzinfo=dt.UTC) for *_, at in rows} == {WRITTEN_AT}
    assert [tuple(d) for d in days] == [
        (written, "anthropic", "ada@example.com", DAY, {"sessions": 3, "lines_added": 40}, "run-7")
    ]

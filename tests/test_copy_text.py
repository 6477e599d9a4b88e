"""Facts written through COPY formatted per chunk (``warehouse.copy_text``) are stored exactly:
awkward text (backslashes, tabs, newlines, ``\\N``, unicode), NULLs, Decimals to 6 places,
BIGINTs and JSON tags read back as they were given, on both databases; on PostgreSQL the
stored text equals what psycopg's own row-by-row COPY stores, value type by value type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Json
from sqlalchemy import insert, select, text

from connectors.contract import DayActivity, FetchBatch, UsageRecord
from warehouse.copy_text import CopyText
from warehouse.facts import replace_partition
from warehouse.models import ActivityDay, Tenant, UsageFact

DAY = dt.date(2025, 3, 1)
AWKWARD = [
    "back\\slash",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "bell\b form\f vtab\v",
    "\\N",
    "None",
    "",
    "ünïcødé ✓ 𝄞",
    "trailing\\",
]
QUANTITIES = [  # (SQLite holds a Numeric as a double: 15 significant digits round-trip)
    Decimal("123456789.123456"),
    Decimal("0.000001"),
    Decimal("2.50"),
    Decimal("-7"),
    Decimal("1E+3"),
    None,
    Decimal("0"),
    Decimal("5.5"),
    Decimal("1.000000"),
    Decimal("42.424242"),
]
TAGS = [
    {"team": 'quote " and \\ backslash', "note": "line\nbreak\ttab"},
    None,
    {"ünïcødé": "✓", "empty": ""},
    {},
    {"nested": {"list": [1, 2.5, None, True]}},
    None,
    {"a": "b"},
    None,
    {"x": "\\N"},
    None,
]


def _records() -> list[UsageRecord]:
    records = []
    for i, (name, quantity, tags) in enumerate(zip(AWKWARD, QUANTITIES, TAGS, strict=True)):
        records.append(
            UsageRecord(
                day=DAY + dt.timedelta(days=i % 3),
                account_key=f"acct {name}",
                service=name or "svc",
                sku=f"sku-{i}-{name}",
                billed_cost_micros=2**62 + i if i % 2 else -(2**40) - i,
                list_cost_micros=None if i % 3 else 9_007_199_254_740_993,
                effective_cost_micros=i,
                consumed_quantity=quantity,
                consumed_unit=None if i % 2 else name,
                input_tokens=None if i % 4 else 2**53 + 1,
                output_tokens=i * 1000,
                requests=1 if i < 5 else None,
                sub_account=name if i % 2 else None,
                tags=tags,
            )
        )
    return records


def _tenant(engine, slug: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug=slug, name=slug).returning(Tenant.id)
        ).scalar_one()


def _replace(engine, tenant: int, batch: FetchBatch, *, days: int = 1, run_id=None):
    return replace_partition(
        engine,
        tenant,
        "cursor",
        DAY,
        DAY + dt.timedelta(days=days - 1),
        [batch],
        source_type="api",
        provider="Cursor",
        run_id=run_id,
    )


def test_awkward_values_read_back_exactly(engine):
    tenant = _tenant(engine, "awkward")
    records = _records()
    metrics = {"back\\slash": 1, "tab\tnew\nline": Decimal("1.5"), "ünï": 3, "\\N": 0}
    activity = [DayActivity(DAY, "acct \\N\ttab", metrics)]
    batch = FetchBatch(usage=records, activity_days=activity)
    result = _replace(engine, tenant, batch, days=3, run_id="run\\1\t")
    assert result.usage_rows == len(records) and result.activity_days == 1
    fields = (
        "account_key",
        "service",
        "sku",
        "billed_cost_micros",
        "list_cost_micros",
        "effective_cost_micros",
        "consumed_quantity",
        "consumed_unit",
        "input_tokens",
        "output_tokens",
        "requests",
        "sub_account",
        "tags",
    )
    with engine.connect() as conn:
        stored = conn.execute(
            select(*(UsageFact.__table__.c[f] for f in fields), UsageFact.ingestion_run_id)
            .where(UsageFact.tenant_id == tenant)
            .order_by(UsageFact.effective_cost_micros)
        ).all()
        day = conn.execute(select(ActivityDay.account_key, ActivityDay.metrics)).one()
    expected = [
        (*(getattr(r, f) for f in fields[:-1]), dict(r.tags) if r.tags else None, "run\\1\t")
        for r in records
    ]
    assert [tuple(row) for row in stored] == expected
    assert day.account_key == "acct \\N\ttab"
    assert day.metrics == {"back\\slash": 1, "tab\tnew\nline": 1.5, "ünï": 3, "\\N": 0}


# (column type, values) written as one column of rows through both COPY paths
COLUMNS = [
    ("text", [*AWKWARD, None]),
    ("numeric(24, 6)", [*QUANTITIES[1:], Decimal("123456789012345678.123456"), Decimal("NaN")]),
    ("numeric", [Decimal("sNaN"), Decimal("NaN"), 7, None, Decimal("1E-7"), 1, 2, 3, 4, 5, 6]),
    ("bigint", [2**63 - 1, -(2**63), 0, None, 1, 1, 1, 2, 2, 2, 3]),
    ("bigint", list(range(11))),
    ("date", [DAY, None, dt.date(1, 1, 1), dt.date(9999, 12, 31), *[DAY] * 7]),
    ("json", [None if t is None else Json(t) for t in TAGS] + [Json("\\N")]),
    ("timestamptz", [dt.datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC), None] * 5 + [None]),
    ("boolean", [True, False, None] * 3 + [True, False]),
    ("text", [1, "mixed", None, 2.5, "a\\b", *["x"] * 6]),  # through psycopg's own dumpers
]


@pytest.mark.postgres
@pytest.mark.parametrize("warehouse_url", ["postgres"], indirect=True)
def test_copy_text_stores_what_psycopg_row_copy_stores(warehouse_url):
    url = warehouse_url.replace("postgresql+psycopg://", "postgresql://")
    names = [f"c{i}" for i in range(len(COLUMNS))]
    table = ", ".join(f"{n} {kind}" for n, (kind, _) in zip(names, COLUMNS, strict=True))
    columns = [values for _, values in COLUMNS]
    rows = list(zip(*columns, strict=True))
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TEMP TABLE by_row (k int, {table})")
        conn.execute(f"CREATE TEMP TABLE by_chunk (k int, {table})")
        copy = f"COPY {{}} ({', '.join(names)}, k) FROM STDIN"
        with conn.cursor().copy(copy.format("by_row")) as out:
            for row in rows:
                out.write_row((*row, 7))
        formatter = CopyText(conn)
        data = formatter.rows(columns, len(rows), formatter.fields([7]))
        assert data is not None
        with conn.cursor().copy(copy.format("by_chunk")) as out:
            out.write(data)
        as_text = ", ".join(f"CAST({n} AS TEXT)" for n in ["k", *names])
        by_row = conn.execute(f"SELECT {as_text} FROM by_row").fetchall()
        by_chunk = conn.execute(f"SELECT {as_text} FROM by_chunk").fetchall()
    assert len(by_row) == len(rows)
    assert by_chunk == by_row
    assert [r[1] for r in by_chunk] == [*AWKWARD, None]


@pytest.mark.postgres
@pytest.mark.parametrize("warehouse_url", ["postgres"], indirect=True)
def test_nul_in_text_fails_the_write_and_keeps_the_partition(engine):
    tenant = _tenant(engine, "nul")
    good = [r for r in _records() if r.day == DAY][:2]
    _replace(engine, tenant, FetchBatch(usage=good[:1]))
    bad = UsageRecord(day=DAY, account_key="a\x00b", service="s", sku="k")
    with pytest.raises(psycopg.DataError):
        _replace(engine, tenant, FetchBatch(usage=[good[1], bad]))
    with engine.connect() as conn:
        accounts = conn.execute(
            text("SELECT account_key FROM usage_facts WHERE tenant_id = :t"), {"t": tenant}
        ).all()
    assert [a for (a,) in accounts] == [good[0].account_key]

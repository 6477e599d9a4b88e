"""The dashboard's pure queries and money formatting, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from dashboard import queries
from dashboard.formatting import current_month, month_label, usd
from warehouse.tenants import create_tenant

MART_DDL = """
CREATE TABLE IF NOT EXISTS team_monthly_spend (
    tenant_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    provider TEXT NOT NULL,
    source TEXT NOT NULL,
    billed_cost_micros BIGINT NOT NULL,
    estimated_cost_micros BIGINT NOT NULL
)
"""


def seed_mart(engine: Engine, rows: list[tuple[int, str, str, str, int, int]]) -> None:
    """Creates the mart table if the pipeline has not, and adds rows to it."""
    with engine.begin() as conn:
        conn.execute(text(MART_DDL))
        conn.execute(
            text(
                "INSERT INTO team_monthly_spend (tenant_id, month, provider, source, "
                "billed_cost_micros, estimated_cost_micros) VALUES (:t, :m, :p, :s, :b, :e)"
            ),
            [dict(zip("tmpsbe", r, strict=True)) for r in rows],
        )


@pytest.mark.parametrize(
    ("micros", "shown"),
    [
        (0, "$0.00"),
        (1_234_560_000, "$1,234.56"),
        (1_234_565_000, "$1,234.57"),  # half a cent rounds up
        (1_234_564_999, "$1,234.56"),
        (9_007_199_254_740_993, "$9,007,199,254.74"),  # past float's exact integers
        (-1_500_000, "-$1.50"),
    ],
)
def test_usd_formats_exact_micros(micros: int, shown: str) -> None:
    assert usd(micros) == shown


def test_month_helpers() -> None:
    assert current_month(dt.date(2026, 3, 31)) == "2026-03"
    assert month_label("2026-11") == "November 2026"


def test_missing_mart_reads_as_empty(engine: Engine) -> None:
    tenant = create_tenant(engine, "default")
    total = queries.month_total(engine, tenant.id, "2026-11")
    assert total.is_empty
    assert (total.billed_micros, total.estimated_micros) == (0, 0)
    assert queries.available_months(engine, tenant.id) == []


def test_month_total_sums_one_tenant_and_month(engine: Engine) -> None:
    tenant = create_tenant(engine, "default")
    other = create_tenant(engine, "other")
    seed_mart(
        engine,
        [
            (tenant.id, "2026-11", "anthropic", "anthropic", 1_000_000_000, 5_000_000),
            (tenant.id, "2026-11", "anthropic", "manual", 234_560_001, 0),
            (tenant.id, "2026-11", "cursor", "cursor", 20_000_000, 0),
            (tenant.id, "2026-10", "cursor", "cursor", 7_000_000, 0),
            (other.id, "2026-11", "cursor", "cursor", 999_000_000, 0),
        ],
    )
    total = queries.month_total(engine, tenant.id, "2026-11")
    assert total.billed_micros == 1_254_560_001
    assert total.estimated_micros == 5_000_000
    assert total.by_provider.to_dict("records") == [
        {
            "provider": "anthropic",
            "billed_cost_micros": 1_234_560_001,
            "estimated_cost_micros": 5_000_000,
        },
        {"provider": "cursor", "billed_cost_micros": 20_000_000, "estimated_cost_micros": 0},
    ]
    assert queries.available_months(engine, tenant.id) == ["2026-11", "2026-10"]
    assert queries.month_total(engine, tenant.id, "2026-09").is_empty

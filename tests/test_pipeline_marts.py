"""SQL marts on SQLite and PostgreSQL: deps read from the SQL, exact sums, automatic refresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import insert, inspect, text

from connectors.contract import FetchBatch, UsageRecord
from connectors.manual import ManualConnector
from pipelines.ingest import build_ingest_asset, ingest_key
from pipelines.marts import SQL_DIR, build_mart_assets, load_models, model_deps
from pipelines.resources import WarehouseResource, dispose_engines
from warehouse.facts import replace_partition
from warehouse.mart_tables import rebuild_table, tables_read
from warehouse.models import Tenant
from warehouse.settings import Settings

TEAM_SQL = (SQL_DIR / "team_monthly_spend.sql").read_text()


@pytest.fixture
def settings(warehouse_url, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield Settings.from_env()
    dispose_engines()


def _tenant(engine, slug="acme") -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Tenant).values(slug=slug, name=slug).returning(Tenant.id)
        ).scalar_one()


def _facts(engine, tenant_id, source, provider, records):
    days = [r.day for r in records]
    replace_partition(
        engine,
        tenant_id,
        source,
        min(days),
        max(days),
        [FetchBatch(usage=records)],
        source_type="api",
        provider=provider,
        run_id=None,
    )


def test_team_monthly_spend_reads_only_facts():
    assert tables_read(TEAM_SQL) == {"usage_facts"}
    models = load_models()
    team = next(m for m in models if m.name == "team_monthly_spend")
    keys = [ingest_key("anthropic"), ingest_key("manual")]
    assert model_deps(team, models, keys) == keys


def test_deps_between_sql_files(tmp_path: Path):
    (tmp_path / "base_spend.sql").write_text(
        "with f as (select * from usage_facts) select tenant_id, billed_cost_micros from f"
    )
    (tmp_path / "member_spend.sql").write_text(
        "select b.tenant_id, m.display_name from base_spend b join members m"
        " on m.tenant_id = b.tenant_id"
    )
    ingest = [ingest_key("cursor")]
    assets = {a.key.to_user_string(): a for a in build_mart_assets(ingest, sql_dir=tmp_path)}
    deps = {name: set(a.asset_deps[a.key]) for name, a in assets.items()}
    assert deps == {
        "base_spend": {ingest_key("cursor")},
        "member_spend": {dg.AssetKey("base_spend")},
    }


def test_team_monthly_spend_sums_exactly(engine):
    a = _tenant(engine, "acme")
    b = _tenant(engine, "beta")
    _facts(
        engine,
        a,
        "anthropic",
        "Anthropic",
        [
            UsageRecord(
                day=dt.date(2025, 1, 31),
                account_key="k1",
                service="API",
                sku="m",
                billed_cost_micros=1_000_001,
            ),
            UsageRecord(
                day=dt.date(2025, 2, 1),
                account_key="k1",
                service="API",
                sku="m",
                billed_cost_micros=2_000_000,
            ),
            UsageRecord(
                day=dt.date(2025, 2, 1),
                account_key="k1",
                service="Claude Code",
                sku="m",
                cost_basis="estimated",
                billed_cost_micros=0,
                list_cost_micros=777,
            ),
        ],
    )
    _facts(
        engine,
        b,
        "cursor",
        "Cursor",
        [
            UsageRecord(
                day=dt.date(2025, 2, 3),
                account_key="x",
                service="Cursor",
                sku="s",
                billed_cost_micros=5,
                list_cost_micros=9,
            ),
        ],
    )
    assert rebuild_table(engine, "team_monthly_spend", TEAM_SQL) == 3
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select tenant_id, month, provider, source, billed_cost_micros,"
                " estimated_cost_micros from team_monthly_spend order by tenant_id, month"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (a, "2025-01", "Anthropic", "anthropic", 1_000_001, 0),
        (a, "2025-02", "Anthropic", "anthropic", 2_000_000, 777),
        (b, "2025-02", "Cursor", "cursor", 5, 0),
    ]
    # Rebuilding replaces the table rather than appending.
    assert rebuild_table(engine, "team_monthly_spend", TEAM_SQL) == 3


def test_empty_warehouse_gives_an_empty_mart(engine):
    assert rebuild_table(engine, "team_monthly_spend", TEAM_SQL) == 0
    columns = {c["name"] for c in inspect(engine).get_columns("team_monthly_spend")}
    assert columns == {
        "tenant_id",
        "month",
        "provider",
        "source",
        "billed_cost_micros",
        "estimated_cost_micros",
    }


def test_bad_sql_leaves_the_old_mart(engine):
    rebuild_table(engine, "team_monthly_spend", TEAM_SQL)
    with pytest.raises(Exception, match="no_such_table"):
        rebuild_table(engine, "team_monthly_spend", "select * from no_such_table")
    assert "team_monthly_spend" in inspect(engine).get_table_names()


def test_marts_refresh_when_ingest_changes(settings):
    ingest = build_ingest_asset(ManualConnector)
    marts = build_mart_assets([ingest.key])
    resources = {"warehouse": WarehouseResource.for_settings(settings)}
    instance = dg.DagsterInstance.ephemeral()
    assets = [ingest, *marts]
    mart_keys = {m.key for m in marts}
    defs = dg.Definitions(assets=assets, resources=resources)

    baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)

    dg.materialize(
        assets,
        selection=[ingest.key],
        partition_key="2025-03-01",
        instance=instance,
        resources=resources,
    )
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    assert {k for k in mart_keys if after.get_num_requested(k)} == mart_keys

    dg.materialize(assets, selection=list(mart_keys), instance=instance, resources=resources)
    idle = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=after.cursor)
    assert idle.total_requested == 0

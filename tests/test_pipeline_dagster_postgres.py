"""Dagster's own storage on PostgreSQL (pipelines/dagster_postgres.yaml): a sync's run is
recorded in that database, separate from the warehouse."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from connectors.manual import ManualConnector
from pipelines.resources import dispose_engines
from pipelines.sync import dagster_instance, run_sync
from warehouse import manual_entries, migrate, tenants
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.settings import Settings

YAML = Path(__file__).resolve().parent.parent / "pipelines" / "dagster_postgres.yaml"


@pytest.mark.postgres
def test_runs_are_recorded_in_postgresql(pg_database_factory, tmp_path, monkeypatch):
    dagster_db = pg_database_factory("aispend_dagster")
    psycopg2_url = make_url(dagster_db).set(drivername="postgresql+psycopg2")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(YAML, home / "dagster.yaml")
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("AISPEND_DAGSTER_PG_URL", psycopg2_url.render_as_string(hide_password=False))
    settings = Settings.from_env()
    engine = make_engine(warehouse_url)
    migrate.upgrade(engine)
    acme = tenants.create_tenant(engine, "acme")
    manual_entries.create_entry(
        engine,
        acme,
        SYSTEM,
        provider="Replit",
        service="Teams",
        amount="25.50",
        period_start=dt.date(2025, 9, 1),
        period_end=dt.date(2025, 9, 3),
    )
    instance = dagster_instance(settings)
    try:
        [result] = run_sync(
            settings,
            sources=["manual"],
            start=dt.date(2025, 9, 1),
            end=dt.date(2025, 9, 3),
            instance=instance,
            connectors={"manual": ManualConnector},
        )
    finally:
        instance.dispose()
        dispose_engines()
    assert result.ok and result.rows == 3

    pg = create_engine(dagster_db)
    with pg.connect() as conn:
        runs = conn.execute(text("select status from runs")).scalars().all()
        materialized = conn.execute(
            text(
                "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
                " and asset_key like '%ingest_manual%'"
            )
        ).scalar_one()
    pg.dispose()
    engine.dispose()
    assert len(runs) == 2 and set(runs) == {"SUCCESS"}  # the manual sync and the marts refresh
    assert materialized == 3  # one per partition of the single-run range

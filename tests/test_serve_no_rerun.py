"""`aispend serve` after `aispend demo` (or a sync): the daemon's first look at admin input does
not re-run what was just synced; a later change still triggers a run."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from cryptography.fernet import Fernet

from connectors.manual import ManualConnector
from pipelines.ingest import build_ingest_asset
from pipelines.resources import WarehouseResource, dispose_engines
from pipelines.sensors import build_input_sensor
from pipelines.sync import run_sync
from warehouse import manual_entries, migrate, tenants
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.settings import Settings


def test_the_input_sensor_does_not_resync_what_a_sync_just_read(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = Settings.from_env()
    engine = make_engine(url)
    migrate.upgrade(engine)
    acme = tenants.create_tenant(engine, "acme")
    entry = dict(provider="GitHub", service="Copilot", amount="30", description="seats")
    first = manual_entries.create_entry(
        engine,
        acme,
        SYSTEM,
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 9, 30),
        **entry,
    )
    try:
        [synced] = run_sync(
            settings,
            sources=["manual"],
            start=dt.date(2026, 9, 1),
            end=dt.date(2026, 9, 30),
            connectors={"manual": ManualConnector},
            verbose=False,
        )
        assert synced.ok and synced.rows == 30
        sensor = build_input_sensor(ManualConnector, build_ingest_asset(ManualConnector))
        resources = {"warehouse": WarehouseResource.for_settings(settings)}

        def tick(cursor):
            with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
                return sensor.evaluate_tick(ctx)

        baseline = tick(None)  # the daemon's first tick after the demo
        assert not baseline.run_requests
        manual_entries.edit_entry(engine, acme, SYSTEM, first, amount="45")
        [request] = tick(baseline.cursor).run_requests
        assert request.tags["aispend/tenant"] == "acme"
    finally:
        dispose_engines()
        engine.dispose()

"""Launching a backfill through Dagster from the admin area: a real child process syncs the
simulator's Cursor into the warehouse (SQLite and PostgreSQL), the runs are recorded in the
persistent Dagster instance, the launch is audited, and a viewer launches nothing."""

from __future__ import annotations

import datetime as dt
import time

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.cursor import CursorConnector
from pipelines import launch
from pipelines.resources import dispose_engines
from warehouse import audit, credentials
from warehouse.actors import Actor, PermissionDenied
from warehouse.models import AuditEvent, UsageFact
from warehouse.settings import Settings
from warehouse.tenants import create_tenant

ADMIN = Actor("admin@a.example", "admin")
VIEWER = Actor("viewer@a.example", "viewer")
SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))


@pytest.fixture
def settings(warehouse_url, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield Settings.from_env()
    dispose_engines()


def _wait(settings, launched, timeout=180) -> launch.LaunchState:
    deadline = time.monotonic() + timeout
    while True:
        state = launch.launch_state(settings, launched)
        if state.status != "running":
            return state
        if time.monotonic() > deadline:
            pytest.fail(f"launch still running after {timeout} s:\n{state.log_tail}")
        time.sleep(0.5)


def test_backfill_launched_through_dagster_lands_in_the_warehouse(
    settings, engine, vendor_simulator
):
    tenant = create_tenant(engine, "default")
    config = vendor_simulator.config("cursor")
    credentials.configure_source(
        engine, settings.secret_keys, tenant, ADMIN, "cursor", config, {"api_key"}
    )
    launched = launch.launch_sync(
        settings, ADMIN, tenant, source="cursor", start=SEPTEMBER[0], end=SEPTEMBER[1]
    )
    with pytest.raises(launch.AlreadyRunning, match="still running"):
        launch.launch_sync(
            settings, ADMIN, tenant, source="cursor", start=SEPTEMBER[0], end=SEPTEMBER[1]
        )
    state = _wait(settings, launched)
    assert state.status == "succeeded", state.log_tail
    assert "cursor:" in state.log_tail and "rows" in state.log_tail

    # Exactly the vendor's billed total for the month, to the micro-dollar.
    with Session(engine) as s:
        billed = s.scalar(
            select(func.sum(UsageFact.billed_cost_micros)).where(
                UsageFact.source == "cursor",
                UsageFact.cost_basis == "billed",
                UsageFact.charge_period_start.between(*SEPTEMBER),
            )
        )
    days = [SEPTEMBER[0] + dt.timedelta(days=i) for i in range(30)]
    assert int(billed) == sum(vendor_simulator.expected_billed_micros("cursor", d) for d in days)

    # The runs are in the persistent instance the Dagster UI reads: the ingest and the marts.
    assert (settings.dagster_home / "dagster.yaml").exists()
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        runs = instance.get_runs(
            filters=dg.RunsFilter(tags={launch.LAUNCH_TAG: launched.launch_id})
        )
        assert len(runs) == 2
        assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        [ingest] = [r for r in runs if "dagster/asset_partition_range_start" in r.tags]
        assert ingest.tags["dagster/asset_partition_range_start"] == "2026-09-01"
        assert ingest.tags["dagster/asset_partition_range_end"] == "2026-09-30"
        assert ingest.tags[launch.SOURCE_TAG] == "cursor"
        materialized = instance.fetch_materializations(dg.AssetKey("ingest_cursor"), limit=100)
        assert {r.partition_key for r in materialized.records} >= {"2026-09-01", "2026-09-30"}
    assert [s for _, s in state.runs] == ["SUCCESS", "SUCCESS"]
    [event] = audit.list_events(engine, tenant, ADMIN, actions=["vendor.sync"])
    assert event["target"] == "cursor"
    assert event["detail"]["start"] == "2026-09-01" and event["detail"]["end"] == "2026-09-30"


def test_a_failing_backfill_reports_failure_without_the_key(settings, engine, vendor_simulator):
    tenant = create_tenant(engine, "default")
    config = vendor_simulator.config("cursor", good=False)
    credentials.configure_source(
        engine, settings.secret_keys, tenant, ADMIN, "cursor", config, {"api_key"}
    )
    launched = launch.launch_sync(
        settings, ADMIN, tenant, source="cursor", start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 2)
    )
    state = _wait(settings, launched)
    assert state.status == "failed"
    assert "FAILURE" in [s for _, s in state.runs]
    assert config["api_key"] not in state.log_tail


def test_a_viewer_launches_nothing(settings, engine):
    tenant = create_tenant(engine, "default")
    with pytest.raises(PermissionDenied, match="admin role"):
        launch.launch_sync(
            settings, VIEWER, tenant, source="cursor", start=SEPTEMBER[0], end=SEPTEMBER[1]
        )
    with pytest.raises(PermissionDenied, match="admin role"):
        launch.launch_refresh(settings, VIEWER, tenant)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert not (settings.dagster_home / "launches").exists()


def test_a_marts_refresh_is_launched_through_dagster_and_audited(settings, engine):
    """What the import page launches after a file import: the marts only, as source ``marts``."""
    tenant = create_tenant(engine, "default")
    launched = launch.launch_refresh(settings, ADMIN, tenant)
    assert launched.source == launch.MARTS
    state = _wait(settings, launched)
    assert state.status == "succeeded", state.log_tail
    assert [status for _, status in state.runs] == ["SUCCESS"]
    assert "marts:" in state.log_tail
    [event] = audit.list_events(engine, tenant, ADMIN, actions=["marts.refresh"])
    assert (event["actor"], event["detail"]["launch_id"]) == (ADMIN.email, launched.launch_id)


@pytest.mark.parametrize(
    "source, start, end, message",
    [
        ("nope", SEPTEMBER[0], SEPTEMBER[1], "unknown source"),
        ("cursor", SEPTEMBER[1], SEPTEMBER[0], "before it starts"),
        ("cursor", dt.date(2020, 1, 1), dt.date(2020, 1, 2), "before 2025-01-01"),
        ("cursor", SEPTEMBER[0], dt.date(2099, 1, 1), "after"),
    ],
)
def test_bad_ranges_and_sources_are_refused_before_anything_starts(
    settings, engine, source, start, end, message
):
    tenant = create_tenant(engine, "default")
    with pytest.raises(ValueError, match=message):
        launch.launch_sync(settings, ADMIN, tenant, source=source, start=start, end=end)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_sync_now_covers_the_revision_window_or_the_manual_span(settings, engine):
    today = dt.date(2026, 11, 20)
    assert launch.sync_now_range(settings, CursorConnector, today) == (
        today - dt.timedelta(days=CursorConnector.revision_window_days),
        today,
    )
    from connectors.manual import ManualConnector

    with pytest.raises(ValueError, match="nothing to sync yet"):
        launch.sync_now_range(settings, ManualConnector, today)

"""run_sync through Dagster on SQLite and PostgreSQL: manual entries reach the mart to the cent,
one failing vendor never blocks another, secrets never reach errors, the sensor and schedules
ask for the right ranges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from connectors.contract import (
    CheckResult,
    Connector,
    ConnectorError,
    CredentialField,
    FetchBatch,
    FetchContext,
    UsageRecord,
    VendorTotal,
)
from connectors.manual import ManualConnector
from pipelines.checks import build_ingest_checks
from pipelines.ingest import build_ingest_asset
from pipelines.resources import WarehouseResource, dispose_engines
from pipelines.schedules import build_schedules
from pipelines.sensors import build_input_sensor
from pipelines.sync import run_sync
from warehouse import credentials, manual_entries, sync_status, tenants
from warehouse.actors import SYSTEM
from warehouse.models import UsageFact
from warehouse.settings import Settings

SECRET = "sk-test-very-secret-0123456789"


class FlakyVendorConnector(Connector):
    """A vendor whose API refuses every request; its error text echoes the key it was sent."""

    name = "flakyvendor"
    provider = "Flaky Vendor"
    services = ("API",)
    credential_fields = (CredentialField("api_key"),)
    revision_window_days = 5

    def check(self, config):
        return CheckResult(False, "down")

    def fetch(self, config, start, end, ctx: FetchContext) -> Iterator[FetchBatch]:
        yield FetchBatch(
            usage=[
                UsageRecord(
                    day=start, account_key="a", service="API", sku="m", billed_cost_micros=1
                )
            ]
        )
        raise ConnectorError(
            self.name, f"HTTP 500 for key {config['api_key']}", endpoint="/v1/usage"
        )


CONNECTORS = {"manual": ManualConnector, "flakyvendor": FlakyVendorConnector}


@pytest.fixture
def settings(warehouse_url, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield Settings.from_env()
    dispose_engines()


def _mart(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "select t.slug, m.month, m.provider, m.source, m.billed_cost_micros"
                    " from team_monthly_spend m join tenants t on t.id = m.tenant_id"
                    " order by t.slug, m.month"
                )
            )
        ]


def test_manual_entry_reaches_the_mart_exactly(engine, settings):
    acme = tenants.create_tenant(engine, "acme")
    manual_entries.create_entry(
        engine,
        acme,
        SYSTEM,
        provider="GitHub",
        service="Copilot seats",
        amount="190.01",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
    )
    results = run_sync(
        settings,
        sources=["manual"],
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 3, 31),
        connectors=CONNECTORS,
    )
    assert [(r.source, r.rows, r.ok, r.error) for r in results] == [("manual", 31, True, None)]
    assert _mart(engine) == [("acme", "2025-03", "GitHub", "manual", 190_010_000)]
    state = sync_status.get_status(engine, acme.id, "manual")
    assert state.rows == 31 and state.last_error is None
    # Running the same sync again changes nothing (idempotent partition writes).
    run_sync(
        settings,
        sources=["manual"],
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 3, 31),
        connectors=CONNECTORS,
    )
    assert _mart(engine) == [("acme", "2025-03", "GitHub", "manual", 190_010_000)]


def test_failing_vendor_does_not_block_others_and_leaks_no_secret(engine, settings):
    acme = tenants.create_tenant(engine, "acme")
    credentials.configure_source(
        engine, settings.secret_keys, acme, SYSTEM, "flakyvendor", {"api_key": SECRET}, {"api_key"}
    )
    manual_entries.create_entry(
        engine,
        acme,
        SYSTEM,
        provider="Cursor",
        service="Seats",
        amount="40",
        period_start=dt.date(2025, 4, 1),
        period_end=dt.date(2025, 4, 2),
    )
    results = {
        r.source: r
        for r in run_sync(
            settings, start=dt.date(2025, 4, 1), end=dt.date(2025, 4, 2), connectors=CONNECTORS
        )
    }
    assert results["manual"].ok and results["manual"].rows == 2
    flaky = results["flakyvendor"]
    assert not flaky.ok
    assert "Flaky Vendor" in flaky.error and "HTTP 500" in flaky.error
    assert SECRET not in flaky.error
    state = sync_status.get_status(engine, acme.id, "flakyvendor")
    assert "HTTP 500" in state.last_error and SECRET not in state.last_error
    assert state.last_success_at is None
    with engine.connect() as conn:  # the half-fetched partition was rolled back
        rows = conn.execute(
            select(func.count()).select_from(UsageFact).where(UsageFact.source == "flakyvendor")
        ).scalar_one()
    assert rows == 0
    assert _mart(engine) == [("acme", "2025-04", "Cursor", "manual", 40_000_000)]


def test_tenant_option_restricts_the_sync(engine, settings):
    for slug in ("acme", "beta"):
        t = tenants.create_tenant(engine, slug)
        manual_entries.create_entry(
            engine,
            t,
            SYSTEM,
            provider="Kiro",
            service="Seats",
            amount="10",
            period_start=dt.date(2025, 5, 1),
            period_end=dt.date(2025, 5, 1),
        )
    run_sync(
        settings,
        tenant="beta",
        sources=["manual"],
        start=dt.date(2025, 5, 1),
        end=dt.date(2025, 5, 1),
        connectors=CONNECTORS,
    )
    assert _mart(engine) == [("beta", "2025-05", "Kiro", "manual", 10_000_000)]
    with pytest.raises(ValueError, match="nobody"):
        run_sync(
            settings,
            tenant="nobody",
            start=dt.date(2025, 5, 1),
            end=dt.date(2025, 5, 1),
            connectors=CONNECTORS,
        )
    with pytest.raises(ValueError, match="unknown source"):
        run_sync(
            settings,
            sources=["nope"],
            start=dt.date(2025, 5, 1),
            end=dt.date(2025, 5, 1),
            connectors=CONNECTORS,
        )


def test_sensor_requests_manual_span_when_entries_change(engine, settings):
    sensor = build_input_sensor(ManualConnector, build_ingest_asset(ManualConnector))
    resources = {"warehouse": WarehouseResource.for_settings(settings)}
    acme = tenants.create_tenant(engine, "acme")

    def tick(cursor):
        with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
            data = sensor.evaluate_tick(ctx)
        return data

    empty = tick(None)
    assert not empty.run_requests
    manual_entries.create_entry(
        engine,
        acme,
        SYSTEM,
        provider="OpenAI",
        service="ChatGPT Team",
        amount="60",
        period_start=dt.date(2025, 6, 10),
        period_end=dt.date(2025, 7, 9),
    )
    changed = tick(empty.cursor)
    [request] = changed.run_requests
    assert request.asset_selection == [dg.AssetKey("ingest_manual")]
    assert request.tags["dagster/asset_partition_range_start"] == "2025-06-10"
    assert request.tags["dagster/asset_partition_range_end"] == "2025-07-09"
    assert request.tags["aispend/tenant"] == "acme"
    assert not tick(changed.cursor).run_requests


def test_schedules_refresh_recent_days_and_sweep_revision_window():
    asset = build_ingest_asset(FlakyVendorConnector)
    schedules = {s.name: s for s in build_schedules(FlakyVendorConnector, asset)}
    when = dt.datetime(2025, 8, 15, 10, 7, tzinfo=dt.UTC)
    ranges = {}
    for name, schedule in schedules.items():
        with dg.build_schedule_context(scheduled_execution_time=when) as ctx:
            [request] = schedule.evaluate_tick(ctx).run_requests
        ranges[name] = (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        )
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert ranges == {
        "refresh_flakyvendor": ("2025-08-14", "2025-08-15"),
        "sweep_flakyvendor": ("2025-08-10", "2025-08-15"),
    }


class BilledTotalConnector(Connector):
    """A vendor that reports its billed total per day; the per-key rows miss one micro-dollar."""

    name = "billedtotal"
    provider = "Billed Total Inc"
    services = ("API",)
    credential_fields = (CredentialField("api_key"),)

    def check(self, config):
        return CheckResult(True)

    def fetch(self, config, start, end, ctx):
        yield FetchBatch(
            usage=[
                UsageRecord(
                    day=start, account_key="k1", service="API", sku="m", billed_cost_micros=99
                ),
                UsageRecord(
                    day=start,
                    account_key="k1",
                    service="API",
                    sku="m",
                    cost_basis="estimated",
                    list_cost_micros=50,
                ),
            ],
            vendor_totals=[VendorTotal(day=start, billed_cost_micros=100)],
        )


def test_checks_flag_a_broken_accuracy_invariant(engine, settings):
    acme = tenants.create_tenant(engine, "acme")
    credentials.configure_source(
        engine, settings.secret_keys, acme, SYSTEM, "billedtotal", {"api_key": SECRET}, {"api_key"}
    )
    asset = build_ingest_asset(BilledTotalConnector)
    result = dg.materialize(
        [asset, *build_ingest_checks(BilledTotalConnector)],
        partition_key="2025-02-02",
        resources={"warehouse": WarehouseResource.for_settings(settings)},
    )
    outcome = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert outcome == {
        "unique_record_keys": True,
        "no_negative_usage_cost": True,
        "accuracy_invariant": False,
    }


def test_range_outside_partitions_is_refused(settings):
    with pytest.raises(ValueError, match="before 2025-01-01"):
        run_sync(
            settings, start=dt.date(2024, 12, 31), end=dt.date(2025, 1, 2), connectors=CONNECTORS
        )
    future = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)
    with pytest.raises(ValueError, match="flakyvendor: end"):
        run_sync(settings, start=dt.date(2025, 1, 1), end=future, connectors=CONNECTORS)


def test_manual_edits_and_deletes_reach_the_facts_on_the_next_run(engine, settings):
    """Through the reshaped framework: the input sensor notices each change and the run it
    requests rewrites (or removes) the entry's facts, tagged with who entered and edited it."""
    from warehouse.actors import Actor

    asset = build_ingest_asset(ManualConnector)
    sensor = build_input_sensor(ManualConnector, asset)
    resources = {"warehouse": WarehouseResource.for_settings(settings)}
    acme = tenants.create_tenant(engine, "acme")
    ada = Actor("ada@acme.example", "admin")

    def tick_and_run(cursor):
        with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
            data = sensor.evaluate_tick(ctx)
        for request in data.run_requests or []:
            result = dg.materialize(
                [asset, *build_ingest_checks(ManualConnector)],
                resources=resources,
                tags=request.tags,
            )
            assert all(e.passed for e in result.get_asset_check_evaluations())
        return data.cursor, len(data.run_requests or [])

    def manual_facts():
        with engine.connect() as conn:
            rows = conn.execute(
                select(UsageFact.billed_cost_micros, UsageFact.tags, UsageFact.confidence).where(
                    UsageFact.source == "manual"
                )
            ).all()
        return sum(r[0] for r in rows), {str(sorted(r[1].items())) for r in rows}, rows

    entry = manual_entries.create_entry(
        engine,
        acme,
        ada,
        provider="GitHub",
        service="Copilot seats",
        amount="31",
        period_start=dt.date(2025, 6, 1),
        period_end=dt.date(2025, 6, 30),
    )
    cursor, runs = tick_and_run(None)
    total, tags, rows = manual_facts()
    assert runs == 1 and total == 31_000_000 and len(rows) == 30
    assert tags == {str(sorted({"entry_id": str(entry), "entered_by": ada.email}.items()))}
    assert {r[2] for r in rows} == {"medium"}

    manual_entries.edit_entry(
        engine, acme, SYSTEM, entry, amount="15.5", period_end=dt.date(2025, 6, 15)
    )
    cursor, runs = tick_and_run(cursor)
    total, tags, rows = manual_facts()
    assert runs == 1 and total == 15_500_000 and len(rows) == 15  # the shortened days are gone
    assert all("edited_by" in t and "system" in t for t in tags)

    manual_entries.delete_entry(engine, acme, SYSTEM, entry)
    cursor, runs = tick_and_run(cursor)
    assert runs == 1 and manual_facts()[2] == []
    assert tick_and_run(cursor)[1] == 0  # nothing changed since: no run

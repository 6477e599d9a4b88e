"""The Python marts in Dagster: a tag assignment makes the admin-input sensor refresh
``spend_by_tag`` for that tenant only; ``aispend refresh`` rebuilds both new marts."""

from __future__ import annotations

import dagster as dg
import pytest
from click.testing import CliRunner
from mart_seed import seed_team
from sqlalchemy import text

from connectors.manual import ManualConnector
from pipelines.cli import main
from pipelines.ingest import build_ingest_asset
from pipelines.marts import REFRESH_TAG, REFRESH_TENANT_TAG, build_mart_definitions
from pipelines.resources import WarehouseResource, dispose_engines
from pipelines.tag_marts import ADMIN_READS, build_tag_mart_assets
from warehouse import tags
from warehouse.actors import SYSTEM
from warehouse.settings import Settings


@pytest.fixture
def settings(warehouse_url, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield Settings.from_env()
    dispose_engines()


def _tagged(engine, slug: str) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "select s.period, s.tag_value, s.billed_cost_micros from spend_by_tag s"
                    " join tenants t on t.id = s.tenant_id"
                    " where t.slug = :slug and s.tag_key = 'team' and s.tagged"
                    " order by s.period"
                ),
                {"slug": slug},
            )
        ]


def test_a_tag_assignment_refreshes_spend_by_tag_for_its_tenant(settings, engine) -> None:
    acme, beta = seed_team(engine, "acme"), seed_team(engine, "beta")
    ingest = build_ingest_asset(ManualConnector)
    assets, sensors = build_mart_definitions([ingest.key], python_reads=ADMIN_READS)
    assets = [ingest, *assets, *build_tag_mart_assets([ingest.key])]
    resources = {"warehouse": WarehouseResource.for_settings(settings)}
    instance = dg.DagsterInstance.ephemeral()
    python_marts = [dg.AssetKey("spend_by_tag"), dg.AssetKey("vendor_period")]
    dg.materialize(assets, selection=python_marts, instance=instance, resources=resources)
    sensor = next(s for s in sensors if s.name == "marts_admin_input")
    defs = dg.Definitions(assets=assets, sensors=[sensor], resources=resources)

    def tick(cursor):
        ctx = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=resources, definitions=defs
        )
        return sensor.evaluate_tick(ctx)

    first = tick(None)
    assert first.run_requests == [] and first.cursor
    for team in (acme, beta):
        tags.set_tag(engine, team.tenant, SYSTEM, source="anthropic", dimension="account",
                     value="ada@x.io", key="team", tag_value="core")  # fmt: skip
    # Both tenants changed: each gets its own request; run only acme's.
    changed = [r for r in tick(first.cursor).run_requests if r.tags[REFRESH_TENANT_TAG] == "acme"]
    (request,) = changed
    assert request.tags[REFRESH_TAG] == "tag_assignments"
    assert {k.to_user_string() for k in request.asset_selection} == {"spend_by_tag"}
    dg.materialize(
        assets,
        selection=request.asset_selection,
        instance=instance,
        resources=resources,
        tags=request.tags,
    )
    # Ada's January (1_000_001) and February (9_000_000 + 500_000 + the estimate's 0).
    assert _tagged(engine, "acme") == [
        ("2025-01", "core", 1_000_001),
        ("2025-02", "core", 9_500_000),
    ]
    assert _tagged(engine, "beta") == []  # its own refresh request was not run


def test_aispend_refresh_builds_the_python_marts(settings, engine) -> None:
    team = seed_team(engine)
    ok = CliRunner().invoke(main, ["refresh", "--tenant", team.tenant.slug], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    with engine.connect() as conn:
        total = conn.execute(text("select sum(billed_cost_micros) from vendor_period")).scalar_one()
    assert int(total) == 17_750_124  # every fact of the seed, as team_period sums it


def _vendor_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "select tenant_id, period, source, billed_cost_micros, estimated_cost_micros,"
                    " tokens, seats, idle_seats from vendor_period order by 1, 2, 3"
                )
            )
        ]


def test_vendor_period_read_ahead_writes_what_the_asset_would_read(
    settings, engine, monkeypatch
) -> None:
    """``refresh_marts`` reads vendor_period's rows on a thread while the run readies itself:
    the mart holds exactly what its asset computes; a read that failed there is done again."""
    from pipelines import tag_marts
    from pipelines.sync import refresh_marts
    from warehouse import vendor_period

    acme, beta = seed_team(engine, "acme"), seed_team(engine, "beta")
    expected = {t.tenant.id: vendor_period.compute(engine, t.tenant.id) for t in (acme, beta)}
    refresh_marts(settings, full=True, verbose=False)
    by_tenant = [(t, rows) for t, rows in expected.items() if rows]
    assert len(by_tenant) == 2
    assert _vendor_rows(engine) == sorted(
        (tenant_id, r["period"], r["source"], r["billed_cost_micros"],
         r["estimated_cost_micros"], r["tokens"], r["seats"], r["idle_seats"])
        for tenant_id, rows in by_tenant
        for r in rows
    )  # fmt: skip
    assert tag_marts._AHEAD == {}  # nothing kept after the run

    computed = vendor_period.compute
    calls: list[int] = []

    def failing_once(engine_, tenant_id):
        calls.append(tenant_id)
        if len(calls) == 1:
            raise RuntimeError("read ahead failed")
        return computed(engine_, tenant_id)

    with engine.begin() as conn:
        conn.execute(text("delete from vendor_period"))
    monkeypatch.setattr(vendor_period, "compute", failing_once)
    refresh_marts(settings, tenant="acme", verbose=False)
    assert calls == [acme.tenant.id, acme.tenant.id]  # the asset read it again itself
    assert [r[0] for r in _vendor_rows(engine)] == [acme.tenant.id] * len(expected[acme.tenant.id])

"""Marts as Dagster assets: incremental scope from the ingest runs, admin changes refresh the
marts that read them, declared tests as asset checks, ``aispend refresh``."""

from __future__ import annotations

import dagster as dg
import pytest
from click.testing import CliRunner
from dagster._core.definitions.observe import observe  # no public equivalent in 1.13
from mart_seed import account_id, seed_team
from sqlalchemy import text

from connectors.manual import ManualConnector
from pipelines.cli import main
from pipelines.ingest import TENANT_TAG, build_ingest_asset
from pipelines.marts import (
    REFRESH_TAG,
    REFRESH_TENANT_TAG,
    admin_key,
    build_mart_definitions,
)
from pipelines.resources import WarehouseResource, dispose_engines
from warehouse import identities
from warehouse.actors import SYSTEM
from warehouse.dashboard_settings import update_dashboard_settings
from warehouse.settings import Settings


@pytest.fixture
def settings(warehouse_url, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield Settings.from_env()
    dispose_engines()


@pytest.fixture
def graph(settings):
    ingest = build_ingest_asset(ManualConnector)
    assets, sensors = build_mart_definitions([ingest.key])
    resources = {"warehouse": WarehouseResource.for_settings(settings)}
    marts = [a for a in assets if isinstance(a, dg.AssetsDefinition) and a.key.path[0] != "admin"]
    return ingest, [ingest, *assets], {m.key for m in marts}, sensors, resources


def _scopes(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        ev.asset_key.to_user_string(): ev.materialization.metadata["scope"].value
        for ev in result.get_asset_materialization_events()
    }


def test_marts_refresh_when_ingest_changes(graph):
    ingest, assets, mart_keys, _sensors, resources = graph
    instance = dg.DagsterInstance.ephemeral()
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


def test_a_one_day_sync_recomputes_only_its_month(graph, engine):
    team = seed_team(engine)
    ingest, assets, mart_keys, _sensors, resources = graph
    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize(
        assets, selection=list(mart_keys), instance=instance, resources=resources
    )
    assert set(_scopes(first).values()) == {"everything"}  # a first build
    dg.materialize(
        assets,
        selection=[ingest.key],
        partition_key="2025-02-14",
        instance=instance,
        resources=resources,
        tags={TENANT_TAG: team.tenant.slug},
    )
    second = dg.materialize(
        assets, selection=list(mart_keys), instance=instance, resources=resources
    )
    scopes = _scopes(second)
    # The daily mart recomputes the synced day alone; the monthly marts its whole month.
    assert scopes["member_daily"] == f"tenants [{team.tenant.id}], days 2025-02-14..2025-02-14"
    assert scopes["member_period"] == f"tenants [{team.tenant.id}], 2025-02..2025-02"
    # Models whose month reads the month before also recompute the month after.
    assert scopes["leaderboard"] == f"tenants [{team.tenant.id}], 2025-02..2025-03"
    # Every declared test ran as an asset check, over the rows just written.
    checks = second.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    assert {c.check_name for c in checks if c.asset_key == dg.AssetKey("leaderboard")} >= {
        "unique",
        "non_negative_places_climbed",
        "accepted_values_ranked_by",
    }
    # Nothing new since: nothing says what changed, so the next build is a full one.
    third = dg.materialize(
        assets, selection=list(mart_keys), instance=instance, resources=resources
    )
    assert set(_scopes(third).values()) == {"everything"}


def test_linking_an_account_refreshes_that_tenants_marts(graph, engine):
    team = seed_team(engine)
    _ingest, assets, mart_keys, sensors, resources = graph
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize(assets, selection=list(mart_keys), instance=instance, resources=resources)
    sensor = next(s for s in sensors if s.name == "marts_admin_input")
    defs = dg.Definitions(assets=assets, sensors=[sensor], resources=resources)

    def tick(cursor):
        ctx = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=resources, definitions=defs
        )
        return sensor.evaluate_tick(ctx)

    first = tick(None)
    assert first.run_requests == [] and first.cursor
    assert tick(first.cursor).run_requests == []  # nothing changed
    # A setting no mart reads (a badge threshold) refreshes nothing.
    update_dashboard_settings(engine, team.tenant, SYSTEM, badge_multi_tool_count=4)
    assert tick(first.cursor).run_requests == []
    eve = account_id(engine, team.tenant.id, "anthropic", "eve@x.io")
    identities.link_account(engine, team.tenant, SYSTEM, eve, team.ada)
    changed = tick(first.cursor)
    (request,) = changed.run_requests
    assert request.tags[REFRESH_TAG] == "identity_links"
    assert request.tags[REFRESH_TENANT_TAG] == team.tenant.slug
    assert {k.to_user_string() for k in request.asset_selection} == {
        "account_members",  # each account's member, read by the member marts
        "member_daily",
        "member_period_models",
        "member_period",
        "leaderboard",
        "team_period",
        "team_monthly_spend",  # summed from member_period_models (its totals do not change)
    }
    result = dg.materialize(
        assets,
        selection=request.asset_selection,
        instance=instance,
        resources=resources,
        tags=request.tags,
    )
    scopes = _scopes(result)
    assert scopes.pop("account_members") == "everything"  # a full model: a few rows per account
    assert set(scopes.values()) == {f"tenants [{team.tenant.id}], all months"}
    with engine.connect() as conn:
        feb = conn.execute(
            text(
                "select member_group, billed_cost_micros from member_period"
                " where month = '2025-02' and member_group <> 'member' or member_id = :m"
                " and month = '2025-02'"
            ),
            {"m": team.ada},
        ).all()
    assert [tuple(r) for r in feb] == [("member", 9_500_123)]  # Eve's 123 joined Ada's month


def test_admin_tables_are_observable_source_assets(graph, engine):
    _ingest, assets, _marts, _sensors, resources = graph
    sources = {a.key: a for a in assets if a.key.path[0] == "admin"}
    assert set(sources) >= {
        admin_key(t)
        for t in (
            "identity_links",
            "members",
            "settings",
            "manual_entries",
            "budgets",
            "model_prices",
        )
    }
    links = sources[admin_key("identity_links")]
    instance = dg.DagsterInstance.ephemeral()

    def observed() -> str:
        result = observe([links], instance=instance, resources=resources)
        (event,) = result.asset_observations_for_node(links.node_def.name)
        return event.tags["dagster/data_version"]

    empty = observed()
    team = seed_team(engine)
    linked = observed()
    assert linked != empty and observed() == linked
    eve = account_id(engine, team.tenant.id, "anthropic", "eve@x.io")
    identities.link_account(engine, team.tenant, SYSTEM, eve, team.bob)
    assert observed() != linked


def test_aispend_refresh(settings, engine):
    team = seed_team(engine)
    runner = CliRunner()
    bad = runner.invoke(main, ["refresh", "--tenant", "nope"])
    assert bad.exit_code == 1 and "error:" in bad.output and "nope" in bad.output
    ok = runner.invoke(main, ["refresh", "--tenant", team.tenant.slug], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert "member_period: 6 rows" in ok.output
    with engine.connect() as conn:
        total = conn.execute(text("select sum(billed_cost_micros) from team_period")).scalar_one()
    assert int(total) == 17_750_124

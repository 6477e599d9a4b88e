"""The member_suggestions asset through Dagster, and the demo's promise: a suggestion for everyone."""

from __future__ import annotations

import dagster as dg
import pytest
from fake_anthropic import DEFAULT_TEXT, FakeAnthropic
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from suggestion_seed import seed_team

from connectors.registry import load_connectors
from pipelines.definitions import build_definitions
from pipelines.suggestions.assets import ASSET_NAME, materialize_suggestions
from warehouse.actors import SYSTEM
from warehouse.models import Member
from warehouse.models_suggestions import Suggestion
from warehouse.settings import Settings
from warehouse.suggestion_config import set_config


@pytest.fixture
def fake():
    server = FakeAnthropic().start()
    yield server
    server.stop()


def _settings(tmp_path, url: str, api_key: str | None) -> Settings:
    env = {"AISPEND_HOME": str(tmp_path / "home"), "AISPEND_DATABASE_URL": url}
    if api_key:
        env["ANTHROPIC_API_KEY"] = api_key
    return Settings.from_env(env)


def _texts(engine: Engine) -> dict[tuple[int, str], str]:
    with Session(engine) as s:
        return {(r.member_id, r.period): r.text for r in s.scalars(select(Suggestion))}


def test_the_asset_is_in_the_graph_after_the_ingest_assets_with_a_daily_schedule():
    connectors = load_connectors()
    defs = build_definitions(connectors)
    node = defs.resolve_asset_graph().get(dg.AssetKey(ASSET_NAME))
    ingest = {dg.AssetKey(f"ingest_{n}") for n in connectors}
    # Badges and the leaderboard place are mentioned.
    assert node.parent_keys == ingest | {dg.AssetKey("badge_awards"), dg.AssetKey("leaderboard")}
    daily = next(s for s in defs.schedules if s.name == "suggestions_daily")
    assert daily.default_status == dg.DefaultScheduleStatus.RUNNING
    # The daily run refreshes the badges first, then the suggestions; it never syncs a vendor.
    job = defs.resolve_job_def(daily.job_name)
    assert set(job.asset_layer.selected_asset_keys) == {
        dg.AssetKey("badge_awards"),
        dg.AssetKey(ASSET_NAME),
    }


def test_materializing_twice_calls_claude_only_the_first_time(
    warehouse_url, engine: Engine, fake, tmp_path
):
    tenant, ids = seed_team(engine)
    set_config(engine, tenant, SYSTEM, base_url=fake.base_url, max_retries=0)
    settings = _settings(tmp_path, warehouse_url, "sk-ant-api03-asset-test-key")
    first = materialize_suggestions(settings, instance=dg.DagsterInstance.ephemeral())
    written = fake.calls
    assert written >= len(ids) and first["written_by_llm"] == written
    assert first["generator"] == "claude"
    assert set(_texts(engine).values()) == {DEFAULT_TEXT}
    second = materialize_suggestions(settings, instance=dg.DagsterInstance.ephemeral())
    assert fake.calls == written  # the second materialization makes no LLM call
    assert (second["cached"], second["written_by_llm"]) == (written, 0)


def test_an_api_outage_fails_nothing_and_keeps_every_suggestion(
    warehouse_url, engine: Engine, fake, tmp_path
):
    tenant, _ = seed_team(engine)
    set_config(engine, tenant, SYSTEM, base_url=fake.base_url, max_retries=0)
    settings = _settings(tmp_path, warehouse_url, "sk-ant-api03-asset-test-key")
    materialize_suggestions(settings, instance=dg.DagsterInstance.ephemeral())
    before = _texts(engine)
    set_config(engine, tenant, SYSTEM, model="claude-sonnet-4-5")  # everything is due again
    fake.script.extend(["529"] * 50)
    meta = materialize_suggestions(settings, instance=dg.DagsterInstance.ephemeral())
    assert (meta["failed"], meta["written_by_llm"]) == (3, 0)  # then it stops calling
    assert _texts(engine) == before


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_demo_shows_a_suggestion_for_every_member(demo_run) -> None:
    from warehouse.engine import make_engine

    assert demo_run.exit_code == 0, demo_run.lines
    engine = make_engine(f"sqlite:///{demo_run.home / 'warehouse.db'}")
    with Session(engine) as s:
        members = s.scalar(select(func.count()).select_from(Member))
        covered = s.scalars(select(Suggestion.member_id).distinct()).all()
        offline = {r for r in s.scalars(select(Suggestion.generator))}
    engine.dispose()
    assert members == 4 and len(covered) == 4
    assert offline == {"offline"}  # no ANTHROPIC_API_KEY in the demo: the offline muse
    assert any(line.startswith("suggestions: ") and "offline" in line for line in demo_run.lines)


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_every_demo_run_is_a_named_job_in_the_dagster_ui(demo_run) -> None:
    """Issue 10: the Dagster UI lists the demo's runs by what they do, none as
    ``__ephemeral_asset_job__``: a sync per source, the marts, then the suggestions."""
    from pipelines.demo import DEMO_FILE_SOURCES, DEMO_SOURCES
    from pipelines.ingest import TENANT_TAG

    assert demo_run.exit_code == 0, demo_run.lines
    instance = dg.DagsterInstance.from_config(str(demo_run.home / "dagster"))
    try:
        runs = list(instance.get_runs())
        [suggestions] = [r for r in runs if r.job_name == "refresh_suggestions"]
        materialized = {
            e.dagster_event.asset_key
            for e in instance.all_logs(
                suggestions.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            )
        }
    finally:
        instance.dispose()
    synced = {f"sync_{s}" for s in (*DEMO_SOURCES, *DEMO_FILE_SOURCES, "manual")}
    assert {r.job_name for r in runs} == synced | {"refresh_marts", "refresh_suggestions"}
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    assert suggestions.tags[TENANT_TAG] == "default"
    assert materialized == {dg.AssetKey("badge_awards"), dg.AssetKey(ASSET_NAME)}

"""The code location loads (``dagster definitions validate``) and its asset graph is what the
registry and dbt_like_sql/ say it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from connectors.registry import load_connectors
from pipelines.definitions import build_definitions

ROOT = Path(__file__).resolve().parent.parent


def test_dagster_definitions_validate():
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All code locations passed validation" in proc.stdout + proc.stderr


def test_asset_graph_follows_registry_and_sql():
    connectors = load_connectors()
    defs = build_definitions(connectors)
    graph = defs.resolve_asset_graph()
    ingest = {dg.AssetKey(f"ingest_{name}") for name in connectors}
    assert {"manual", "anthropic", "cursor"} <= set(connectors)
    assert ingest <= set(graph.get_all_asset_keys())
    by_model = graph.get(dg.AssetKey("member_period_models")).parent_keys
    assert by_model == ingest | {dg.AssetKey("account_members")}
    # Each account's member is resolved once, from the identity links an admin edits.
    accounts = graph.get(dg.AssetKey("account_members")).parent_keys
    assert accounts == ingest | {dg.AssetKey(["admin", "identity_links"])}
    team = dg.AssetKey("team_monthly_spend")
    assert graph.get(team).parent_keys == {dg.AssetKey("member_period_models")}
    # Marts read admin tables as observable source assets, and each other; tests are checks.
    period = graph.get(dg.AssetKey("member_period"))
    assert period.parent_keys == {
        dg.AssetKey("member_daily"),
        dg.AssetKey("member_period_models"),
        dg.AssetKey(["admin", "members"]),
    }
    assert dg.AssetKey("account_members") in graph.get(dg.AssetKey("member_daily")).parent_keys
    assert {c.name for c in graph.get_check_keys_for_assets({dg.AssetKey("leaderboard")})} >= {
        "unique",
        "non_negative_places_climbed",
    }
    for key in ingest:
        node = graph.get(key)
        assert node.partitions_def is not None
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        checks = {c.name for c in graph.get_check_keys_for_assets({key})}
        assert checks == {"unique_record_keys", "no_negative_usage_cost", "accuracy_invariant"}
    # Schedules and sensors follow each connector's declaration, nothing else.
    sensors = {s.name: s for s in defs.sensors}
    assert sensors["marts_automation"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["marts_admin_input"].default_status == dg.DefaultSensorStatus.RUNNING
    watched = {n for n, c in connectors.items() if c.schedule.watch_input}
    assert "manual" in watched
    inputs = {name for name in sensors if name.endswith("_input_changed")}
    assert inputs == {f"{n}_input_changed" for n in watched}
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    expected = {f"refresh_{n}" for n, c in connectors.items() if c.schedule.refresh_cron}
    expected |= {f"sweep_{n}" for n, c in connectors.items() if c.schedule.sweep_cron}
    assert {s.name for s in defs.schedules} == expected | {"suggestions_daily"}
    assert {"refresh_anthropic", "sweep_cursor"} <= expected and "refresh_manual" not in expected
    manual = graph.get(dg.AssetKey("ingest_manual")).partitions_def
    api = graph.get(dg.AssetKey("ingest_cursor")).partitions_def
    assert manual.get_last_partition_key() > api.get_last_partition_key()  # days ahead


def test_no_connector_is_special_in_the_pipeline():
    """The pipeline and the dashboard read declarations only: no module branches on a
    connector's source type (a new file-based or admin-input connector needs no new branch)."""
    for path in sorted([*(ROOT / "pipelines").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")]):
        text = path.read_text()
        for needle in ("source_type == ", "source_type != ", '"manual" in', "ManualEntry"):
            assert needle not in text, f"{path.relative_to(ROOT)} contains {needle!r}"

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
    team = dg.AssetKey("team_monthly_spend")
    assert graph.get(team).parent_keys == ingest
    for key in ingest:
        node = graph.get(key)
        assert node.partitions_def is not None
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        checks = {c.name for c in graph.get_check_keys_for_assets({key})}
        assert checks == {"unique_record_keys", "no_negative_usage_cost", "accuracy_invariant"}
    sensors = {s.name: s for s in defs.sensors}
    assert sensors["manual_entries_changed"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["marts_automation"].default_status == dg.DefaultSensorStatus.RUNNING
    schedule_names = {s.name for s in defs.schedules}
    api = [n for n, c in connectors.items() if c.source_type != "manual"]
    ingest_schedules = {f"{kind}_{n}" for n in api for kind in ("refresh", "sweep")}
    assert schedule_names == ingest_schedules | {"suggestions_daily"}

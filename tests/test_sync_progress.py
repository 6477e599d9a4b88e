"""A sync people can watch: `aispend sync` prints progress per source and a summary table (or
JSON), not Dagster's log; failures are one line naming the vendor and the Dagster run; runs
show in the Dagster instance as named jobs."""

from __future__ import annotations

import io
import json
import re

import dagster as dg
import pytest
from click.testing import CliRunner
from dagster._core.execution.backfill import BulkActionStatus
from sqlalchemy import create_engine, func, select

from pipelines.cli import main
from pipelines.progress import ProgressReporter
from pipelines.resources import dispose_engines
from warehouse.models import ActivityDay, UsageFact

START, END = "2026-09-01", "2026-09-07"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def env(tmp_path, monkeypatch, vendor_simulator):
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    assert run("init").exit_code == 0
    config = dict(vendor_simulator.config("cursor"))
    args = ["vendor", "configure", "cursor", "--base-url", config.pop("base_url")]
    for key, value in config.items():
        args += ["--set", f"{key}={value}"]
    assert run(*args).exit_code == 0
    yield vendor_simulator
    dispose_engines()


def instance_runs(tmp_path) -> list:
    instance = dg.DagsterInstance.from_config(str(tmp_path / "home" / "dagster"))
    try:
        return list(instance.get_runs())
    finally:
        instance.dispose()


def sync(*extra: str):
    return run("sync", "--source", "cursor", "--start", START, "--end", END, *extra)


def test_progress_and_a_summary_table_instead_of_dagster_log(env, tmp_path):
    result = sync()
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^cursor: \d+ pages, [\d,]+ records, [\d,]+ records/s, [\d.]+ s — done$",
        result.stderr,
        re.M,
    )
    assert re.search(r"^source\s+days\s+rows\s+seconds\s+status$", result.stdout, re.M)
    row = re.search(r"^cursor\s+7\s+([\d,]+)\s+[\d.]+\s+ok$", result.stdout, re.M)
    assert row and int(row.group(1).replace(",", "")) > 0
    assert "dagster - " not in result.output and "DEBUG" not in result.output
    # The runs are the location's named jobs, not __ephemeral_asset_job__; the range is a
    # finished backfill of the sync's run (the UI's Backfills tab).
    runs = instance_runs(tmp_path)
    assert {r.job_name for r in runs} == {"sync_cursor", "refresh_marts"}
    [sync_run] = [r for r in runs if r.job_name == "sync_cursor"]
    instance = dg.DagsterInstance.from_config(str(tmp_path / "home" / "dagster"))
    try:
        [backfill] = instance.get_backfills()
        assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS
        assert sync_run.tags["dagster/backfill"] == backfill.backfill_id
        assert backfill.asset_selection == [dg.AssetKey("ingest_cursor")]
        assert (
            len(list(backfill.asset_backfill_data.materialized_subset.iterate_asset_partitions()))
            == 7
        )
    finally:
        instance.dispose()


def stored_rows(tmp_path, source: str) -> int:
    """Rows the warehouse holds for ``source``: usage facts plus activity_days rows."""
    engine = create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    try:
        with engine.connect() as conn:
            return sum(
                conn.execute(select(func.count()).where(table.c.source == source)).scalar_one()
                for table in (UsageFact.__table__, ActivityDay.__table__)
            )
    finally:
        engine.dispose()


def test_json_summary_for_schedulers(env, tmp_path):
    result = sync("--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["start"] == START and summary["end"] == END
    [cursor] = summary["sources"]
    assert cursor["source"] == "cursor" and cursor["status"] == "ok" and cursor["days"] == 7
    assert cursor["run_id"]
    # rows stored (usage facts and activity days), not the activity values inside them
    assert cursor["rows"] == stored_rows(tmp_path, "cursor") > 0


def test_a_failure_is_one_line_naming_the_vendor_and_the_run(env, tmp_path):
    env.set_faults("cursor", malformed_every=1)
    result = sync()
    assert result.exit_code == 1
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    match = re.fullmatch(r"error: cursor: (.+) \(Dagster run ([0-9a-f-]{36})\)", line)
    assert match and "Cursor" in match.group(1)
    assert "Traceback" not in result.output
    failed = {r.run_id: r for r in instance_runs(tmp_path)}[match.group(2)]
    assert failed.job_name == "sync_cursor" and failed.status == dg.DagsterRunStatus.FAILURE
    assert re.search(r"^cursor\s+7\s+\S+\s+[\d.]+\s+FAILED$", result.stdout, re.M)


def test_verbose_shows_dagsters_log(env):
    result = sync("--verbose")
    assert result.exit_code == 0, result.output
    assert "sync_cursor" in result.output and "RUN_SUCCESS" in result.output


def test_a_terminal_gets_one_line_rewritten_in_place():
    out = io.StringIO()
    reporter = ProgressReporter(stream=out, live=True)
    reporter.start("cursor", 3)
    reporter.add("cursor", pages=1, rows=40)
    reporter.finish("cursor", ok=True)
    text = out.getvalue()
    assert text.startswith("\r\x1b[Kcursor: 1 pages, 40 records")
    assert text.endswith("— done\n") and text.count("\n") == 1

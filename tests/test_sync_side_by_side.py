"""`aispend sync` syncs its sources side by side, each in a process of its own (on SQLite too:
the children stage their rows and take turns only to copy them in), and shows the same thing as
one after the other: progress and a closing line per source, the summary, each source's named
job and backfill in the Dagster instance; the warehouse holds exactly the rows a sequential
sync writes; a vendor failing fails only its own source, with the usual one line naming
vendor, reason and run, and leaves that source's previous rows and the other source's new
ones in place."""

from __future__ import annotations

import datetime as dt
import json
import re

import dagster as dg
import pytest
from click.testing import CliRunner
from dagster._core.execution.backfill import BulkActionStatus
from sqlalchemy import select

from pipelines.cli import main
from pipelines.resources import dispose_engines, engine_for
from pipelines.sync import run_sync
from warehouse.models import ActivityDay, UsageFact
from warehouse.settings import Settings

START, END = "2026-09-01", "2026-09-05"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def env(request, tmp_path, monkeypatch, vendor_simulator):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    assert run("init").exit_code == 0
    for source in ("cursor", "anthropic"):
        config = dict(vendor_simulator.config(source))
        args = ["vendor", "configure", source, "--base-url", config.pop("base_url")]
        for key, value in config.items():
            args += ["--set", f"{key}={value}"]
        assert run(*args).exit_code == 0, source
    yield vendor_simulator
    dispose_engines()


def sync(*extra: str):
    sources = ["--source", "cursor", "--source", "anthropic"]
    return run("sync", *sources, "--start", START, "--end", END, *extra)


def instance(tmp_path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(tmp_path / "home" / "dagster"))


def test_both_sources_synced_with_their_runs_and_backfills(env, tmp_path):
    result = sync("--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [s["source"] for s in summary["sources"]] == ["cursor", "anthropic"]
    assert all(s["status"] == "ok" and s["rows"] > 0 and s["days"] == 5 for s in summary["sources"])
    for source in ("cursor", "anthropic"):
        assert re.search(rf"^{source}: syncing 5 day\(s\)$", result.stderr, re.M)
        assert re.search(rf"^{source}: \d+ pages, [\d,]+ records, .* — done$", result.stderr, re.M)
    with instance(tmp_path) as dagster:
        runs = {r.job_name: r for r in dagster.get_runs()}
        assert set(runs) == {"sync_cursor", "sync_anthropic", "refresh_marts"}
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs.values())
        # each source's run was executed by a process of its own
        assert runs["sync_cursor"].tags["aispend/pid"] != runs["sync_anthropic"].tags["aispend/pid"]
        ids = {s["source"]: s["run_id"] for s in summary["sources"]}
        assert ids == {
            "cursor": runs["sync_cursor"].run_id,
            "anthropic": runs["sync_anthropic"].run_id,
        }
        backfills = {b.backfill_id: b for b in dagster.get_backfills()}
        for source in ("cursor", "anthropic"):
            backfill = backfills[runs[f"sync_{source}"].tags["dagster/backfill"]]
            assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS
            assert dagster.get_materialized_partitions(dg.AssetKey(f"ingest_{source}")) == {
                f"2026-09-0{d}" for d in range(1, 6)
            }


def test_one_vendor_failing_fails_only_its_source(env, tmp_path):
    env.set_faults("cursor", malformed_every=1)
    result = sync()
    assert result.exit_code == 1
    assert re.search(r"^anthropic\s+5\s+[\d,]+\s+[\d.]+\s+ok$", result.stdout, re.M)
    assert re.search(r"^cursor\s+5\s+\S+\s+[\d.]+\s+FAILED$", result.stdout, re.M)
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    match = re.fullmatch(r"error: cursor: (.+) \(Dagster run ([0-9a-f-]{36})\)", line)
    assert match and "Cursor" in match.group(1)
    with instance(tmp_path) as dagster:
        failed = dagster.get_run_by_id(match.group(2))
        assert failed.job_name == "sync_cursor" and failed.status == dg.DagsterRunStatus.FAILURE


def stored() -> dict[str, dict[str, list[tuple]]]:
    """Per source: its usage and activity rows (without ids) and the runs that wrote them."""
    engine = engine_for(Settings.from_env())
    out: dict[str, dict[str, list[tuple]]] = {}
    with engine.connect() as conn:
        for name, table, order in (
            ("usage", UsageFact.__table__, ["record_key"]),
            ("activity", ActivityDay.__table__, ["source", "account_key", "day"]),
        ):
            kept = [c for c in table.c if c.name not in ("id", "ingestion_run_id", "ingested_at")]
            query = select(table).order_by(*(table.c[c] for c in order))
            for row in conn.execute(query).mappings():
                source = out.setdefault(row["source"], {})
                source.setdefault(name, []).append(tuple(row[c.name] for c in kept))
                source.setdefault("runs", []).append(row["ingestion_run_id"])
    for source in out.values():
        source["runs"] = sorted(set(source["runs"]))
    return out


def test_side_by_side_stores_exactly_what_a_sequential_sync_stores(env):
    run_sync(
        Settings.from_env(),
        sources=["cursor", "anthropic"],
        start=dt.date.fromisoformat(START),
        end=dt.date.fromisoformat(END),
        verbose=False,
        parallel=False,
    )
    sequential = stored()
    assert set(sequential) == {"cursor", "anthropic"}
    assert all(len(rows["usage"]) > 0 and len(rows["activity"]) > 0 for rows in sequential.values())
    result = sync("--json")
    assert result.exit_code == 0, result.output
    side_by_side = stored()
    runs = {s["source"]: s["run_id"] for s in json.loads(result.stdout)["sources"]}
    for source in ("cursor", "anthropic"):
        # rewritten by this sync's run of the source, row for row what the sequential one wrote
        assert side_by_side[source]["runs"] == [runs[source]]
        assert side_by_side[source]["usage"] == sequential[source]["usage"]
        assert side_by_side[source]["activity"] == sequential[source]["activity"]


def test_a_failing_source_keeps_its_previous_rows_and_the_other_source_its_new_ones(env):
    assert sync().exit_code == 0
    before = stored()
    env.set_faults("cursor", malformed_every=1)
    result = sync("--json")
    assert result.exit_code == 1
    after = stored()
    status = {s["source"]: (s["status"], s["run_id"]) for s in json.loads(result.stdout)["sources"]}
    assert status["cursor"][0] != "ok" and status["anthropic"][0] == "ok"
    assert after["cursor"] == before["cursor"]  # the previous good rows, untouched
    assert after["anthropic"]["runs"] == [status["anthropic"][1]]
    assert after["anthropic"]["usage"] == before["anthropic"]["usage"]
    assert after["anthropic"]["activity"] == before["anthropic"]["activity"]

"""The shipped production instance (pipelines/dagster_postgres.yaml) with the real daemon:
storage on PostgreSQL, backfills queued through the QueuedRunCoordinator and run by the daemon,
and never two syncs of one vendor at once (its tag concurrency limit)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from dagster._core.execution.backfill import BulkActionStatus
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from connectors.registry import load_connectors
from pipelines.backfills import submit_backfill
from pipelines.definitions import build_definitions
from pipelines.resources import dispose_engines
from warehouse import manual_entries, migrate, tenants
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.models import UsageFact

ROOT = Path(__file__).resolve().parent.parent
YAML = ROOT / "pipelines" / "dagster_postgres.yaml"
DONE = {
    BulkActionStatus.COMPLETED_SUCCESS,
    BulkActionStatus.COMPLETED_FAILED,
    BulkActionStatus.FAILED,
}


def _reset_signals() -> None:
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.postgres
@pytest.mark.slow
def test_the_daemon_runs_backfills_one_vendor_at_a_time(pg_database_factory, tmp_path, monkeypatch):
    dagster_db = make_url(pg_database_factory("aispend_dagster")).set(
        drivername="postgresql+psycopg2"
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(YAML, home / "dagster.yaml")
    (tmp_path / "workspace.yaml").write_text(
        f"load_from:\n  - python_module:\n      module_name: pipelines.definitions\n"
        f"      working_directory: {ROOT}\n"
    )
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = {
        "AISPEND_HOME": str(tmp_path / "aispend"),
        "AISPEND_DATABASE_URL": warehouse_url,
        "AISPEND_SECRET_KEY": Fernet.generate_key().decode(),
        "AISPEND_HISTORY_START": "2025-09-01",
        "DAGSTER_HOME": str(home),
        "AISPEND_DAGSTER_PG_URL": dagster_db.render_as_string(hide_password=False),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    engine = make_engine(warehouse_url)
    migrate.upgrade(engine)
    acme = tenants.create_tenant(engine, "acme")
    manual_entries.create_entry(
        engine,
        acme,
        SYSTEM,
        provider="Replit",
        service="Teams",
        amount="60.00",
        period_start=dt.date(2025, 9, 1),
        period_end=dt.date(2025, 9, 6),
    )

    instance = dg.DagsterInstance.from_config(str(home))
    daemon = None
    try:
        queue = instance.run_coordinator.get_run_queue_config()
        assert [(lim["key"], lim["limit"]) for lim in queue.tag_concurrency_limits] == [
            ("aispend/source", 1)
        ]
        defs = build_definitions(load_connectors())
        first = submit_backfill(instance, defs, "manual", dt.date(2025, 9, 1), dt.date(2025, 9, 3))
        second = submit_backfill(instance, defs, "manual", dt.date(2025, 9, 4), dt.date(2025, 9, 6))
        daemon = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster-daemon"),
                "run",
                "-w",
                str(tmp_path / "workspace.yaml"),
            ],
            env={**os.environ, **env},
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "daemon.log", "w"),  # noqa: SIM115 (closed with the process)
            preexec_fn=_reset_signals,
        )
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            backfills = {b.backfill_id: b for b in instance.get_backfills()}
            if all(backfills[b].status in DONE for b in (first, second)):
                break
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            time.sleep(2)
        else:
            pytest.fail(
                "backfills not done in time:\n" + (tmp_path / "daemon.log").read_text()[-3000:]
            )
        assert {backfills[b].status for b in (first, second)} == {
            BulkActionStatus.COMPLETED_SUCCESS
        }

        runs = {}
        for backfill_id in (first, second):
            [run] = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
            assert run.status == dg.DagsterRunStatus.SUCCESS
            assert run.tags["aispend/source"] == "manual"
            enqueued = instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.RUN_ENQUEUED
            )
            assert enqueued.records, "the run did not go through the queue"
            runs[backfill_id] = instance.get_run_record_by_id(run.run_id)
        # Never two syncs of one vendor at once: the second started after the first ended.
        a, b = sorted(runs.values(), key=lambda r: r.start_time)
        assert a.end_time <= b.start_time
    finally:
        if daemon is not None:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        instance.dispose()
        dispose_engines()
    with engine.connect() as conn:
        rows, total = conn.execute(
            select(func.count(), func.sum(UsageFact.billed_cost_micros)).where(
                UsageFact.source == "manual"
            )
        ).one()
    engine.dispose()
    assert rows == 6 and total == 60_000_000

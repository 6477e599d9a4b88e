"""A sync killed mid-way leaves its Dagster run STARTED; the next sync (or `aispend serve`)
marks it failed, naming why."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.resources import dispose_engines


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _runs(home: Path) -> list:
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        return list(instance.get_runs())
    finally:
        instance.dispose()


@pytest.mark.slow
def test_a_killed_sync_is_marked_failed_by_the_next_one(tmp_path, monkeypatch, vendor_simulator):
    home = tmp_path / "home"
    env = {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}",
        "AISPEND_ADMIN_PASSWORD": "correct-horse",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    assert run("init").exit_code == 0
    config = dict(vendor_simulator.config("cursor"))
    args = ["vendor", "configure", "cursor", "--base-url", config.pop("base_url")]
    for key, value in config.items():
        args += ["--set", f"{key}={value}"]
    assert run(*args).exit_code == 0

    vendor_simulator.set_faults("cursor", slow_seconds=20)
    child_env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    cmd = [str(Path(sys.executable).parent / "aispend"), "sync", "--source", "cursor"]
    child = subprocess.Popen(
        [*cmd, "--start", "2026-09-01", "--end", "2026-09-02"],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            started = [r for r in _runs(home) if r.status == dg.DagsterRunStatus.STARTED]
            if started:
                break
            time.sleep(0.5)
        assert started, "the child's run never started"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    [killed] = started
    assert killed.job_name == "sync_cursor"

    vendor_simulator.clear_faults()  # set_faults("cursor") alone keeps the 20 s delay
    try:
        assert (
            run(
                "sync", "--source", "cursor", "--start", "2026-09-01", "--end", "2026-09-01"
            ).exit_code
            == 0
        )
    finally:
        dispose_engines()
    after = {r.run_id: r for r in _runs(home)}
    assert after[killed.run_id].status == dg.DagsterRunStatus.FAILURE
    assert {r.status for i, r in after.items() if i != killed.run_id} == {
        dg.DagsterRunStatus.SUCCESS
    }

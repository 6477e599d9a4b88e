"""`aispend serve`: the Dagster webserver + daemon and the Streamlit dashboard, together.

Each child runs in its own process group with SIGINT/SIGTERM reset to their defaults (a
non-interactive parent otherwise leaves them ignored and `dagster dev` cannot be stopped).
Ctrl-C, SIGTERM or either child exiting stops both.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from dashboard.run import streamlit_command
from warehouse.settings import Settings


def _reset_signals() -> None:
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["AISPEND_HOME"] = str(settings.home)
    env["DAGSTER_HOME"] = str(settings.dagster_home)
    env.setdefault("AISPEND_DATABASE_URL", settings.database_url)
    return env


def commands(settings: Settings) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "dagster": [
            py,
            "-m",
            "dagster",
            "dev",
            "-m",
            "pipelines.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(settings.dagster_port),
        ],
        "dashboard": streamlit_command(settings.dashboard_port),
    }


def _stop(procs: dict[str, subprocess.Popen], timeout: float = 15.0) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _fail_orphaned_runs(settings: Settings, echo) -> None:
    """Runs left STARTED by a sync killed mid-way are marked failed before the UI shows them."""
    if not (settings.dagster_home / "dagster.yaml").exists():
        return
    import dagster as dg

    from pipelines.orphans import fail_orphaned_runs

    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    try:
        failed = fail_orphaned_runs(instance)
    finally:
        instance.dispose()
    if failed:
        echo(f"marked {len(failed)} run(s) killed mid-way as failed: {', '.join(failed)}")


def serve(settings: Settings, echo=print) -> int:
    """Run both UIs until Ctrl-C/SIGTERM or until one of them exits; returns an exit code."""
    _fail_orphaned_runs(settings, echo)
    env = child_env(settings)
    procs: dict[str, subprocess.Popen] = {}
    stopping = {"flag": False}

    def on_signal(signum, _frame):
        stopping["flag"] = True

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, cmd in commands(settings).items():
            procs[name] = subprocess.Popen(cmd, env=env, preexec_fn=_reset_signals)
        echo(f"Dagster UI:  http://127.0.0.1:{settings.dagster_port}")
        echo(f"Dashboard:   http://127.0.0.1:{settings.dashboard_port}")
        echo("Press Ctrl-C to stop both.")
        while not stopping["flag"]:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    echo(f"{name} exited with code {proc.returncode}; stopping the other one")
                    stopping["flag"] = True
            time.sleep(0.3)
        return 0
    finally:
        _stop(procs)
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)

"""`aispend serve`: the Dagster webserver + daemon and the Streamlit dashboard, together.

Each child runs in its own process group with SIGINT/SIGTERM reset to their defaults (a
non-interactive parent otherwise leaves them ignored and `dagster dev` cannot be stopped).
Ctrl-C, SIGTERM or either child exiting stops both, together with everything they started
(the code servers `dagster dev` runs live in its process group). A child that exits on its own
makes `aispend serve` exit 1 naming it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

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


DAGSTER_DEV_NOTICE = "Function `dev_command` is superseded"


def commands(settings: Settings) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "dagster": [
            py,
            # Dagster (1.13 here) says on every start that `dagster dev` is superseded by `dg dev`, a
            # CLI this project does not install: nothing a user of `aispend serve` can act on.
            "-W",
            f"ignore:{DAGSTER_DEV_NOTICE}",
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


# `dagster dev` runs the webserver and the daemon itself; when one of them dies it logs this
# line, stops the other and exits (with code 0). Its log is relayed to find out which one died.
_DAGSTER_CRASH = re.compile(
    r"(dagster-webserver|dagster-daemon) process shut down unexpectedly with return code (-?\d+)"
)
STOP_TIMEOUT = 15.0  # seconds a child's group gets to exit after SIGTERM, then SIGKILL
LABELS = {"dagster": "Dagster (dagster dev)", "dashboard": "the dashboard (streamlit)"}


def _relay(stream, crashes: list[str]) -> None:
    """Copy a child's stderr to ours, noting which Dagster process it says crashed."""
    for line in stream:
        sys.stderr.write(line)
        sys.stderr.flush()
        found = _DAGSTER_CRASH.search(line)
        if found:
            crashes.append(
                f"the {found.group(1).replace('-', ' ')} exited with code {found.group(2)}"
            )


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``: a child's own children included,
    e.g. the code servers (`dagster api grpc`) that `dagster dev` starts."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether anyone is left in the group
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...; comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _wait_group(proc: subprocess.Popen, deadline: float) -> bool:
    """Wait until the child and everything in its group have exited; False on timeout."""
    while True:
        proc.poll()  # reap the child itself, or it stays a member as a zombie
        if proc.returncode is not None and not _group_members(proc.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _stop(procs: dict[str, subprocess.Popen], timeout: float | None = None) -> None:
    """Stop every child's whole process group, including processes a child started and left
    behind when it exited first; SIGKILL what is still there after ``timeout`` seconds."""
    for proc in procs.values():
        _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + (STOP_TIMEOUT if timeout is None else timeout)
    for proc in procs.values():
        if not _wait_group(proc, deadline):
            _signal_group(proc.pid, signal.SIGKILL)
            _wait_group(proc, time.monotonic() + 5)


def _fail_orphaned_runs(settings: Settings, echo) -> None:
    """Runs left STARTED by a sync killed mid-way are marked failed before the UI shows them."""
    if not (settings.dagster_home / "dagster.yaml").exists():
        return

    from pipelines.dagster_sqlite import open_instance
    from pipelines.orphans import fail_orphaned_runs

    instance = open_instance(settings.dagster_home)
    try:
        failed = fail_orphaned_runs(instance)
    finally:
        instance.dispose()
    if failed:
        echo(f"marked {len(failed)} run(s) killed mid-way as failed: {', '.join(failed)}")


def serve(settings: Settings, echo=print) -> int:
    """Run both UIs until Ctrl-C/SIGTERM (returns 0) or until a child exits on its own: then
    the others are stopped, the one that ended is named on stderr, and 1 is returned."""
    _fail_orphaned_runs(settings, echo)
    env = child_env(settings)
    procs: dict[str, subprocess.Popen] = {}
    relays: list[threading.Thread] = []
    crashes: list[str] = []
    stopping = {"flag": False}
    ended: tuple[str, int] | None = None

    def on_signal(signum, _frame):
        stopping["flag"] = True

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, cmd in commands(settings).items():
            procs[name] = subprocess.Popen(
                cmd,
                env=env,
                preexec_fn=_reset_signals,
                stderr=subprocess.PIPE,
                encoding="utf-8",
                errors="replace",
            )
            relay = threading.Thread(target=_relay, args=(procs[name].stderr, crashes), daemon=True)
            relay.start()
            relays.append(relay)
        echo(f"Dagster UI:  http://127.0.0.1:{settings.dagster_port}")
        echo(f"Dashboard:   http://127.0.0.1:{settings.dashboard_port}")
        echo("Press Ctrl-C to stop both.")
        while not stopping["flag"] and ended is None:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    ended = (name, proc.returncode)
                    break
            else:
                time.sleep(0.3)
    finally:
        _stop(procs)
        for relay in relays:
            relay.join(timeout=2)
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    if ended is None:
        return 0
    name, code = ended
    if name == "dagster" and crashes:
        what = f"{crashes[0]} and dagster dev stopped"
    else:
        what = f"{LABELS.get(name, name)} exited with code {code}"
    print(f"error: {what}; stopped everything else", file=sys.stderr)
    return 1

"""`aispend serve` for real: both UIs answer on 127.0.0.1, and Ctrl-C (SIGINT) stops both and
every process they started (the code servers `dagster dev` runs included)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[1:]]
    return [int(p) for p, pp in rows if int(pp) == pid]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


def _marked(mark: str) -> list[str]:
    """Command lines of live processes whose environment carries ``mark``."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() not in environ.read_bytes():
                continue
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (environ.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if state != "Z":
            found.append(cmdline)
    return found


@pytest.mark.slow
def test_serve_starts_both_and_ctrl_c_stops_both(tmp_path: Path):
    dagster_port, dashboard_port = _free_port(), _free_port()
    mark = f"AISPEND_SERVE_TEST_MARK={uuid.uuid4().hex}"
    env = {
        **os.environ,
        mark.split("=")[0]: mark.split("=")[1],
        "AISPEND_HOME": str(tmp_path / "home"),
        "AISPEND_ADMIN_PASSWORD": "correct-horse",
        "AISPEND_DAGSTER_PORT": str(dagster_port),
        "AISPEND_DASHBOARD_PORT": str(dashboard_port),
    }
    env.pop("AISPEND_DATABASE_URL", None)
    env.pop("DAGSTER_HOME", None)
    exe = str(Path(sys.executable).with_name("aispend"))
    assert subprocess.run([exe, "init"], env=env, capture_output=True, timeout=120).returncode == 0
    proc = subprocess.Popen(
        [exe, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 240  # `dagster dev` is slow to answer on a loaded machine
        dagster = dashboard = 0
        while time.monotonic() < deadline and not (dagster == 200 and dashboard == 200):
            time.sleep(1)
            dagster = _get(f"http://127.0.0.1:{dagster_port}/server_info")
            dashboard = _get(f"http://127.0.0.1:{dashboard_port}/_stcore/health")
            assert proc.poll() is None, proc.stdout.read()
        assert (dagster, dashboard) == (200, 200)
        children = _children(proc.pid)
        assert len(children) == 2
        assert any(" api grpc " in cmd or " code-server " in cmd for cmd in _marked(mark))

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        output = proc.stdout.read()
        assert f"http://127.0.0.1:{dagster_port}" in output
        assert f"http://127.0.0.1:{dashboard_port}" in output
        # What a user reads on starting it: no warning that says it can be ignored (Streamlit's
        # about the warm-up running outside a session; Dagster's about `dg dev`).
        assert "missing ScriptRunContext" not in output
        assert "is superseded" not in output
        time.sleep(0.5)
        assert [c for c in children if _alive(c)] == []
        assert _marked(mark) == []  # no code server (`dagster api grpc`) left behind
        assert _get(f"http://127.0.0.1:{dashboard_port}/_stcore/health") == 0
    finally:
        if proc.poll() is None:  # stop it the way a user would, so it cleans up its children
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

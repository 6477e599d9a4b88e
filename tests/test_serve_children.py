"""`aispend serve` when a child dies: it exits 1 naming the child, and stops everything the
children started (nothing is left behind). Real processes: a real streamlit that cannot bind
its port, and a stand-in for `dagster dev` that starts a grandchild ignoring SIGTERM, like the
code servers `dagster dev` runs."""

from __future__ import annotations

import os
import socket
import sys
import uuid
from pathlib import Path

import pytest

from pipelines import serve as serve_module
from warehouse.settings import Settings

MARK = "AISPEND_SERVE_TEST_MARK"

# A long-running parent with a grandchild that ignores SIGTERM and says when it is up.
PARENT_WITH_STUBBORN_CHILD = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", '''
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).write_text("up")
time.sleep(600)
''', sys.argv[1]])
time.sleep(600)
"""


def _marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``mark``."""
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"{MARK}={mark}".encode() not in environ.read_bytes():
                continue
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            pids.append(int(environ.parent.name))
    return pids


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    mark = uuid.uuid4().hex
    monkeypatch.setenv(MARK, mark)
    monkeypatch.setattr(serve_module, "STOP_TIMEOUT", 2.0)
    return Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path / 'w.db'}", dagster_home=tmp_path
    )


def _once_exists(path: Path, argv: list[str]) -> list[str]:
    """A command that waits until ``path`` exists, then becomes ``argv``."""
    code = (
        "import os, pathlib, sys, time\n"
        f"while not pathlib.Path({str(path)!r}).exists(): time.sleep(0.05)\n"
        f"os.execv(sys.executable, {argv!r})"
    )
    return [sys.executable, "-c", code]


def test_a_dashboard_that_cannot_start_stops_serve_with_exit_1_naming_it(
    settings, tmp_path, monkeypatch, capfd
):
    from dashboard.run import streamlit_command

    ready = tmp_path / "grandchild-up"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The dashboard starts once the grandchild is up, so there is something to clean up.
        monkeypatch.setattr(
            serve_module,
            "commands",
            lambda _s: {
                "dagster": [sys.executable, "-c", PARENT_WITH_STUBBORN_CHILD, str(ready)],
                "dashboard": _once_exists(ready, streamlit_command(port)),
            },
        )
        code = serve_module.serve(settings, echo=lambda _m: None)
    err = capfd.readouterr().err
    assert code == 1
    assert "error: the dashboard (streamlit) exited with code 1; stopped everything else" in err
    assert f"Port {port} is not available" in err  # the child's own words, relayed
    assert _marked(os.environ[MARK]) == []


def test_a_crashed_dagster_process_is_named(settings, monkeypatch, capfd):
    # `dagster dev` logs this line when its webserver dies, stops the daemon and exits 0.
    line = "dagster-webserver process shut down unexpectedly with return code 1"
    monkeypatch.setattr(
        serve_module,
        "commands",
        lambda _s: {
            "dagster": [sys.executable, "-c", f"import sys; print({line!r}, file=sys.stderr)"],
            "dashboard": [sys.executable, "-c", "import time; time.sleep(600)"],
        },
    )
    code = serve_module.serve(settings, echo=lambda _m: None)
    err = capfd.readouterr().err
    assert code == 1
    assert (
        "error: the dagster webserver exited with code 1 and dagster dev stopped; "
        "stopped everything else"
    ) in err
    assert _marked(os.environ[MARK]) == []

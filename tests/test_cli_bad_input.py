"""Every CLI command given bad input: exactly one `error: …` line on stderr, no traceback, a
non-zero exit, and (where something could be written) nothing written.

Cases that never open the warehouse run once; cases that do run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.cli import main
from warehouse.models import AuditEvent, Credential, Member, Tenant, User

LONG_NAME = "n" * 1000


def run(args: list[str], input: str | None = None):
    return CliRunner().invoke(main, args, input=input)


def assert_one_error_line(result, *, expect: str | None = None) -> str:
    """The outcome every bad input must have; returns the error line."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"an exception escaped: {result.exception!r}"
    )
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    if expect is not None:
        assert expect.lower() in lines[0].lower(), lines[0]
    return lines[0]


@pytest.fixture
def home_env(tmp_path, monkeypatch) -> Path:
    """An aispend home that does not exist yet, its warehouse the default SQLite file."""
    home = tmp_path / "home"
    for key in (
        "AISPEND_DATABASE_URL",
        "AISPEND_SECRET_KEY",
        "AISPEND_COOKIE_KEY",
        "AISPEND_TENANT",
        "DAGSTER_HOME",
        "AISPEND_ADMIN_PASSWORD",
        "AISPEND_DAGSTER_PORT",
        "AISPEND_DASHBOARD_PORT",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(home))
    return home


# (id, argv, extra environment, text the error line must contain)
NO_WAREHOUSE_CASES = [
    ("unknown-command", ["nosuch"], {}, "No such command"),
    ("unknown-option", ["sync", "--bogus"], {}, "No such option"),
    ("bad-date", ["sync", "--start", "2026-13-01", "--end", "2026-01-01"], {}, "not a date"),
    (
        "sync-end-before-start",
        ["sync", "--start", "2026-10-02", "--end", "2026-10-01"],
        {},
        "before",
    ),
    ("missing-option", ["export", "--format", "focus-csv"], {}, "--start"),
    ("simulator-port-99999", ["simulator", "serve", "--port", "99999"], {}, "--port"),
    ("simulator-days-0", ["simulator", "serve", "--days", "0"], {}, "--days"),
    ("simulator-days-negative", ["simulator", "serve", "--days", "-5"], {}, "--days"),
    ("simulator-members-huge", ["simulator", "serve", "--members", "100000000"], {}, "--members"),
    ("simulator-fault-zero", ["simulator", "serve", "--rate-limit-every", "0"], {}, "rate-limit"),
    ("demo-days-0", ["demo", "--no-serve", "--days", "0"], {}, "--days"),
    ("demo-members-0", ["demo", "--no-serve", "--members", "0"], {}, "--members"),
    (
        "serve-port-out-of-range",
        ["serve"],
        {"AISPEND_DASHBOARD_PORT": "99999"},
        "AISPEND_DASHBOARD_PORT",
    ),
    (
        "serve-port-not-a-number",
        ["serve"],
        {"AISPEND_DAGSTER_PORT": "http"},
        "AISPEND_DAGSTER_PORT",
    ),
    (
        "db-url-malformed",
        ["db", "upgrade"],
        {"AISPEND_DATABASE_URL": "not a url"},
        "AISPEND_DATABASE_URL",
    ),
    (
        "db-driver-missing",
        ["db", "upgrade"],
        {"AISPEND_DATABASE_URL": "mysql://u@localhost/x"},
        "not installed",
    ),
    (
        "db-driver-unknown",
        ["db", "upgrade"],
        {"AISPEND_DATABASE_URL": "nosuchdb://u@h/x"},
        "driver",
    ),
    (
        "db-connection-refused",
        ["db", "upgrade"],
        {"AISPEND_DATABASE_URL": "postgresql+psycopg://postgres:hunter2secret@127.0.0.1:9/x"},
        "warehouse",
    ),
    (
        "db-unwritable-path",
        ["db", "upgrade"],
        {"AISPEND_DATABASE_URL": "sqlite:////proc/aispend/w.db"},
        "/proc/aispend",
    ),
    ("vendor-configure-nosuch", ["vendor", "configure", "nosuch"], {}, "unknown connector"),
    (
        "vendor-configure-malformed-url",
        [
            "vendor",
            "configure",
            "anthropic",
            "--set",
            "admin_api_key=sk-1234567890",
            "--base-url",
            "http://[::1",
        ],
        {},
        "base URL",
    ),
    (
        "vendor-configure-file-url",
        [
            "vendor",
            "configure",
            "anthropic",
            "--set",
            "admin_api_key=sk-1234567890",
            "--base-url",
            "file:///etc/passwd",
        ],
        {},
        "http://",
    ),
    (
        "vendor-configure-empty-secret",
        ["vendor", "configure", "anthropic", "--set", "admin_api_key="],
        {},
        "empty",
    ),
    (
        "vendor-configure-bare-value",
        ["vendor", "configure", "anthropic", "--set", "sk-ant-secretvalue"],
        {},
        "FIELD=VALUE",
    ),
    (
        "vendor-configure-unknown-field",
        ["vendor", "configure", "cursor", "--set", "nope=1"],
        {},
        "no field",
    ),
    (
        "export-end-before-start",
        [
            "export",
            "--format",
            "focus-csv",
            "--start",
            "2026-10-02",
            "--end",
            "2026-10-01",
            "--out",
            "{home}/../x.csv",
        ],
        {},
        "before it starts",
    ),
    (
        "export-missing-folder",
        [
            "export",
            "--format",
            "focus-csv",
            "--start",
            "2026-10-01",
            "--end",
            "2026-10-02",
            "--out",
            "{home}/../nosuch/x.csv",
        ],
        {},
        "does not exist",
    ),
]


@pytest.mark.parametrize(
    "argv, env, expect", [pytest.param(*c[1:], id=c[0]) for c in NO_WAREHOUSE_CASES]
)
def test_bad_input_is_one_error_line_and_writes_nothing(home_env, monkeypatch, argv, env, expect):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    argv = [a.replace("{home}", str(home_env)) for a in argv]
    line = assert_one_error_line(run(argv), expect=expect)
    assert "hunter2secret" not in line
    assert not home_env.exists(), f"{home_env} was created: {sorted(home_env.rglob('*'))}"
    assert not (home_env.parent / "x.csv").exists()


@pytest.fixture
def ready(tmp_path, warehouse_url, engine, monkeypatch):
    """`aispend init` done on each database: tenant 'default' with one admin."""
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    result = run(["init"])
    assert result.exit_code == 0, result.output
    return engine


def _state(engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model))
            for model in (Tenant, User, Member, Credential, AuditEvent)
        )


WAREHOUSE_CASES = [
    ("vendor-test-nosuch", ["vendor", "test", "nosuch"], {}, "unknown connector"),
    ("vendor-test-not-configured", ["vendor", "test", "cursor"], {}, "not configured"),
    (
        "user-add-1000-char-name",
        [
            "user",
            "add",
            "v@example.com",
            "--role",
            "viewer",
            "--name",
            LONG_NAME,
            "--password-stdin",
        ],
        {},
        "at most 200",
    ),
    (
        "user-add-bad-email",
        ["user", "add", "nobody", "--role", "viewer", "--password-stdin"],
        {},
        "not an email",
    ),
    (
        "user-add-short-password",
        ["user", "add", "v@example.com", "--role", "viewer", "--password-stdin"],
        {"_stdin": "short\n"},
        "at least 8",
    ),
    ("member-add-1000-char-name", ["member", "add", LONG_NAME], {}, "at most 200"),
    (
        "init-bad-email",
        ["init", "--tenant", "fresh", "--admin-email", "not-an-email"],
        {},
        "not an email",
    ),
    (
        "init-bad-password",
        ["init", "--tenant", "fresh"],
        {"AISPEND_ADMIN_PASSWORD": "short"},
        "at least 8",
    ),
    ("init-bad-slug", ["init", "--tenant", "Not A Slug"], {}, "slug"),
    ("unknown-tenant", ["member", "list", "--tenant", "nosuch"], {}, "no tenant"),
    (
        "prices-set-not-a-number",
        [
            "prices",
            "set",
            "m-1",
            "--provider",
            "Acme",
            "--valid-from",
            "2026-01-01",
            "--input",
            "abc",
            "--output",
            "1",
        ],
        {},
        "input",
    ),
    ("budget-amount-absurd", ["budget", "set", "--amount", "1e30"], {}, "--amount"),
    (
        "budget-thresholds-bad",
        ["budget", "set", "--amount", "10", "--thresholds", "x"],
        {},
        "percents",
    ),
]


@pytest.mark.parametrize(
    "argv, env, expect", [pytest.param(*c[1:], id=c[0]) for c in WAREHOUSE_CASES]
)
def test_bad_input_against_the_warehouse_writes_nothing(ready, monkeypatch, argv, env, expect):
    env = dict(env)
    stdin = env.pop("_stdin", "password-long-enough\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = _state(ready)
    result = run(argv, input=stdin)
    line = assert_one_error_line(result, expect=expect)
    assert "$2b$" not in result.output and LONG_NAME not in line  # no hash, no echoed value
    assert _state(ready) == before


def test_the_console_script_prints_one_line_for_usage_and_database_errors(tmp_path):
    """A real process: click's usage error and an unreachable warehouse, one line each."""
    exe = Path(sys.executable).parent / "aispend"
    env = {
        **os.environ,
        "AISPEND_HOME": str(tmp_path / "home"),
        "AISPEND_DATABASE_URL": "postgresql+psycopg://postgres:hunter2secret@127.0.0.1:9/x",
    }
    for argv, code in ((["sync", "--start", "nope"], 2), (["db", "upgrade"], 1)):
        proc = subprocess.run(
            [str(exe), *argv], capture_output=True, text=True, env=env, timeout=120
        )
        assert proc.returncode == code, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
        assert "hunter2secret" not in proc.stderr


def _sigint_as_from_a_terminal() -> None:
    import signal

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_the_simulators_fault_knobs_work_from_its_cli(tmp_path):
    """`simulator serve --server-error-every 1`: every answer of every vendor is an HTTP 500."""
    import base64
    import signal
    import urllib.error
    import urllib.request

    exe = Path(sys.executable).parent / "aispend"
    env = {**os.environ, "AISPEND_HOME": str(tmp_path / "home")}
    argv = ["simulator", "serve", "--port", "0", "--days", "3", "--members", "2"]
    proc = subprocess.Popen(
        [str(exe), *argv, "--server-error-every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # As from a terminal: Ctrl-C delivered and not ignored. A child inherits its parent's
        # ignored signals and signal mask, and a pytest worker that ran other tests first need
        # not have SIGINT as a shell would (twice, in full CI runs, the child never stopped).
        preexec_fn=_sigint_as_from_a_terminal,
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = proc.stdout.readline()
            assert line, f"the simulator exited: {proc.stderr.read()}"
            lines.append(line.strip())
        assert "faults: server_error_every=1" in lines
        cursor = next(line for line in lines if line.startswith("cursor:"))
        base_url = cursor.split()[1]
        key = cursor.split("api_key=")[1].split()[0]
        basic = base64.b64encode(f"{key}:".encode()).decode()
        request = urllib.request.Request(
            f"{base_url}/teams/members", headers={"Authorization": f"Basic {basic}"}
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)
        assert answer.value.code == 500
        answer.value.close()  # the connection, so nothing holds the server's handler
    finally:
        proc.send_signal(signal.SIGINT)
        # communicate, not wait: it drains the pipes, so a chatty server cannot block on them
        proc.communicate(timeout=60)
    assert proc.returncode == 0  # Ctrl-C stops it cleanly


@pytest.mark.parametrize("argv", [[], ["db"], ["--help"]])
def test_a_bare_group_still_shows_its_help(home_env, argv):
    result = run(argv)
    assert "Usage:" in result.output and "error:" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

"""Secrets never leave: not to another origin, not in a shortened error, not in a readable file;
and a hanging vendor gives up at the source's deadline.

The end-to-end test configures a sentinel secret for every HTTP connector, points each at a
server that echoes the credentials back in a long error body, syncs through the CLI and then
counts the sentinel (any 8 leading characters of it, raw or Basic-encoded) in the CLI output,
every warehouse table and every file of the Dagster storage: 0 everywhere, on both databases.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
import stat
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from connectors.contract import ConnectorError
from connectors.http import (
    MIN_SECRET_PREFIX,
    REDACTED,
    Deadline,
    VendorHttp,
    redact,
    shorten,
)
from connectors.testing.hostile import RecordingServer, RedirectingServer
from pipelines.cli import main

#: Every HTTP connector: its secret field, and the plain settings it needs besides.
HTTP_CONNECTORS = {
    "anthropic": ("admin_api_key", []),
    "copilot": ("token", ["org=acme"]),
    "cursor": ("api_key", []),
    "openai": ("admin_api_key", []),
    "replit": ("api_key", []),
}


def sentinel() -> str:
    return "SENTINEL" + uuid.uuid4().hex[:24]  # 32 characters


def leak_forms(secret: str) -> list[str]:
    """Any of these in a text means (part of) the secret leaked."""
    basic = base64.b64encode(f"{secret}:".encode()).decode()
    return [secret[:MIN_SECRET_PREFIX], secret[-MIN_SECRET_PREFIX:], basic[:MIN_SECRET_PREFIX]]


def count_leaks(text: str, secret: str) -> int:
    return sum(text.count(form) for form in leak_forms(secret))


# -- redaction -------------------------------------------------------------------------------


def test_a_secret_cut_by_truncation_is_still_redacted():
    secret = sentinel()
    body = "." * 180 + secret + " and more"
    # Cut first, redact after: what the HTTP layer used to do.
    assert count_leaks(redact(body[:200], [secret]), secret) == 0
    assert count_leaks(shorten(body, 200, [secret]), secret) == 0
    assert REDACTED in shorten(body, 200, [secret])
    # A prefix shorter than the threshold is just text; a long one is the secret.
    assert redact("abc SENTINE", [secret]) == "abc SENTINE"
    assert redact(f"key={secret[:12]}…", [secret]) == f"key={REDACTED}…"


def test_redaction_covers_the_basic_auth_form_cut_short():
    secret = sentinel()
    basic = base64.b64encode(f"{secret}:".encode()).decode()
    assert count_leaks(redact(f"Authorization: Basic {basic[:20]}", [secret]), secret) == 0


# -- origins ---------------------------------------------------------------------------------


def test_a_cross_origin_redirect_is_refused_and_the_key_never_sent():
    secret = sentinel()
    with RecordingServer() as elsewhere, RedirectingServer(elsewhere.url) as hijacked:
        http = VendorHttp("acme", hijacked.url, headers={"x-api-key": secret}, secrets=[secret])
        with pytest.raises(ConnectorError, match="another origin") as info:
            http.get_json("/v1/things")
        assert hijacked.requests and not elsewhere.requests
        assert count_leaks(str(info.value), secret) == 0


def test_a_same_origin_redirect_is_followed():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": "/new"})
        return httpx.Response(200, json={"ok": True})

    http = VendorHttp("acme", "https://api.example.com", transport=httpx.MockTransport(handler))
    assert http.get_json("/old") == {"ok": True}
    assert calls == ["/old", "/new"]


def test_a_next_page_link_to_another_origin_is_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[], headers={"link": '<https://evil.example/page2>; rel="next"'}
        )

    http = VendorHttp(
        "acme",
        "https://api.example.com",
        headers={"authorization": "Bearer tok-1234567890"},
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(ConnectorError, match="another origin"):
        list(http.paginate_link_header("/items"))


def test_a_client_without_credentials_may_fetch_another_origin():
    """Signed download links (Copilot's reports) are fetched by a client that sends nothing."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "api.example.com":
            return httpx.Response(302, headers={"location": "https://files.example/r.ndjson"})
        return httpx.Response(200, text="{}\n")

    http = VendorHttp(
        "acme",
        "https://invalid.example",
        secrets=["tok-1234567890"],  # redacted, never sent
        transport=httpx.MockTransport(handler),
    )
    assert http.get_text("https://api.example.com/report?sig=abc") == "{}\n"
    assert seen[-1] == "https://files.example/r.ndjson"


@pytest.mark.parametrize("url", ["http://[::1", "file:///etc/passwd", "ftp://h/x", "http://"])
def test_a_malformed_base_url_is_a_connector_error(url):
    with pytest.raises(ConnectorError, match="base URL"):
        VendorHttp("acme", url)


# -- deadline --------------------------------------------------------------------------------


class HangingServer:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> HangingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_a_hanging_endpoint_gives_up_at_the_deadline():
    with HangingServer() as server:
        http = VendorHttp("acme", server.url, deadline=Deadline(0.5), sleep=lambda s: None)
        with pytest.raises(ConnectorError, match=r"deadline of 0\.5 s passed"):
            http.get_json("/v1/things")
        assert http.requests_made < http.max_attempts  # it stopped retrying at the deadline


def test_a_deadline_stops_backoff_before_it_would_overrun():
    now = [0.0]
    deadline = Deadline(10, clock=lambda: now[0])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": "30"})

    def sleep(seconds: float) -> None:
        now[0] += seconds

    http = VendorHttp(
        "acme",
        "https://api.example.com",
        transport=httpx.MockTransport(handler),
        deadline=deadline,
        sleep=sleep,
    )
    with pytest.raises(ConnectorError, match="deadline of 10 s passed"):
        http.get_json("/x")
    assert now[0] == 0  # it never slept 30 s past a 10 s deadline
    assert http.requests_made == 1


# -- end to end: an echoing vendor -----------------------------------------------------------


class EchoServer:
    """Answers every request 400 with a long body that echoes the request's headers, each
    placed so that a 200-character excerpt cuts through it."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                credentials_first = sorted(
                    self.headers.items(),
                    key=lambda kv: kv[0].lower() not in ("authorization", "x-api-key"),
                )
                parts = ["." * 180 + f"{k}: {v}" for k, v in credentials_first]
                payload = "\n".join(parts).encode()
                self.send_response(400)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> EchoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def home(tmp_path, warehouse_url, monkeypatch) -> Path:
    home = tmp_path / "home"
    for key in ("AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "AISPEND_TENANT", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(home))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    return home


def _warehouse_text(engine) -> str:
    out = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def _files_text(folder: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("latin-1") for p in sorted(folder.rglob("*")) if p.is_file()
    )


def test_an_echoing_vendor_leaks_no_secret_anywhere(home, engine):
    secret = sentinel()
    runner = CliRunner()
    outputs = []
    day = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    with EchoServer() as echo:
        for source, (field, plain) in HTTP_CONNECTORS.items():
            extra = [a for pair in plain for a in ("--set", pair)]
            result = runner.invoke(
                main,
                [
                    "vendor",
                    "configure",
                    source,
                    "--set",
                    f"{field}={secret}",
                    *extra,
                    "--base-url",
                    echo.url,
                ],
            )
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
            tested = runner.invoke(main, ["vendor", "test", source])
            assert tested.exit_code == 1
            outputs.append(tested.output)
        sources = [a for s in HTTP_CONNECTORS for a in ("--source", s)]
        synced = runner.invoke(main, ["sync", *sources, "--start", day, "--end", day])
    assert synced.exit_code == 1
    # One error line per failed source (beside the progress lines), no run log, no traceback.
    lines = [line for line in synced.stderr.strip().splitlines() if line.startswith("error")]
    assert [line.split(":")[0:2] for line in lines] == [
        ["error", f" {source}"] for source in HTTP_CONNECTORS
    ], synced.stderr
    assert "Traceback" not in synced.stderr and " - dagster - " not in synced.stderr
    assert "HTTP 400" in synced.stderr and REDACTED in synced.stderr  # the echo was there
    outputs.append(synced.output)
    assert count_leaks("\n".join(outputs), secret) == 0, "a secret reached the CLI output"
    warehouse = _warehouse_text(engine)
    assert "HTTP 400" in warehouse  # sync_status.last_error holds the (redacted) error
    assert count_leaks(warehouse, secret) == 0, "a secret reached the warehouse"
    dagster = _files_text(home / "dagster")
    assert "HTTP 400" in dagster  # the run's failure was stored
    assert count_leaks(dagster, secret) == 0, "a secret reached Dagster's storage"


def test_the_source_deadline_is_configurable_and_said(home, monkeypatch):
    monkeypatch.setenv("AISPEND_SOURCE_DEADLINE", "1")
    day = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    runner = CliRunner()
    with HangingServer() as server:
        configured = runner.invoke(
            main,
            [
                "vendor",
                "configure",
                "cursor",
                "--set",
                "api_key=key_12345678",
                "--base-url",
                server.url,
            ],
        )
        assert configured.exit_code == 0, configured.output
        synced = runner.invoke(main, ["sync", "--source", "cursor", "--start", day, "--end", day])
    assert synced.exit_code == 1
    assert "deadline of 1 s passed" in synced.stderr


# -- file modes ------------------------------------------------------------------------------


def test_home_warehouse_and_dagster_storage_are_private(tmp_path, monkeypatch):
    home = tmp_path / "fresh" / "home"
    for key in ("AISPEND_DATABASE_URL", "AISPEND_SECRET_KEY", "AISPEND_COOKIE_KEY", "DAGSTER_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AISPEND_HOME", str(home))
    monkeypatch.setenv("AISPEND_ADMIN_PASSWORD", "correct-horse")
    previous = os.umask(0o022)  # the usual umask, which made them 644/755 before
    try:
        result = CliRunner().invoke(main, ["init"])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(home) == 0o700
    assert mode(home / "dagster") == 0o700
    assert mode(home / "warehouse.db") == 0o600
    assert mode(home / ".env") == 0o600
    for sidecar in ("warehouse.db-wal", "warehouse.db-shm"):
        if (home / sidecar).exists():
            assert mode(home / sidecar) == 0o600


def test_a_warehouse_in_a_shared_folder_leaves_the_folder_alone(tmp_path):
    """sqlite:////tmp/w.db must not turn /tmp 0700 (other users, PostgreSQL's initdb, need it):
    the file is private, the existing folder keeps its mode; a missing one is created 0700."""
    from warehouse.engine import make_engine

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    make_engine(f"sqlite:///{shared / 'w.db'}").dispose()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "w.db").stat().st_mode) == 0o600
    make_engine(f"sqlite:///{shared / 'new' / 'w.db'}").dispose()
    assert stat.S_IMODE((shared / "new").stat().st_mode) == 0o700

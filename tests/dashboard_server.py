"""Helpers for browser tests: a real `streamlit run` of the dashboard on a free local port,
Debian chromium through Playwright, logging in, and where screenshots go."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dashboard.run import HEALTH_PATH, streamlit_command

COOKIE_KEY = "browser-test-cookie-key-0123456789abcdef"


def dashboard_env(home: Path, db_url: str, **extra: str) -> dict[str, str]:
    """The environment a browser test's dashboard server runs with (tenant ``default``)."""
    return {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": db_url,
        "AISPEND_COOKIE_KEY": COOKIE_KEY,
        "AISPEND_TENANT": "default",
        **extra,
    }


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WAIT_MS = 60_000
# Screenshots are kept as test artifacts here (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[1] / "tmp" / "artifacts" / "browser"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_dashboard(home: Path, env: dict[str, str]) -> Iterator[str]:
    """`streamlit run` the dashboard with ``env`` (plus PATH and HOME); yields its base URL."""
    port = free_port()
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), **env}
    log_path = home / "streamlit.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        streamlit_command(port),
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(base + HEALTH_PATH, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not answer its health check within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextlib.contextmanager
def chromium() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page, url: str, email: str, password: str) -> None:
    """Open ``url`` and sign in through the real form."""
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Email").fill(email, timeout=WAIT_MS)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

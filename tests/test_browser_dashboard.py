"""The dashboard in a real browser: `streamlit run` on a free local port, Debian chromium.

Logs in through the real form (bcrypt check, auth cookie), sees the month's total, survives a
reload through the cookie, and shows only "Invalid email or password" on a wrong password.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_dashboard_queries import seed_mart

from dashboard.formatting import current_month
from dashboard.run import HEALTH_PATH, streamlit_command
from warehouse import migrate
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.tenants import create_tenant
from warehouse.users import create_user

pytestmark = pytest.mark.browser

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
EMAIL, PASSWORD = "ada@example.com", "admin-password-1"
SCREENSHOT = Path("/tmp/aispend_dashboard_overview.png")
WAIT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory) -> Iterator[str]:
    """A seeded SQLite warehouse and a real `streamlit run` serving the dashboard over it."""
    home = tmp_path_factory.mktemp("aispend_home")
    db_url = f"sqlite:///{home / 'warehouse.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    tenant = create_tenant(engine, "default", "Acme")
    create_user(engine, tenant, SYSTEM, email=EMAIL, name="Ada", password=PASSWORD, role="admin")
    seed_mart(
        engine,
        [
            (tenant.id, current_month(), "anthropic", "anthropic", 1_234_560_000, 12_340_000),
            (tenant.id, current_month(), "cursor", "cursor", 20_000_000, 0),
        ],
    )
    engine.dispose()

    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": db_url,
        "AISPEND_COOKIE_KEY": "browser-test-cookie-key-0123456789abcdef",
        "AISPEND_TENANT": "default",
    }
    log = (home / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        streamlit_command(port),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {(home / 'streamlit.log').read_text()[-2000:]}")
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


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _log_in(page, base: str, password: str) -> None:
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Email").fill(EMAIL, timeout=WAIT_MS)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_login_shows_the_months_total_and_survives_a_reload(dashboard_url, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _log_in(page, dashboard_url, PASSWORD)
    expect(page.get_by_text("$1,254.56")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Estimated usage (not billed)")).to_be_visible()
    expect(page.get_by_text("Invalid email or password")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    # The auth cookie is stored, and logs the user back in after a reload, without the form.
    assert "aispend_auth" in {c["name"] for c in context.cookies()}
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_text("$1,254.56")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    context.close()


def test_wrong_password_says_only_invalid_email_or_password(dashboard_url, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    _log_in(page, dashboard_url, "not-the-password")
    expect(page.get_by_text("Invalid email or password")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("$1,254.56")).to_have_count(0)
    context.close()

"""The dashboard in a real browser: `streamlit run` on a free local port, Debian chromium.

Logs in through the real form (bcrypt check, auth cookie), sees the month's total, survives a
reload through the cookie, and shows only "Invalid email or password" on a wrong password.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from dashboard_server import WAIT_MS, chromium, dashboard_env, log_in, screenshot, serve_dashboard
from test_dashboard_queries import seed_mart

from dashboard.formatting import current_month
from warehouse import migrate
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.tenants import create_tenant
from warehouse.users import create_user

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_dashboard")]

EMAIL, PASSWORD = "ada@example.com", "admin-password-1"
SCREENSHOT_NAME = "overview"


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
    env = dashboard_env(home, db_url)
    with serve_dashboard(home, env) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _log_in(page, base: str, password: str) -> None:
    log_in(page, base, EMAIL, password)


def test_login_shows_the_months_total_and_survives_a_reload(dashboard_url, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _log_in(page, dashboard_url, PASSWORD)
    expect(page.get_by_text("$1,255", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Estimated usage (not billed)")).to_be_visible()
    expect(page.get_by_text("Invalid email or password")).to_have_count(0)
    screenshot(page, SCREENSHOT_NAME)
    # The auth cookie is stored (for the whole site, this site only, expiring with the login),
    # and logs the user back in after a reload, without the form.
    [cookie] = [c for c in context.cookies() if c["name"].startswith("aispend_auth_default_")]
    assert (cookie["path"], cookie["sameSite"]) == ("/", "Strict")
    days = (cookie["expires"] - time.time()) / 86_400
    assert 6.9 < days <= 7.0  # AISPEND_SESSION_DAYS' default
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_text("$1,255", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
    context.close()


def test_the_sign_in_page_loads_the_pages_code_while_the_user_types(dashboard_url, browser):
    """dashboard/browser_preload.py: the chart's and the other elements' code is in the browser
    before "Sign in" is pressed, not fetched after it."""
    from playwright.sync_api import expect

    from dashboard.browser_preload import ELEMENTS, LOADED_FLAG, bundle_files

    assert [f.split(".")[0] for f in bundle_files()] == list(ELEMENTS)  # this Streamlit has them
    context = browser.new_context()
    page = context.new_page()
    page.goto(dashboard_url)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=WAIT_MS)
    loaded = "performance.getEntriesByType('resource').map((e) => e.name.split('/').pop())"
    page.wait_for_function(
        f"(files) => files.every((f) => {loaded}.includes(f))", arg=list(bundle_files())
    )
    # ... and everything they import: loaded and evaluated (not "the network was idle", which
    # came before a large module's own imports were asked for on a busy machine).
    page.wait_for_function(f"() => window.{LOADED_FLAG} === true", timeout=WAIT_MS)
    before = len(page.evaluate(loaded))
    page.get_by_role("textbox", name="Email").fill(EMAIL)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("$1,255", exact=True)).to_be_visible(timeout=WAIT_MS)
    fetched = page.evaluate(loaded)[before:]
    assert not [f for f in fetched if f.endswith(".js")], fetched
    context.close()


def test_wrong_password_says_only_invalid_email_or_password(dashboard_url, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    _log_in(page, dashboard_url, "not-the-password")
    expect(page.get_by_text("Invalid email or password")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("$1,255", exact=True)).to_have_count(0)
    context.close()


def test_warm_theme_cool_toggle_and_reduced_motion(dashboard_url, browser) -> None:
    from playwright.sync_api import expect

    def background(page) -> str:
        return page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")

    def button_transition(page) -> str:
        return page.evaluate(
            "getComputedStyle(document.querySelector('button')).transitionProperty"
        )

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _log_in(page, dashboard_url, PASSWORD)
    expect(page.get_by_text("$1,255", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert background(page) == "rgb(255, 250, 243)"  # the warm theme, from the server's flags
    assert button_transition(page) != "none"  # motion allowed when the browser does not object
    page.get_by_text("Cool, motion-free theme").click()
    expect(page.locator(".stApp")).to_have_css(
        "background-color", "rgb(244, 247, 250)", timeout=WAIT_MS
    )
    assert button_transition(page) == "none"
    screenshot(page, "overview-cool")
    context.close()

    # A browser asking for reduced motion gets none, in the warm theme too.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = context.new_page()
    _log_in(page, dashboard_url, PASSWORD)
    expect(page.get_by_text("$1,255", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert background(page) == "rgb(255, 250, 243)"
    assert button_transition(page) == "none"
    context.close()


def test_a_page_opened_by_its_path_finds_the_server_at_the_first_try(
    dashboard_url, browser
) -> None:
    """dashboard/server_app.py: the page's index.html names the server's root, so the frontend
    never probes ``/analytics/_stcore/health`` (a 404 and a 100 ms wait) before connecting."""
    from urllib.parse import urlparse

    import httpx
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    probes: list[str] = []
    page.on(
        "request",
        lambda r: probes.append(urlparse(r.url).path) if "_stcore/health" in r.url else None,
    )
    _log_in(page, f"{dashboard_url}/analytics", PASSWORD)
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible(timeout=WAIT_MS)
    assert urlparse(page.url).path == "/analytics"
    assert probes and set(probes) == {"/_stcore/health"}
    # A path no page has still gets Streamlit's own page (the dashboard says "not found").
    unknown = httpx.get(f"{dashboard_url}/no-such-page", timeout=10)
    assert unknown.status_code == 200 and "BACKEND_BASE_URL" not in unknown.text
    context.close()


def test_streamlits_bundles_are_served_as_they_are_and_the_forms_code_asked_for_at_once(
    dashboard_url, browser
) -> None:
    """dashboard/server_app.py answers Streamlit's bundles from memory (the same bytes and
    cache header as Streamlit's handler; any other path still goes to Streamlit), and every page
    load asks for the sign-in form's code before the frontend first calls the server."""
    import httpx
    from playwright.sync_api import expect

    from dashboard.browser_preload import FORM_ELEMENTS, bundle_files
    from dashboard.server_app import BUNDLES_DIR

    files = bundle_files(elements=FORM_ELEMENTS)
    assert [f.split(".")[0] for f in files] == list(FORM_ELEMENTS)  # this Streamlit has them
    for name in (f"js/{files[-1]}", "css/" + next(BUNDLES_DIR.glob("css/*.css")).name):
        served = httpx.get(f"{dashboard_url}/static/{name}", timeout=10)
        assert served.status_code == 200 and served.content == (BUNDLES_DIR / name).read_bytes()
        assert "immutable" in served.headers["cache-control"]
    missing = httpx.get(f"{dashboard_url}/static/js/no-such-bundle.js", timeout=10)
    assert missing.status_code == 200 and "<html" in missing.text.lower()  # Streamlit's answer

    context = browser.new_context()
    page = context.new_page()
    page.goto(dashboard_url)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=WAIT_MS)
    started = dict(
        page.evaluate("performance.getEntriesByType('resource').map((e) => [e.name, e.startTime])")
    )
    health = min(t for url, t in started.items() if url.endswith("/_stcore/health"))
    for f in files:
        asked = [t for url, t in started.items() if url.endswith(f"/static/js/{f}")]
        assert asked and asked[0] < health, (f, asked, health)
    context.close()

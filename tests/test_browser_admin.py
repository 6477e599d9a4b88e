"""The admin area walked end to end in a real browser (streamlit + Debian chromium), against a
SQLite warehouse, the vendor simulator on 127.0.0.1 and a persistent Dagster instance:

- an admin opens a deep link before signing in and lands on it; reloads keep the page;
- an admin links a Cursor email to a member (flagged as a possible match);
- an admin adds a manual entry, refreshes through Dagster and sees it on the overview;
- an admin configures the Anthropic key, tests it and backfills a month through Dagster;
- a viewer opening an admin URL gets "admins only"; an unknown path gets a friendly page;
  logging out leaves no navigation.

Screenshots of each journey are kept under tmp/artifacts/browser/.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from dashboard_server import WAIT_MS, chromium, log_in, screenshot, serve_dashboard
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.simulator import Simulator
from dashboard.formatting import current_month
from pipelines.launch import LAUNCH_TAG
from pipelines.resources import dispose_engines
from pipelines.setup_home import write_dagster_home
from pipelines.sync import run_sync
from warehouse import credentials, identities, manual_entries, members, migrate
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.models import UsageFact
from warehouse.settings import Settings
from warehouse.tenants import TenantRef, create_tenant
from warehouse.users import create_user

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_admin")]

ADMIN = ("ada@example.com", "admin-password-1")
VIEWER = ("vic@example.com", "viewer-password-1")
TODAY = dt.datetime.now(dt.UTC).date()
LAST_MONTH_END = TODAY.replace(day=1) - dt.timedelta(days=1)
LAST_MONTH = (LAST_MONTH_END.replace(day=1), LAST_MONTH_END)  # what "Backfill" offers first
SIM_START = (LAST_MONTH[0] - dt.timedelta(days=1)).replace(day=1)  # the month before that
RUN_MS = 240_000  # a launched sync: a child process, a Dagster run, the marts


@dataclass
class Site:
    base: str
    settings: Settings
    tenant: TenantRef
    engine: object
    sim: Simulator
    cursor_email: str
    member_id: int


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("aispend_admin_home")
    env = {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": f"sqlite:///{home / 'warehouse.db'}",
        "AISPEND_COOKIE_KEY": "browser-test-cookie-key-0123456789abcdef",
        "AISPEND_TENANT": "default",
        "AISPEND_SECRET_KEY": Fernet.generate_key().decode(),
        "DAGSTER_HOME": str(home / "dagster"),
    }
    settings = Settings.from_env(env)
    write_dagster_home(settings)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    tenant = create_tenant(engine, "default", "Acme")
    for (email, password), role in ((ADMIN, "admin"), (VIEWER, "viewer")):
        create_user(engine, tenant, SYSTEM, email=email, password=password, role=role)
    with Simulator(members=4, start=SIM_START, days=(TODAY - SIM_START).days + 1) as sim:
        # Cursor is already connected: a week of its data brings its accounts (emails).
        credentials.configure_source(
            engine,
            settings.secret_keys,
            tenant,
            SYSTEM,
            "cursor",
            sim.config("cursor"),
            {"api_key"},
        )
        results = run_sync(
            settings, sources=["cursor"], start=SIM_START, end=SIM_START + dt.timedelta(days=6)
        )
        assert all(r.ok for r in results), results
        dispose_engines()
        person = sim.team[1]
        member_id = members.create_member(
            engine, tenant, SYSTEM, display_name=person.name, email=person.email
        )
        with serve_dashboard(home, env) as base:
            yield Site(base, settings, tenant, engine, sim, person.email, member_id)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def _expect():
    from playwright.sync_api import expect

    return expect


def _settle(page) -> None:
    """Wait until the app has finished its runs (a finished launch reruns the whole page)."""
    expect = _expect()
    for _ in range(3):
        page.wait_for_timeout(500)
        expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=WAIT_MS)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option).click()


def test_deep_link_survives_login_and_admin_links_a_cursor_email(site: Site, page) -> None:
    expect = _expect()
    log_in(page, f"{site.base}/members", *ADMIN)
    expect(page.get_by_role("heading", name="Members & identities")).to_be_visible(timeout=WAIT_MS)
    assert page.url.rstrip("/").endswith("/members")
    expect(page.get_by_role("heading", name=re.compile(r"cursor · \d+ unlinked"))).to_be_visible()
    expect(page.get_by_text("Signed in. Opening your dashboard…")).to_have_count(0)
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    screenshot(page, "members_before_link")

    person = next(m for m in site.sim.team if m.email == site.cursor_email)
    _choose(page, "Account", f"cursor · {site.cursor_email} — possible match: {person.name}")
    # The possible match is preselected as the member.
    expect(page.get_by_role("combobox", name="Member", exact=True).first).to_have_value(
        re.compile(re.escape(person.name))
    )
    page.get_by_role("button", name="Link to member").click()
    expect(page.get_by_text(f"Linked cursor:{site.cursor_email} to {person.name}")).to_be_visible(
        timeout=WAIT_MS
    )
    screenshot(page, "members_after_link")
    linked = {
        a["account_key"]: a["member_id"]
        for a in identities.list_accounts(site.engine, site.tenant, SYSTEM)
        if a["source"] == "cursor"
    }
    assert linked[site.cursor_email] == site.member_id

    # A reload keeps the page (the cookie logs the admin back in).
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Members & identities")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Password")).to_have_count(0)


def test_admin_adds_a_manual_entry_and_sees_it_after_the_refresh(site: Site, page) -> None:
    expect = _expect()
    log_in(page, f"{site.base}/manual-entries", *ADMIN)
    expect(page.get_by_role("heading", name="Manual entries")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Vendor").first.fill("GitHub")
    page.get_by_label("Product").first.fill("Copilot Business")
    page.get_by_label("Amount (USD)").first.fill("1234.57")
    page.get_by_label("Tokens (optional)").first.fill("250000")
    page.get_by_role("button", name="Add entry").click()
    expect(page.get_by_text("Added GitHub Copilot Business, $1234.57.")).to_be_visible(
        timeout=WAIT_MS
    )
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    [entry] = manual_entries.list_entries(site.engine, site.tenant, SYSTEM)
    assert (entry["amount_micros"], entry["tokens"]) == (1_234_570_000, 250_000)
    screenshot(page, "manual_entry_added")

    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_text(re.compile(r"Sync of manual, .* finished")).first).to_be_visible(
        timeout=RUN_MS
    )
    _settle(page)
    screenshot(page, "manual_entry_refreshed")

    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=WAIT_MS)
    month = dt.date.fromisoformat(f"{current_month()}-01")
    expect(page.get_by_text(f"Billed spend, {month:%B %Y}")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("$1,234.57").first).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "overview_after_manual_entry")


def test_admin_configures_a_vendor_key_tests_it_and_backfills_a_month(site: Site, page) -> None:
    expect = _expect()
    config = site.sim.config("anthropic")
    log_in(page, f"{site.base}/vendors", *ADMIN)
    expect(page.get_by_role("heading", name="Vendors")).to_be_visible(timeout=WAIT_MS)
    card = page.locator(".st-key-vendor_card_anthropic")
    expect(card.get_by_text("Not configured yet")).to_be_visible()
    card.get_by_role("textbox", name="Admin API key").fill(config["admin_api_key"])
    card.get_by_role("textbox", name="API base URL").fill(config["base_url"])
    # A rerun can briefly show a disabled copy of a card's buttons: click the live one.
    card.get_by_role("button", name="Save credentials", disabled=False).click()
    expect(page.get_by_text("Saved Anthropic credentials")).to_be_visible(timeout=WAIT_MS)
    card = page.locator(".st-key-vendor_card_anthropic")
    key_input = card.get_by_role("textbox", name="Admin API key")
    expect(key_input).to_have_value("")  # the secret is not sent back to the browser
    assert config["admin_api_key"] not in page.content()
    expect(key_input).to_have_attribute(
        "placeholder", f"stored: ••••{config['admin_api_key'][-4:]} — leave empty to keep"
    )

    card.get_by_role("button", name="Test connection", disabled=False).click()
    expect(card.get_by_text("Connection works.")).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "vendor_configured_and_tested")

    # The range offered first is last month, which the simulator covers: backfill it.
    expect(card.get_by_role("group", name=re.compile("Backfill days"))).to_have_count(2)
    card.get_by_role("button", name="Backfill", disabled=False).click()
    span = f"anthropic, {LAST_MONTH[0]} … {LAST_MONTH[1]}"
    finished = page.get_by_text(f"Sync of {span} finished", exact=False)
    expect(finished.first).to_be_visible(timeout=RUN_MS)
    _settle(page)
    expect(finished).to_have_count(1)  # said once, not again by the polling fragment
    screenshot(page, "vendor_backfilled")

    with Session(site.engine) as s:
        billed = s.scalar(
            select(func.sum(UsageFact.billed_cost_micros)).where(
                UsageFact.tenant_id == site.tenant.id,
                UsageFact.source == "anthropic",
                UsageFact.cost_basis == "billed",
                UsageFact.charge_period_start.between(*LAST_MONTH),
            )
        )
    month = [LAST_MONTH[0] + dt.timedelta(days=i) for i in range(LAST_MONTH[1].day)]
    assert int(billed) == sum(site.sim.expected_billed_micros("anthropic", d) for d in month)
    with dg.DagsterInstance.from_config(str(site.settings.dagster_home)) as instance:
        runs = [r for r in instance.get_runs() if LAUNCH_TAG in r.tags]
        ranges = {(r.tags.get("dagster/asset_partition_range_start"), r.status.value) for r in runs}
    assert (LAST_MONTH[0].isoformat(), "SUCCESS") in ranges


def test_a_viewer_gets_admins_only_and_logout_clears_the_navigation(site: Site, page) -> None:
    expect = _expect()
    log_in(page, f"{site.base}/vendors", *VIEWER)
    expect(page.get_by_text("This page is for admins only.")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Save credentials")).to_have_count(0)
    # No admin page is listed for a viewer; the way back is offered.
    for title in ("Vendors", "Admin", "Users", "Audit log"):
        expect(page.get_by_role("link", name=title, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Go to the overview")).to_be_visible()
    screenshot(page, "viewer_admins_only")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_role("link", name="Overview")).to_have_count(0)


def test_an_unknown_path_gets_a_friendly_page(site: Site, page) -> None:
    expect = _expect()
    log_in(page, f"{site.base}/no-such-page", *ADMIN)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("link", name="Go to the overview")).to_be_visible()
    screenshot(page, "not_found")

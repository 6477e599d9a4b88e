"""The admin area walked end to end in a real browser (streamlit + Debian chromium), against a
SQLite warehouse, the vendor simulator on 127.0.0.1 and a persistent Dagster instance:

- an admin opens a deep link before signing in and lands on it; reloads keep the page;
- an admin links a Cursor email to a member (flagged as a possible match) and sees the member's
  card on the overview carry that account's spend; adds a manual entry for the member, refreshes
  through Dagster and sees the card grow by exactly the entry's amount;
- an admin uploads a bad CSV and sees its row-level errors with nothing imported, then a good
  one, imports it and sees the dashboard's marts refreshed through Dagster;
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
from decimal import Decimal

import dagster as dg
import pytest
from cryptography.fernet import Fernet
from dashboard_server import COOKIE_KEY, WAIT_MS, chromium, log_in, screenshot, serve_dashboard
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.simulator import Simulator
from dashboard.formatting import current_month, usd
from pipelines.launch import LAUNCH_TAG, MARTS, SOURCE_TAG
from pipelines.resources import dispose_engines
from pipelines.setup_home import write_dagster_home
from pipelines.sync import run_sync
from warehouse import credentials, file_imports, identities, manual_entries, members, migrate
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
        "AISPEND_COOKIE_KEY": COOKIE_KEY,
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
        # Cursor is already connected: this month's data brings its accounts (emails) and the
        # spend the overview shows.
        credentials.configure_source(
            engine,
            settings.secret_keys,
            tenant,
            SYSTEM,
            "cursor",
            sim.config("cursor"),
            {"api_key"},
        )
        results = run_sync(settings, sources=["cursor"], start=TODAY.replace(day=1), end=TODAY)
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


def _marts_runs(site: Site) -> list[str]:
    """The statuses of the Dagster runs that refreshed the marts, newest first."""
    with dg.DagsterInstance.from_config(str(site.settings.dagster_home)) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={SOURCE_TAG: MARTS}))
        return [r.status.value for r in runs]


def _card_total(page, name: str) -> str:
    """The exact total on ``name``'s card on the overview (its tooltip), "" with no card."""
    expect = _expect()
    _settle(page)
    page.get_by_role("link", name="Overview").click()  # in the same session, signed in
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    try:
        page.get_by_role("button", name="Refresh", exact=True).click()  # past the page's cache
    except Exception:
        screenshot(page, "card_total_failure")
        raise
    _settle(page)
    expect(page.get_by_role("heading", name="People")).to_be_visible(timeout=WAIT_MS)
    card = page.locator(".aispend-member-card").filter(has_text=name)
    if card.count() == 0:
        return ""
    return (card.first.locator("[title^='Exactly ']").first.get_attribute("title") or "")[8:]


def _micros(shown: str) -> int:
    """ "$1,234.57" (or "" for no card) as micro-dollars."""
    return int(Decimal(shown.replace("$", "").replace(",", "") or "0") * 1_000_000)


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
    # The link starts a refresh of the dashboard's marts through Dagster; wait for it.
    finished = page.get_by_text("Refresh of the dashboard's marts finished", exact=False)
    expect(finished.first).to_be_visible(timeout=RUN_MS)
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

    # The member's card on the overview now carries the account's spend of the month.
    month = dt.date.fromisoformat(f"{current_month()}-01")
    with Session(site.engine) as s:
        cursor_micros = s.scalar(
            select(func.sum(UsageFact.billed_cost_micros)).where(
                UsageFact.tenant_id == site.tenant.id,
                UsageFact.source == "cursor",
                UsageFact.account_key == site.cursor_email,
                UsageFact.cost_basis == "billed",
                UsageFact.charge_period_start >= month,
            )
        )
    assert cursor_micros, "the simulator gave the linked account no spend this month"
    assert _card_total(page, person.name) == usd(int(cursor_micros))
    screenshot(page, "overview_after_link")


def test_admin_adds_a_manual_entry_and_the_members_card_grows_by_it(site: Site, page) -> None:
    expect = _expect()
    person = next(m for m in site.sim.team if m.email == site.cursor_email)
    log_in(page, f"{site.base}/overview", *ADMIN)  # the default page's own path works too
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=WAIT_MS)
    before = _card_total(page, person.name)
    screenshot(page, "overview_before_manual_entry")

    page.get_by_role("link", name="Manual entries").click()
    expect(page.get_by_role("heading", name="Manual entries")).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    _choose(page, "Member", f"{person.name} <{person.email}>")
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
    assert (entry["amount_micros"], entry["tokens"], entry["member_id"]) == (
        1_234_570_000,
        250_000,
        site.member_id,
    )
    screenshot(page, "manual_entry_added")

    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_text(re.compile(r"Sync of manual, .* finished")).first).to_be_visible(
        timeout=RUN_MS
    )
    _settle(page)
    screenshot(page, "manual_entry_refreshed")

    after = _card_total(page, person.name)
    assert _micros(after) - _micros(before) == 1_234_570_000, (before, after)
    month = dt.date.fromisoformat(f"{current_month()}-01")
    expect(page.get_by_text(f"Billed spend, {month:%B %Y}")).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "overview_after_manual_entry")


def test_admin_uploads_a_bad_file_sees_row_errors_then_imports_a_good_one(site: Site, page):
    expect = _expect()
    first = TODAY.replace(day=1)
    bad = (
        "date,vendor,amount,email\n"
        f"{first},Acme AI,19.00,ada@example.com\n"
        f"{first},Acme AI,twelve,bob@example.com\n"
        "not a day,Acme AI,5.00,cy@example.com\n"
    )
    good = f"date,vendor,amount,email\n{first},Acme AI,19.00,ada@example.com\n" + (
        f"{first},Acme AI,21.50,bob@example.com\n"
    )
    log_in(page, f"{site.base}/import", *ADMIN)
    expect(page.get_by_role("heading", name="Import a file")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("No file imported yet.")).to_be_visible()
    dropzone = page.get_by_test_id("stFileUploaderDropzoneInput")
    dropzone.set_input_files(
        files=[{"name": "invoice.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    expect(page.get_by_text("invoice.csv: 2 problem(s), nothing was imported")).to_be_visible(
        timeout=WAIT_MS
    )
    problems = page.get_by_test_id("stTable")
    expect(problems.get_by_role("cell", name="twelve", exact=False)).to_be_visible()
    expect(problems.get_by_role("rowheader", name="3")).to_be_visible()
    expect(problems.get_by_role("rowheader", name="4")).to_be_visible()
    expect(page.get_by_role("button", name="Import", exact=True)).to_have_count(0)
    screenshot(page, "import_bad_file")
    assert file_imports.list_imports(site.engine, site.tenant, SYSTEM) == []

    dropzone.set_input_files(  # the corrected file replaces the bad one
        files=[{"name": "invoice.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    ready = f"Ready to import 2 rows of invoice.csv as 2 daily facts, $40.50 billed, {first}"
    expect(page.get_by_text(ready)).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "import_preview")
    assert file_imports.list_imports(site.engine, site.tenant, SYSTEM) == []  # a preview only

    marts_runs_before = _marts_runs(site)  # a link on Members & identities refreshes too
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported 2 rows of invoice.csv")).to_be_visible(timeout=WAIT_MS)
    finished = page.get_by_text("Refresh of the dashboard's marts finished", exact=False)
    expect(finished.first).to_be_visible(timeout=RUN_MS)
    _settle(page)
    screenshot(page, "import_done")
    [record] = file_imports.list_imports(site.engine, site.tenant, SYSTEM)
    assert (record["filename"], record["facts"], record["billed_cost_micros"]) == (
        "invoice.csv",
        2,
        40_500_000,
    )
    assert _marts_runs(site)[: -len(marts_runs_before) or None] == ["SUCCESS"]


def test_admin_sees_seat_plans_with_the_default_prices(site: Site, page) -> None:
    expect = _expect()
    log_in(page, f"{site.base}/seat-plans", *ADMIN)
    expect(page.get_by_role("heading", name="Seat plans")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="GitHub · copilot")).to_be_visible()
    expect(page.get_by_text("the defaults apply (business $19, enterprise $39)")).to_be_visible()
    expect(page.get_by_role("button", name="Set price")).to_be_visible()
    expect(page.get_by_role("heading", name="Idle seats")).to_be_visible()
    expect(page.get_by_role("group", name=re.compile("Period"))).to_have_count(2)  # loaded
    _settle(page)
    screenshot(page, "seat_plans")


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

"""A team member's journey in a real browser: sign in, open My progress, pick last month's
standing, see the rank, the climb, the podium, the badges and the suggestion card, then
regenerate it (the offline muse streams a new one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from dashboard_server import WAIT_MS, chromium, dashboard_env, log_in, screenshot, serve_dashboard
from suggestion_seed import PERIOD, seed_team
from test_badges import LOW

from pipelines.badges import refresh_badges
from pipelines.suggestions.generate import refresh_suggestions
from warehouse import migrate
from warehouse.actors import SYSTEM
from warehouse.dashboard_settings import update_dashboard_settings
from warehouse.engine import make_engine
from warehouse.mart_tables import rebuild_table
from warehouse.sql_models import load_models
from warehouse.suggestion_config import get_config
from warehouse.suggestions import cached_suggestion
from warehouse.users import create_user

# Its module fixture (a server, a simulator, an install) is started once: one xdist worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_progress")]

BOB, PASSWORD = "bob@acme.example", "bob-password-1"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, str, int]]:
    home = tmp_path_factory.mktemp("aispend_home")
    db_url = f"sqlite:///{home / 'warehouse.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    tenant, ids = seed_team(engine, slug="default")
    for model in load_models():  # My progress reads the marts, as a sync leaves them
        rebuild_table(engine, model)
    create_user(engine, tenant, SYSTEM, email=BOB, name="Bob", password=PASSWORD, role="viewer")
    update_dashboard_settings(engine, tenant, SYSTEM, **LOW)
    refresh_badges(engine, tenant)
    refresh_suggestions(
        engine, tenant, get_config(engine, tenant), api_key=None, today=dt.date(2026, 11, 2)
    )
    first = cached_suggestion(engine, tenant.id, ids["Bob"], PERIOD).text
    engine.dispose()
    env = dashboard_env(home, db_url)
    with serve_dashboard(home, env) as base:
        yield base, db_url, first


def test_a_member_sees_rank_climb_podium_badges_and_regenerates_the_suggestion(site) -> None:
    from playwright.sync_api import expect

    base, db_url, first = site
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        log_in(page, base, BOB, PASSWORD)
        page.get_by_role("link", name="My progress").click()
        page.get_by_label("Month", exact=True).click()
        page.get_by_role("option", name="October 2026").click()

        expect(page.get_by_text("#1 of 2").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("1 place since last month")).to_be_visible()
        expect(page.get_by_text("You're on the podium! 🏆")).to_be_visible()
        expect(page.get_by_text("Rank over the months")).to_be_visible()
        expect(page.locator(".vega-embed canvas, .vega-embed svg").first).to_be_visible()
        expect(page.get_by_text("Earned September 2026", exact=False).first).to_be_visible()
        expect(page.get_by_text("To earn: 1,000,000 tokens in one month")).to_be_visible()
        card = page.locator(".aispend-suggestion-card")
        expect(card).to_contain_text(first[:40])
        screenshot(page, "my_progress")

        page.get_by_role("button", name="Regenerate").click()
        expect(card).to_be_visible(timeout=WAIT_MS)
        expect(card).not_to_contain_text(first[:40], timeout=WAIT_MS)
        screenshot(page, "my_progress_regenerated")
        # Another member's progress is not offered to a viewer.
        expect(page.get_by_label("Progress of")).to_have_count(0)

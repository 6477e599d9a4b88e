"""Finance's journey in a real browser: sign in, open Analytics, pick last month, see its
charts, download the CSV through the browser, and find its total equal to the total the page
shows and to the warehouse's billed total to the cent; the view and the download are audited."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest
from analytics_seed import billed_in_facts, seed_analytics
from dashboard_server import (
    ARTIFACTS,
    WAIT_MS,
    chromium,
    dashboard_env,
    log_in,
    screenshot,
    serve_dashboard,
)

from dashboard.formatting import current_month, month_label, usd
from pipelines.suggestions.inputs import previous_period
from warehouse import audit, migrate
from warehouse.actors import SYSTEM
from warehouse.engine import make_engine
from warehouse.tenants import create_tenant, get_tenant
from warehouse.users import create_user

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_analytics")]

FINANCE, PASSWORD = "fin@example.com", "finance-password-1"
PERIOD = previous_period(current_month())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("aispend_home")
    db_url = f"sqlite:///{home / 'warehouse.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    tenant = create_tenant(engine, "default", "Acme")
    create_user(engine, tenant, SYSTEM, email=FINANCE, name="Fin", password=PASSWORD,
                role="viewer")  # fmt: skip
    seed_analytics(engine, tenant, PERIOD, FINANCE)
    engine.dispose()
    env = dashboard_env(home, db_url)
    with serve_dashboard(home, env) as base:
        yield base, db_url


def test_finance_downloads_a_csv_whose_total_is_the_pages_and_the_warehouses(site) -> None:
    from playwright.sync_api import expect

    base, db_url = site
    with chromium() as browser:
        context = browser.new_context(
            viewport={"width": 1280, "height": 2800}, accept_downloads=True
        )
        page = context.new_page()
        log_in(page, base, FINANCE, PASSWORD)
        page.get_by_role("link", name="Analytics").click()
        page.get_by_label("Month", exact=True).click()
        page.get_by_role("option", name=month_label(PERIOD)).click()

        metric = page.get_by_test_id("stMetric").filter(has_text=f"Billed, {month_label(PERIOD)}")
        expect(metric).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("Spend by model")).to_be_visible()
        charts = page.locator(".vega-embed canvas, .vega-embed svg")
        expect(charts).to_have_count(4, timeout=WAIT_MS)  # tool, model, day by day, months
        expect(page.get_by_text("Savings from cheaper models")).to_be_visible()
        shown = metric.get_by_test_id("stMetricValue").inner_text().strip()
        screenshot(page, "analytics")

        with page.expect_download(timeout=WAIT_MS) as download_info:
            page.get_by_role("button", name="Download CSV").click()
        download = download_info.value
        assert download.suggested_filename == f"aispend-analytics-{PERIOD}.csv"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        saved = ARTIFACTS / download.suggested_filename
        download.save_as(saved)
        context.close()

    frame = pd.read_csv(io.BytesIO(saved.read_bytes()), dtype=str, keep_default_na=False)
    csv_total = Decimal(frame[frame.section == "total"].iloc[0]["billed_usd"])
    engine = make_engine(db_url)
    tenant = get_tenant(engine, "default")
    billed = billed_in_facts(engine, tenant.id, PERIOD)
    assert csv_total == Decimal(billed).scaleb(-6)  # exact, to the micro-dollar
    assert shown == usd(billed) == f"${csv_total.quantize(Decimal('0.01')):,}"  # to the cent
    assert sum(Decimal(v) for v in frame[frame.section == "tool"]["billed_usd"]) == csv_total
    events = audit.list_events(engine, tenant, SYSTEM, actions=["analytics.export"])
    assert [(e["actor"], e["target"]) for e in events] == [(FINANCE, PERIOD)]
    engine.dispose()

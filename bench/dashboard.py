"""Dashboard benchmark: members × 6 vendors × days of facts, the marts built, the dashboard
served by ``streamlit run`` and driven by headless Debian chromium through Playwright.

    .venv/bin/python bench/dashboard.py                        # 1,000 members × 90 days, SQLite
    .venv/bin/python bench/dashboard.py --db postgres          # the same on PostgreSQL
    .venv/bin/python bench/dashboard.py --members 100 --days 40 --runs 3   # a quick look
    .venv/bin/python bench/dashboard.py --no-browser           # the data-fetch table only

Measures, in the browser: a cold sign-in on a fresh server and a fresh browser context (the
sign-in page opened until its form is there; the press on "Sign in" until the Overview's chart
is visible, every cache cold, in the page's own clock, with Playwright's whole click beside it), navigation to the Overview's chart visible (median), the view
toggle cards ↔ chart, the month switch, and navigation to the Analytics charts; directly, each
page's data-fetch query functions (median of ``--runs`` after one warm-up). Targets (issue 8):
first render ≤ 1.0 s, toggle ≤ 300 ms, data fetch ≤ 50 ms per page. Prints a table and where the
screenshots are; asserts nothing.

The sign-in page is opened once the new browser window is ready: Chromium builds each window's
own UI (its omnibox popup, in a renderer of its own: ~0.6 s CPU over ~0.75 s) as the window
opens, and a page opened at once shared 2 cores with it (``settle_window``). A user opens the
dashboard in a window that is already there.

Each browser figure runs from just before Playwright acts (``goto`` or ``click``) until the page
itself sees what is awaited: its condition is checked on every animation frame in the page
(``wait_for_function(..., polling="raf")``). Playwright's ``expect`` retries at 0, 20, 50, 100,
100 ms and then every 500 ms, which rounded figures near 1 s up by as much as 0.5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_db import drop_db, fresh_db  # noqa: E402
from page_waits import (  # noqa: E402
    NONE,
    TEXT,
    VISIBLE_MARKED,
    arm_click,
    pressed_to_shown,
    settle_window,
    shown,
    until,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SHOTS = ROOT / "tmp" / "artifacts" / "bench"
ADMIN, PASSWORD = "bench-admin@example.com", "bench-password-1"
TARGET_RENDER_S, TARGET_TOGGLE_S, TARGET_FETCH_S = 1.0, 0.300, 0.050
CHART = ".vega-embed canvas, .vega-embed svg"


def prepare(url: str, members: int, days: int, today: dt.date) -> tuple[list[str], object]:
    """Seed, build the marts and the analytics, add an admin; the rows of what it took."""
    from marts import SOURCES, seed

    from pipelines.analytics import refresh_analytics
    from pipelines.savings import refresh_savings
    from warehouse import migrate, vendor_period
    from warehouse.actors import SYSTEM
    from warehouse.engine import make_engine
    from warehouse.mart_tables import build
    from warehouse.sql_models import load_models
    from warehouse.tenants import get_tenant
    from warehouse.users import create_user

    engine = make_engine(url)
    migrate.upgrade(engine)
    start = today - dt.timedelta(days=days - 1)
    t0 = time.perf_counter()
    _, facts = seed(engine, members, days, start)
    seeded = time.perf_counter() - t0
    t0 = time.perf_counter()
    for model in load_models():
        build(engine, model)
    tenant = get_tenant(engine, "bench")
    refresh_analytics(engine, tenant, today)
    refresh_savings(engine, tenant, today)
    vendor_period.refresh(engine, tenant.id)  # the Overview's vendor cards
    built = time.perf_counter() - t0
    create_user(engine, tenant, SYSTEM, email=ADMIN, name="Bench", password=PASSWORD, role="admin")
    rows = [
        f"{facts:,} usage facts ({members:,} members × {len(SOURCES)} vendors × {days} days): "
        f"seeded in {seeded:.0f} s, marts and analytics built in {built:.0f} s"
    ]
    return rows, engine


def _median(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fetch_timings(engine, month: str, runs: int) -> list[tuple[str, float]]:
    """Each page's data-fetch query functions, called as the pages call them."""
    from sqlalchemy import func, select

    from dashboard import analytics_csv, analytics_queries, board_queries, queries, spend_queries
    from dashboard.progress_queries import member_progress
    from warehouse import budgets
    from warehouse.actors import Actor
    from warehouse.models import Member
    from warehouse.tenants import get_tenant

    tenant = get_tenant(engine, "bench")
    admin = Actor(ADMIN, "admin")
    with engine.connect() as conn:
        first_member = conn.execute(
            select(func.min(Member.id)).where(Member.tenant_id == tenant.id)
        ).scalar_one()
    parts: list[tuple[str, Callable[[], object]]] = [
        ("overview: available_months", lambda: queries.available_months(engine, tenant.id)),
        ("overview: month_total", lambda: queries.month_total(engine, tenant.id, month)),
        ("overview: team_board", lambda: board_queries.team_board(engine, tenant, admin, month)),
        (
            "my progress: member_progress",
            lambda: member_progress(engine, tenant, admin, first_member, month),
        ),
        (
            "analytics: spend_by_tool",
            lambda: spend_queries.spend_by_tool(engine, tenant, admin, month),
        ),
        (
            "analytics: spend_by_model",
            lambda: spend_queries.spend_by_model(engine, tenant, admin, month),
        ),
        ("analytics: daily_spend", lambda: spend_queries.daily_spend(engine, tenant, admin, month)),
        (
            "analytics: month_over_month",
            lambda: spend_queries.month_over_month(engine, tenant, admin, month),
        ),
        ("analytics: forecasts", lambda: analytics_queries.forecasts(engine, tenant, admin, month)),
        ("analytics: budgets", lambda: budgets.utilisation(engine, tenant, admin, month)),
        ("analytics: anomalies", lambda: analytics_queries.anomalies(engine, tenant, admin, month)),
        (
            "analytics: idle_seat_costs",
            lambda: analytics_queries.idle_seat_costs(engine, tenant, admin, month),
        ),
        ("analytics: savings", lambda: analytics_queries.savings(engine, tenant, admin, month)),
    ]
    out = [(name, _median(fn, runs)) for name, fn in parts]
    pages = {
        "overview (page total)": ["overview: "],
        "my progress (page total)": ["my progress: "],
        "analytics (page total)": ["analytics: "],
    }
    for page, prefixes in pages.items():
        out.append((page, sum(t for n, t in out if any(n.startswith(p) for p in prefixes))))
    out.append(
        (
            "analytics: on_screen (all, as the page)",
            _median(lambda: analytics_csv.on_screen(engine, tenant, admin, month), runs),
        )
    )
    return out


def _timed(action: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def browser_timings(base: str, month: str, previous: str, runs: int) -> list[tuple[str, str]]:
    from dashboard_server import chromium

    from dashboard.formatting import month_label

    SHOTS.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, str]] = []
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        settle_window()
        # A cold sign-in: the server has served no session yet, the browser has nothing cached.
        form = 'input[type="password"]'
        opened = _timed(lambda: (page.goto(f"{base}/?view=Chart"), shown(page, form)))
        page.get_by_role("textbox", name="Email").fill(ADMIN)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        button = page.get_by_role("button", name="Sign in")
        arm_click(page)
        first = _timed(lambda: (button.click(), until(page, VISIBLE_MARKED, [CHART, 1])))
        pressed = pressed_to_shown(page)

        def open_chart() -> None:
            page.goto(f"{base}/?view=Chart", wait_until="commit")
            shown(page, CHART)

        later = [_timed(open_chart) for _ in range(runs)]
        page.screenshot(path=str(SHOTS / "overview-chart.png"))
        out.append(("sign-in page: open to form shown", _verdict(opened, TARGET_RENDER_S)))
        out.append(
            (
                "cold sign-in: press to Overview chart (page clock)",
                _verdict(pressed, TARGET_RENDER_S),
            )
        )
        out.append(("cold sign-in: Playwright click to chart (bench clock)", _ms(first)))
        out.append(
            (
                "first render: Overview chart, median",
                _verdict(statistics.median(later), TARGET_RENDER_S),
            )
        )

        def to_cards() -> None:
            page.get_by_role("radio", name="Cards", exact=True).click()
            shown(page, ".aispend-member-card")
            until(page, NONE, CHART)

        def to_chart() -> None:
            page.get_by_role("radio", name="Chart", exact=True).click()
            shown(page, CHART)

        cards, charts = [], []
        for _ in range(runs):
            cards.append(_timed(to_cards))
            if len(cards) == 1:
                page.screenshot(path=str(SHOTS / "overview-cards.png"))
            charts.append(_timed(to_chart))
        out.append(
            ("toggle: chart → cards, median", _verdict(statistics.median(cards), TARGET_TOGGLE_S))
        )
        out.append(
            ("toggle: cards → chart, median", _verdict(statistics.median(charts), TARGET_TOGGLE_S))
        )

        def switch(to: str) -> Callable[[], None]:
            def run() -> None:
                page.get_by_label("Month", exact=True).click()
                page.get_by_role("option", name=month_label(to)).click()
                until(page, TEXT, f"Billed spend, {month_label(to)}")
                shown(page, CHART)

            return run

        switches = []
        for _ in range(runs):
            switches.append(_timed(switch(previous)))
            switches.append(_timed(switch(month)))
        out.append(
            (
                "month switch (Overview), median",
                _verdict(statistics.median(switches), TARGET_RENDER_S),
            )
        )

        def open_analytics() -> None:
            page.goto(f"{base}/analytics", wait_until="commit")
            shown(page, CHART, 4)

        first = _timed(open_analytics)
        later = [_timed(open_analytics) for _ in range(runs)]
        page.set_viewport_size({"width": 1280, "height": 2800})
        page.screenshot(path=str(SHOTS / "analytics.png"))
        out.append(
            ("first render: Analytics charts, cold caches", _verdict(first, TARGET_RENDER_S))
        )
        out.append(
            (
                "first render: Analytics charts, median",
                _verdict(statistics.median(later), TARGET_RENDER_S),
            )
        )
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f} ms  (includes Playwright's click checks; not the target)"


def _verdict(seconds: float, target: float) -> str:
    mark = "ok" if seconds <= target else "MISSES"
    return f"{seconds * 1000:8.0f} ms  (target ≤ {target * 1000:.0f} ms: {mark})"


def _in_browser(tmp: Path, url: str, month: str, runs: int) -> list[tuple[str, str]]:
    from dashboard_server import serve_dashboard

    from pipelines.suggestions.inputs import previous_period

    home = tmp / "home"
    home.mkdir()
    env = {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": url,
        "AISPEND_COOKIE_KEY": "bench-cookie-key-not-secret-0123456789abcdef",
        "AISPEND_TENANT": "bench",
    }
    with serve_dashboard(home, env) as base:
        return browser_timings(base, month, previous_period(month), runs)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument(
        "--no-browser", action="store_true", help="the data-fetch table only (no dashboard served)"
    )
    args = p.parse_args()

    from dashboard.formatting import current_month

    today = dt.datetime.now(dt.UTC).date()
    month = current_month(today)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_db(args.db, Path(tmp))
        try:
            notes, engine = prepare(url, args.members, args.days, today)
            fetch = fetch_timings(engine, month, args.runs)
            engine.dispose()
            browser = [] if args.no_browser else _in_browser(Path(tmp), url, month, args.runs)
        finally:
            drop_db(url)
    print(f"\n{args.db}: {notes[0]}")
    print(f"\ndata fetch per page (median of {args.runs}, direct calls)")
    width = max(len(n) for n, _ in fetch)
    for name, seconds in fetch:
        print(f"  {name:<{width}}  {_verdict(seconds, TARGET_FETCH_S)}")
    if browser:
        print("\nin the browser (headless Debian chromium)")
        width = max(len(n) for n, _ in browser)
        for name, shown in browser:
            print(f"  {name:<{width}}  {shown}")
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    if browser:
        print(f"screenshots: {SHOTS}/overview-chart.png, overview-cards.png, analytics.png")


if __name__ == "__main__":
    main()

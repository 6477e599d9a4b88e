"""Where the Analytics first render goes, in the browser: a diagnostic beside bench/dashboard.py.

    .venv/bin/python bench/analytics_timeline.py            # 1,000 members × 90 days, SQLite
    RUNS=7 MSGS=1 .venv/bin/python bench/analytics_timeline.py

Seeds once into tmp/anabench/bench.db (kept: delete it to reseed), serves the dashboard, signs
in, then opens /analytics as bench/dashboard.py does (``goto``, then ``expect`` 4 charts) and
prints, per navigation and from the page's own clock (ms after navigation start): the
websocket opened, its first and last message, when the tables and the 4 charts were in the DOM,
and when Playwright saw them. Playwright's ``expect`` polls at 0, 20, 50, 100, 100, then every
500 ms, so the bench's figure moves in steps of ~500 ms: charts in the DOM at ~600-850 ms are
reported at ~950-1000 ms, later ones at ~1.4 s. Asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import time

from browser_timeline import ROOT, bd, init_script, seeded

D = ROOT / "tmp" / "anabench"
DB = D / "bench.db"

# Marks in the page: the websocket's life and the count of charts (c) and tables (t) in the DOM.
INIT = init_script(
    r"""
  new MutationObserver(() => {
    const c = document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length;
    const t = document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stTable"]').length;
    const k = 'c' + c + ' t' + t;
    once(k);
  }).observe(document, {subtree: true, childList: true});
"""
)


def main() -> None:
    from dashboard_server import chromium, log_in, serve_dashboard
    from playwright.sync_api import expect

    runs = int(os.environ.get("RUNS", "5"))
    url = seeded(DB, int(os.environ.get("MEMBERS", "1000")), int(os.environ.get("DAYS", "90")))
    home = D / "home"
    home.mkdir(exist_ok=True)
    env = {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": url,
        "AISPEND_COOKIE_KEY": "bench-cookie-key-not-secret-0123456789abcdef",
        "AISPEND_TENANT": "bench",
    }
    rows: list[dict] = []
    with serve_dashboard(home, env) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_init_script(INIT)
        page = context.new_page()
        log_in(page, f"{base}/?view=Chart", bd.ADMIN, bd.PASSWORD)
        expect(page.locator(bd.CHART).first).to_be_visible(timeout=120_000)
        for i in range(runs + 1):
            wall0, t0 = time.time(), time.perf_counter()
            page.goto(f"{base}/analytics", wait_until="commit")
            expect(page.locator(bd.CHART)).to_have_count(4, timeout=120_000)
            seen = (time.perf_counter() - t0) * 1000
            origin, marks, msgs = page.evaluate(
                "[performance.timeOrigin, window.__marks, window.__msgs]"
            )
            shift = origin - wall0 * 1000  # navigation start, ms after the bench's clock started
            at = {name: round(ms) for name, ms in reversed(marks)}  # the first time of each
            charts = next((round(ms) for n, ms in marks if n.startswith("c4")), -1)
            row = {
                "seen": round(seen), "charts": charts, "ws-open": at.get("ws-open", -1),
                "first-msg": round(msgs[0][0]) if msgs else -1,
                "last-msg": round(msgs[-1][0]) if msgs else -1,
                "nav-start": round(shift),
            }  # fmt: skip
            rows.append(row)
            print(f"run {i}{' (cold)' if i == 0 else ''}: {row}")
            print(f"    DOM: {[(n, round(ms)) for n, ms in marks if n[0] == 'c']}")
            if os.environ.get("MSGS"):
                print(f"    messages (ms, bytes): {msgs}")
    later = rows[1:]
    summary = {k: round(statistics.median(r[k] for r in later)) for k in later[0]}
    print(f"median of {runs} later runs: {summary}; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

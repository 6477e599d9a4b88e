"""Where a cold sign-in goes, in the browser: a diagnostic beside bench/dashboard.py.

    .venv/bin/python bench/signin_timeline.py                   # 1,000 members × 90 days, SQLite
    DB=postgres .venv/bin/python bench/signin_timeline.py       # the same on PostgreSQL
    MEMBERS=50 DAYS=40 RUNS=3 .venv/bin/python bench/signin_timeline.py

Seeds once into tmp/signinbench/<members>x<days>.db, or the PostgreSQL database
aispend_timeline_<members>x<days> (kept: delete or drop it to reseed). Each run starts
a fresh dashboard server (cold: nothing imported or cached in it yet) and a fresh browser
context, opens ``/?view=Chart``, signs in through the form and waits for the Overview's chart,
as bench/dashboard.py does; then prints, from the page's own clock (ms after the click on
"Sign in"): each websocket message, when the cookie component's frame appeared and when the
login cookie was there, when the chart was in the DOM, and when Playwright saw it.
Asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import time

from browser_timeline import ROOT, bd, cpu_seconds, init_script, seeded, seeded_postgres
from page_waits import settle_window

MEMBERS, DAYS = int(os.environ.get("MEMBERS", "1000")), int(os.environ.get("DAYS", "90"))
D = ROOT / "tmp" / "signinbench"
DB = D / f"{MEMBERS}x{DAYS}.db"
KIND = os.environ.get("DB", "sqlite")

# Marks in the page's clock: the websocket's messages, the sign-in click, frames, the cookie,
# the chart and the login form in the DOM.
INIT = init_script(
    r"""
  new MutationObserver(() => {
    if (document.querySelector('.vega-embed canvas, .vega-embed svg')) once('chart');
    if (document.querySelector('input[type="password"]')) once('form');
    if (document.querySelector('iframe')) once('iframe');
    if (document.querySelector('h1')) once('title');
    if (/aispend_auth_/.test(document.cookie)) once('cookie');
    const t = document.body && document.body.innerText || '';
    if (t.includes('Signed in.')) once('signed-in-msg');
    if (t.includes('Overview')) once('overview-text');
  }).observe(document, {subtree: true, childList: true, characterData: true});
  setInterval(() => { if (/aispend_auth_/.test(document.cookie)) once('cookie'); }, 5);
  document.addEventListener('DOMContentLoaded', () => mark('dcl'));
  document.addEventListener('click', (e) => {
    if (e.target.closest('button') && /Sign in/.test(e.target.closest('button').innerText)) mark('click');
  }, true);
  window.__long = [];
  try {
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push([e.startTime, e.duration])))
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
"""
)


def main() -> None:
    from dashboard_server import chromium, log_in, serve_dashboard
    from playwright.sync_api import expect

    runs = int(os.environ.get("RUNS", "3"))
    env = {
        "AISPEND_DATABASE_URL": (
            seeded_postgres(MEMBERS, DAYS) if KIND == "postgres" else seeded(DB, MEMBERS, DAYS)
        ),
        "AISPEND_COOKIE_KEY": "bench-cookie-key-not-secret-0123456789abcdef",
        "AISPEND_TENANT": "bench",
    }
    rows = []
    with chromium() as browser:
        for i in range(runs):
            home = D / f"home{i}"
            home.mkdir(exist_ok=True)
            with serve_dashboard(home, {"AISPEND_HOME": str(home), **env}) as base:
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                context.add_init_script(INIT)
                page = context.new_page()
                settle_window()  # as bench/dashboard.py opens it
                cpu0, t0 = cpu_seconds(), time.perf_counter()
                log_in(page, f"{base}/?view=Chart", bd.ADMIN, bd.PASSWORD)
                cpu1, t_click = cpu_seconds(), time.perf_counter()
                expect(page.locator(bd.CHART).first).to_be_visible(timeout=120_000)
                cpu2, t_seen = cpu_seconds(), time.perf_counter()
                origin, marks, msgs, long, loads = page.evaluate(
                    "[performance.timeOrigin, window.__marks, window.__msgs, window.__long,"
                    " performance.getEntriesByType('resource').map("
                    "   (e) => [e.name.split('/').pop(), e.startTime, e.responseEnd])]"
                )
                context.close()
            at = {n: ms for n, ms in reversed(marks)}
            click = at.get("click", 0)
            rel = {n: round(ms - click) for n, ms in sorted(at.items(), key=lambda kv: kv[1])}
            after = [(round(ms - click), b) for ms, b in msgs if ms >= click]
            row = {
                "open->form (page clock)": round(at.get("form", -1)),
                "open->seen": round((t_seen - t0) * 1000),
                "click->seen (bench clock)": round((t_seen - t_click) * 1000),
                "click->chart (page clock)": rel.get("chart", -1),
            }
            rows.append(row)
            print(f"run {i}: {row}")
            before_form = [ms for ms, _ in msgs if ms < at.get("form", 0)]
            opening = {
                "dcl": at.get("dcl"),
                "ws-open": at.get("ws-open"),
                "first message": before_form[0] if before_form else None,
                "last message before the form": before_form[-1] if before_form else None,
                "title": at.get("title"),
                "form": at.get("form"),
            }
            print(
                f"    opening (ms after navigation): { {k: round(v) for k, v in opening.items() if v} }"
            )
            print(
                "    CPU ms (browser, server): open+fill "
                f"{[round((cpu1[k] - cpu0[k]) * 1000) for k in ('browser', 'server')]}, click->seen "
                f"{[round((cpu2[k] - cpu1[k]) * 1000) for k in ('browser', 'server')]}"
            )
            print(f"    marks (ms after click): {rel}")
            print(f"    messages after click (ms, bytes): {after}")
            fetched = [(n, round(a - click), round(b - click)) for n, a, b in loads if a >= click]
            print(f"    fetched after click (name, start, end ms): {fetched}")
            tasks = [(round(a - click), round(d)) for a, d in long if a + d >= click]
            print(f"    long tasks after click (start, ms): {tasks}")
            click_epoch = origin + click
            server = [
                (round(float(t) * 1000 - click_epoch), name)
                for line in (home / "streamlit.log").read_text().splitlines()
                if line.startswith("T ")
                for _, t, name in [line.split(" ", 2)]
            ]
            if server:  # "T <epoch s> <label>" lines a scratch-instrumented server wrote
                print(f"    server marks (ms after click): {server}")
    for k in rows[0]:
        print(f"median {k}: {statistics.median(r[k] for r in rows)}")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

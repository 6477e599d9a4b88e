"""What opening the Analytics page costs in CPU time, in the browser and in the server: a
diagnostic beside bench/dashboard.py for a loaded machine, where wall times wander.

    .venv/bin/python bench/analytics_cpu.py                      # SQLite, 1,000 members × 90 days
    DB=postgres .venv/bin/python bench/analytics_cpu.py          # the same on PostgreSQL
    git archive main | tar -x -C tmp/main                        # then, A/B on both databases:
    VARIANTS="main:tmp/main::sqlite,new:.::sqlite,main-pg:tmp/main::postgres,new-pg:.::postgres" \
        RUNS=9 .venv/bin/python bench/analytics_cpu.py
    SERVER_PYTHONPATH=bench/run_timer ...                        # + each script run's CPU time

Seeds once (SQLite: tmp/anabench/bench.db; PostgreSQL: database ``aispend_anabench``; kept:
delete or drop it to reseed). Serves one dashboard per variant (a checkout's code, served from
its folder), signs each in, then opens /analytics and the Overview chart for every variant in
turn (the same load for each), ``RUNS`` times after a first, cold, round. Per page it prints the
medians of: the wall time until the charts are visible (Analytics: its 4 charts and its last
element, the download button), the server process's CPU time (utime + stime, 10 ms ticks), all
chromium processes' CPU time, and Chrome's per-document ``ThreadTime`` (the renderer's
main-thread CPU) with its script/layout/style durations. Asserts nothing.
"""

from __future__ import annotations

import contextlib
import functools
import os
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from browser_timeline import ROOT, bd, seeded
from page_waits import shown

D = ROOT / "tmp" / "anabench"
PG_DB = "aispend_anabench"
METRICS = ("ThreadTime", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def _pg_seeded(members: int, days: int) -> str:
    import datetime as dt

    from bench_db import PG_ADMIN
    from sqlalchemy import create_engine, text

    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DB})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
            notes, engine = bd.prepare(url, members, days, dt.datetime.now(dt.UTC).date())
            engine.dispose()
            print(notes[0])
    admin.dispose()
    return url


def _server_pid(port: int) -> int:
    needle = f"--server.port\0{port}\0".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if needle in (proc / "cmdline").read_bytes():
                    return int(proc.name)
            except OSError:
                continue
    raise RuntimeError(f"no streamlit server on port {port}")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(root: int) -> list[int]:
    """``root``'s processes below it (the browser's: Playwright's driver, chromium's own)."""
    parent = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parent[int(proc.name)] = int(
                    (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [c for c, p in parent.items() if p == pid]
        found += kids
        todo += kids
    return found


def _browser_cpu_s() -> float:
    total = 0.0
    for pid in _descendants(os.getpid()):
        try:
            if b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += _cpu_s(pid)
        except OSError:
            continue
    return total


@contextlib.contextmanager
def _serve(src: str | None, home: Path, env: dict[str, str]) -> Iterator[str]:
    """``serve_dashboard`` running ``src``'s code: its server_app.py, from its folder (``python
    -m`` puts the working directory first on sys.path, before PYTHONPATH)."""
    import dashboard_server

    from dashboard import run

    if src is None:
        with dashboard_server.serve_dashboard(home, env) as base:
            yield base
        return
    root = Path(src).resolve()
    command, popen = run.streamlit_command, subprocess.Popen

    def their_command(port: int) -> list[str]:
        return [str(root / "dashboard" / "server_app.py") if a == str(run.APP_PATH) else a
                for a in command(port)]  # fmt: skip

    dashboard_server.streamlit_command = their_command  # only while this server starts
    dashboard_server.subprocess.Popen = functools.partial(popen, cwd=root)
    try:
        with dashboard_server.serve_dashboard(home, env) as base:
            dashboard_server.streamlit_command, dashboard_server.subprocess.Popen = command, popen
            yield base
    finally:
        dashboard_server.streamlit_command, dashboard_server.subprocess.Popen = command, popen


def _variants() -> list[tuple[str, str | None, int, bool]]:
    """``VARIANTS="main:tmp/base,new:."`` (name:code[:charts[:db]]), db ``sqlite`` or
    ``postgres`` (default: ``DB``); by default this checkout."""
    out = []
    for item in os.environ.get("VARIANTS", "this:").split(","):
        name, src, *more = item.split(":")
        db = more[1] if len(more) > 1 else os.environ.get("DB", "sqlite")
        out.append((name, src or None, int(more[0]) if more and more[0] else 4, db == "postgres"))
    return out


def main() -> None:
    from dashboard_server import chromium, log_in

    runs = int(os.environ.get("RUNS", "7"))
    members, days = int(os.environ.get("MEMBERS", "1000")), int(os.environ.get("DAYS", "90"))
    rows: dict[str, list[dict]] = {}
    with contextlib.ExitStack() as stack:
        browser = stack.enter_context(chromium())
        targets = []
        for name, src, charts, pg in _variants():
            url = _pg_seeded(members, days) if pg else seeded(D / "bench.db", members, days)
            home = D / f"home-{'pg' if pg else 'sqlite'}-{name}"
            home.mkdir(parents=True, exist_ok=True)
            env = {
                "AISPEND_HOME": str(home),
                "AISPEND_DATABASE_URL": url,
                "AISPEND_COOKIE_KEY": "bench-cookie-key-not-secret-0123456789abcdef",
                "AISPEND_TENANT": "bench",
            }
            if os.environ.get("SERVER_PYTHONPATH"):  # a profiler's sitecustomize, say
                env["PYTHONPATH"] = str(Path(os.environ["SERVER_PYTHONPATH"]).resolve())
            base = stack.enter_context(_serve(src, home, env))
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            log_in(page, f"{base}/?view=Chart", bd.ADMIN, bd.PASSWORD)
            shown(page, bd.CHART)
            server = _server_pid(int(base.rsplit(":", 1)[1]))
            print(f"{name}: server pid {server}")
            targets.append((name, base, page, cdp, server, charts))
        for i in range(runs + 1):  # the variants in turn: the same load for each
            for name, base, page, cdp, server, charts in targets:
                for what, path, count in (
                    ("analytics", "/analytics", charts),
                    ("overview", "/?view=Chart", 1),
                ):
                    row = _open(page, cdp, server, base + path, count, what == "analytics")
                    if i == 0:
                        print(f"{name} {what} (cold): " + _fmt(row))
                    else:
                        rows.setdefault(f"{name} {what}", []).append(row)
    for key, got in rows.items():
        print(f"{key}: median of {runs}: " + _fmt({k: _med(got, k) for k in got[0]}))
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _open(page, cdp, server: int, url: str, charts: int, last_button: bool) -> dict[str, float]:
    """Open ``url`` until ``charts`` charts (and the download button) are visible."""
    cpu0, b0, t0 = _cpu_s(server), _browser_cpu_s(), time.perf_counter()
    page.goto(url, wait_until="commit")
    shown(page, bd.CHART, charts)
    if last_button:  # the Analytics page's last element
        shown(page, '[data-testid="stDownloadButton"]')
    wall = time.perf_counter() - t0
    time.sleep(0.3)  # the server's last messages and the browser's last frames
    cpu1, b1 = _cpu_s(server), _browser_cpu_s()
    got = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {"wall": wall, "server": cpu1 - cpu0, "browser": b1 - b0} | {k: got[k] for k in METRICS}


def _med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def _fmt(row: dict[str, float]) -> str:
    return "  ".join(f"{k} {v * 1000:.0f}" for k, v in row.items()) + " (ms)"


if __name__ == "__main__":
    main()

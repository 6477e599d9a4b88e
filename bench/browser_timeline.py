"""What the browser-timeline diagnostics (bench/analytics_timeline.py, bench/signin_timeline.py)
share: bench/dashboard.py loaded as a module, a seeded warehouse kept between runs, and the
page script that wraps the websocket to mark when it opened, sent and received (page clock)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
_spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "bench" / "dashboard.py")
bd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bd)

# Every websocket's open ('ws-open'), each send ('send') and each message received ([ms, bytes]
# in window.__msgs).
_WEBSOCKET_MARKS = r"""
  const WS = window.WebSocket;
  window.WebSocket = function (...a) {
    const ws = new WS(...a);
    ws.addEventListener('open', () => mark('ws-open'));
    ws.addEventListener('message', (e) => {
      window.__msgs.push([performance.now(), e.data.byteLength || e.data.size || 0]);
    });
    const send = ws.send.bind(ws);
    ws.send = (d) => { mark('send'); return send(d); };
    return ws;
  };
  window.WebSocket.prototype = WS.prototype;
  Object.assign(window.WebSocket, WS);
"""


def init_script(body: str) -> str:
    """A page init script: ``window.__marks`` of ``[name, ms]`` set by ``mark(name)`` (or
    ``once(name)``, the first time only) in ``body``, plus the websocket's marks."""
    return (
        "(() => {\n  window.__marks = []; window.__msgs = [];\n"
        "  const mark = (n) => window.__marks.push([n, performance.now()]);\n"
        "  const seen = {};\n"
        "  const once = (k) => { if (!seen[k]) { seen[k] = 1; mark(k); } };\n"
        + body
        + _WEBSOCKET_MARKS
        + "})();\n"
    )


def seeded(db: Path, members: int, days: int) -> str:
    """The SQLite URL of ``db``, seeded with bench/dashboard.py's data unless it exists."""
    url = f"sqlite:///{db}"
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        _seed(url, members, days)
    return url


def seeded_postgres(members: int, days: int) -> str:
    """The URL of a PostgreSQL database on bench_db's server, ``aispend_timeline_<m>x<d>``,
    seeded with bench/dashboard.py's data unless it exists (kept: drop it to reseed)."""
    from bench_db import PG_ADMIN
    from sqlalchemy import create_engine, text

    name = f"aispend_timeline_{members}x{days}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        fresh = exists.first() is None
        if fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    if fresh:
        _seed(url, members, days)
    return url


def _seed(url: str, members: int, days: int) -> None:
    notes, engine = bd.prepare(url, members, days, dt.datetime.now(dt.UTC).date())
    engine.dispose()
    print(notes[0])


def cpu_seconds(parent: int | None = None) -> dict[str, float]:
    """CPU time (user + system) so far of this process's chromium and dashboard-server
    descendants: {"browser": s, "server": s}."""
    import psutil

    out = {"browser": 0.0, "server": 0.0}
    for child in psutil.Process(parent).children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            times = child.cpu_times()
        except psutil.Error:  # gone meanwhile
            continue
        kind = "browser" if "chromium" in command else "server" if "streamlit" in command else ""
        if kind:
            out[kind] += times.user + times.system
    return out

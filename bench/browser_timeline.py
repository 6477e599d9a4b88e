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
        notes, engine = bd.prepare(url, members, days, dt.datetime.now(dt.UTC).date())
        engine.dispose()
        print(notes[0])
    return url

"""The dashboard served as a Streamlit ``st.App``: Streamlit's own server and routes, plus each
page's path answered with Streamlit's index.html that tells the browser where the server is.

Why: opened at a page's path (``/analytics``), Streamlit's frontend first probes
``/analytics/_stcore/health`` (a 404), waits 100 ms and only then tries ``/``: ~110 ms before
the websocket opens on every page load (measured, issue 8 benchmark). ``window.__streamlit``'s
``BACKEND_BASE_URL`` names the server's root, so the first probe is the one that answers. The
frontend settles on that same root without the hint, so nothing else changes; an unknown path
still gets Streamlit's own index.html.

Before it answers, the server does what a session's first run would otherwise pay for
(``dashboard.warmup``: imports, altair's first chart, the connectors, the login's dummy hash).

``dashboard/run.py`` runs ``streamlit run`` on this file; the app itself is streamlit_app.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import streamlit
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from streamlit import config
from streamlit.starlette import App

from dashboard.navigation import DEFAULT_SHIM_PATH, KNOWN_PATHS
from dashboard.warmup import warm

INDEX_HTML = Path(streamlit.__file__).parent / "static" / "index.html"
HINT_MARK = "<head>"


@cache
def _index(base_path: str) -> str:
    """Streamlit's index.html with the server's root set before its scripts run."""
    html = INDEX_HTML.read_text(encoding="utf-8")
    root = f"/{base_path}/" if base_path else "/"
    hint = f"<script>window.__streamlit={{BACKEND_BASE_URL:location.origin+{root!r}}}</script>"
    if HINT_MARK not in html:  # another Streamlit's page: serve it as it is
        return html
    return html.replace(HINT_MARK, HINT_MARK + hint, 1)


def _base_path() -> str:
    return (config.get_option("server.baseUrlPath") or "").strip("/")


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(_index(_base_path()), headers={"Cache-Control": "no-cache"})


def page_routes() -> list[Route]:
    """``/`` and every registered page's path (under the server's base path, if any)."""
    prefix = f"/{_base_path()}" if _base_path() else ""
    paths = [prefix or "/"] + [f"{prefix}/{p}" for p in sorted(KNOWN_PATHS | {DEFAULT_SHIM_PATH})]
    return [Route(p, page, methods=["GET", "HEAD"]) for p in paths]


@contextlib.asynccontextmanager
async def warm_first(_app: App) -> AsyncIterator[None]:
    """Runs once Streamlit's runtime has started and before the server accepts a connection."""
    await asyncio.to_thread(warm)
    yield


app = App(
    Path(__file__).resolve().with_name("streamlit_app.py"),
    routes=page_routes(),
    lifespan=warm_first,
)

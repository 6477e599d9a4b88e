"""The dashboard served as a Streamlit ``st.App``: Streamlit's own server and routes, plus each
page's path answered with Streamlit's index.html that tells the browser where the server is.

Why: opened at a page's path (``/analytics``), Streamlit's frontend first probes
``/analytics/_stcore/health`` (a 404), waits 100 ms and only then tries ``/``: ~110 ms before
the websocket opens on every page load (measured, issue 8 benchmark). ``window.__streamlit``'s
``BACKEND_BASE_URL`` names the server's root, so the first probe is the one that answers. The
frontend settles on that same root without the hint, so nothing else changes; an unknown path
still gets Streamlit's own index.html. That index.html also asks for the sign-in form's code
beside Streamlit's main bundle (``browser_preload.form_preload_script``), and Streamlit's
bundles are answered from memory (``BundlesFromMemory``).

Before it answers, the server does what a session's first run would otherwise pay for
(``dashboard.warmup``: imports, altair's first chart, the connectors, the login's dummy hash,
the warehouse's first connection and the tenant).

``dashboard/run.py`` runs ``streamlit run`` on this file; the app itself is streamlit_app.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import re
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import streamlit
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import config
from streamlit.starlette import App

from dashboard.browser_preload import FORM_ELEMENTS, bundle_files, form_preload_script
from dashboard.navigation import DEFAULT_SHIM_PATH, KNOWN_PATHS
from dashboard.warmup import outside_a_session, warm, warm_database

STATIC_DIR = Path(streamlit.__file__).parent / "static"
INDEX_HTML = STATIC_DIR / "index.html"
BUNDLES_DIR = STATIC_DIR / "static"  # content-hashed js, css, fonts: served as "/static/..."
IMMUTABLE = "public, immutable, max-age=31536000"  # as Streamlit serves them
HINT_MARK = "<head>"


@cache
def _index(base_path: str) -> str:
    """Streamlit's index.html with the server's root set before its scripts run, and the
    sign-in form's code asked for beside Streamlit's main bundle (``browser_preload``)."""
    html = INDEX_HTML.read_text(encoding="utf-8")
    root = f"/{base_path}/" if base_path else "/"
    hint = f"<script>window.__streamlit={{BACKEND_BASE_URL:location.origin+{root!r}}}</script>"
    if HINT_MARK not in html:  # another Streamlit's page: serve it as it is
        return html
    return html.replace(HINT_MARK, HINT_MARK + hint + form_preload_script(), 1)


def _base_path() -> str:
    return (config.get_option("server.baseUrlPath") or "").strip("/")


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(_index(_base_path()), headers={"Cache-Control": "no-cache"})


@cache
def _bundle_paths() -> dict[str, Path]:
    """Streamlit's hashed bundles by their path under ``/static/`` (a fixed set: a request
    names one of these or goes on to Streamlit, so no path is ever built from it)."""
    return {p.relative_to(BUNDLES_DIR).as_posix(): p for p in BUNDLES_DIR.rglob("*") if p.is_file()}


@cache
def _bundle(name: str) -> bytes:
    return _bundle_paths()[name].read_bytes()


def _read_first_bundles() -> None:
    """Read what every fresh browser asks for first: the bundles index.html names (the main
    bundle, its ~60 modules, the stylesheet, the font) and the sign-in form's code with the
    modules it imports. Read on the first request, they held the event loop while those
    requests queued (≈ 30 ms of a fresh server's sign-in page at load 10, py-spy), as did the
    first look at the MIME types."""
    mimetypes.init()
    names = re.findall(r"\./static/([^\"'\s>]+)", INDEX_HTML.read_text(encoding="utf-8"))
    todo = [f"js/{f}" for f in bundle_files(elements=FORM_ELEMENTS)]
    while todo:  # the form's modules and, from their text, the modules they import
        name = todo.pop()
        if name in names or name not in _bundle_paths():
            continue
        names.append(name)
        text = _bundle(name).decode("utf-8", "replace")
        todo += [f"js/{f}" for f in re.findall(r'(?:from|import)\s*"\./([\w.-]+\.js)"', text)]
    for name in names:
        if name in _bundle_paths():
            _bundle(name)


class BundlesFromMemory:
    """Answers a GET or HEAD of one of Streamlit's bundles from memory; passes every other
    request on to Streamlit. A fresh browser asks for ~80 bundles before the page can open its
    websocket, six at a time; Streamlit's static handler spends two thread hops per file (a
    stat, then the read), which queued them on a busy server. Same bytes, same headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            prefix = f"/{_base_path()}/static/" if _base_path() else "/static/"
            path = scope["path"]
            name = path[len(prefix) :] if path.startswith(prefix) else None
            if name in _bundle_paths():
                response = Response(
                    _bundle(name),
                    media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                    headers={"Cache-Control": IMMUTABLE},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def page_routes() -> list[Route]:
    """``/`` and every registered page's path (under the server's base path, if any)."""
    prefix = f"/{_base_path()}" if _base_path() else ""
    paths = [prefix or "/"] + [f"{prefix}/{p}" for p in sorted(KNOWN_PATHS | {DEFAULT_SHIM_PATH})]
    return [Route(p, page, methods=["GET", "HEAD"]) for p in paths]


@contextlib.asynccontextmanager
async def warm_first(_app: App) -> AsyncIterator[None]:
    """Runs once Streamlit's runtime has started and before the server accepts a connection."""
    with outside_a_session():
        await asyncio.to_thread(warm)
        await asyncio.to_thread(warm_database)
        await asyncio.to_thread(_read_first_bundles)
    yield


app = App(
    Path(__file__).resolve().with_name("streamlit_app.py"),
    routes=page_routes(),
    middleware=[Middleware(BundlesFromMemory)],
    lifespan=warm_first,
)

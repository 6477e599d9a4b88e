"""Work the dashboard's first session would otherwise pay for, done once when the server starts.

Imported modules stay imported for the whole server process, but nothing imports them before a
session's first run needs them: on a fresh server, the first sign-in paid for pandas and pyarrow
(Streamlit imports them the first time a component is drawn: the login cookie's), the pages'
own imports (altair, the query modules) and altair's first chart (its schema), about 2 s of a
3.3 s sign-in (measured on the issue 8 benchmark, 2 shared cores). ``warm()`` imports what the
frame and every page import, read from the scripts themselves so the list cannot drift, and
makes one small chart the way the pages do, then takes what it made out of the garbage
collector's full collections (``gc.freeze``). ``dashboard/server_app.py`` calls it before the
server answers; ``streamlit run`` reports healthy that much later (≈ 1-2 s).
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

from dashboard.navigation import PAGES_DIR

log = logging.getLogger(__name__)

FRAME = Path(__file__).resolve().with_name("streamlit_app.py")
# Imported by Streamlit itself on a run's first dataframe, chart or component, not by our code.
LIBRARIES = ("pandas", "pyarrow", "altair", "streamlit.dataframe_util")


def script_imports(script: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The modules a script imports at its top level, each with the names it takes from it
    (``import a.b`` gives ("a.b", ()); ``from a import b, c`` gives ("a", ("b", "c")))."""
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            yield from ((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            yield str(node.module), tuple(alias.name for alias in node.names)


def _import(name: str, names: tuple[str, ...]) -> None:
    try:
        module = importlib.import_module(name)
        for attribute in names:  # ``from package import module`` imports the module too
            if not hasattr(module, attribute) and hasattr(module, "__path__"):
                importlib.import_module(f"{name}.{attribute}")
    except Exception as exc:  # noqa: BLE001  (the page shows the error when it runs)
        log.warning("dashboard warm-up: cannot import %s (%s)", name, exc)


def _register_components(modules: Iterable[ModuleType]) -> None:
    """Streamlit registers a custom component (so the server serves its frontend) only when
    it is declared during a script run: register those the warm-up's imports declared."""
    from streamlit import runtime
    from streamlit.components.types.base_custom_component import BaseCustomComponent

    if not runtime.exists():
        return
    registry = runtime.get_instance().component_registry
    for module in modules:
        for value in list(vars(module).values()):
            if (
                isinstance(value, BaseCustomComponent)
                and registry.get_component(value.name) is None
            ):
                registry.register_component(value)


def _first_chart() -> None:
    """altair loads and compiles its Vega-Lite schema on the first chart it validates."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame({"member": ["a", "b"], "tool": ["x", "y"], "spend": [1.0, 2.0]})
    alt.Chart(frame).mark_bar().encode(
        y=alt.Y("member:N", sort=["a", "b"], title=None),
        x=alt.X("sum(spend):Q"),
        color=alt.Color("tool:N", scale=alt.Scale(domain=["x", "y"], range=["#000", "#fff"])),
        tooltip=["member", "tool"],
    ).to_dict()


def _first_element_check() -> None:
    """Streamlit asks once per process, as the first element of the first run is drawn,
    whether it runs in a Python REPL: ``inspect.stack()`` over that run's frames, which looks
    up the file of every loaded module (with pandas, altair, SQLAlchemy... loaded, 10-15 ms of
    the sign-in page's first run, measured at load 10). Asked here instead; under
    ``streamlit run`` it warns about nothing. A Streamlit without the check is left alone."""
    from streamlit import delta_generator, runtime

    check = getattr(delta_generator, "_maybe_print_use_warning", None)
    if callable(check) and runtime.exists():  # outside a server it would warn
        check()


# Streamlit's logger for "Thread '…': missing ScriptRunContext!": the warm-up calls what the
# pages call (cached resources, the first-element check) outside any session, by design.
_SCRIPT_RUN_CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


@contextlib.contextmanager
def outside_a_session() -> Iterator[None]:
    """While the warm-up runs (before the server accepts a connection, so no session exists to
    miss a warning), Streamlit's "missing ScriptRunContext" warnings are not printed: five of
    them greeted every ``aispend serve``, each saying it can be ignored."""
    logger = logging.getLogger(_SCRIPT_RUN_CONTEXT_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def warm_database() -> None:
    """Open the warehouse the way a session's first run does: the server's engine, its first
    connection and the tenant, then the sign-in directory. A fresh server's first sign-in page
    paid for this (≈ 0.1 s on PostgreSQL: the driver's first connection, SQLAlchemy's first
    look at the server, the first statements compiled). Reads only what every run of the
    frame reads; no page's data (their caches stay cold). Never raises: a missing tenant or an
    unreachable warehouse is the page's to report."""
    try:
        from dashboard.app_context import app_context
        from warehouse.users import login_directory

        ctx = app_context()
        login_directory(ctx.engine, ctx.tenant)
    except Exception:  # noqa: BLE001  (a warm-up must never stop the server)
        log.warning("dashboard warm-up: the warehouse is not ready", exc_info=True)


def warm() -> None:
    """Import what the frame and the pages import, make one chart, read the installed
    connectors, run Streamlit's first-element check, make the login's dummy hash and freeze
    what the collector tracks (never raises)."""
    before = set(sys.modules)
    for name in LIBRARIES:
        _import(name, ())
    for script in [FRAME, *sorted(PAGES_DIR.glob("*.py"))]:
        for name, names in script_imports(script):
            _import(name, names)
    _register_components(sys.modules[m] for m in set(sys.modules) - before)
    from connectors.registry import installed_connectors
    from warehouse import logins

    try:
        _first_chart()
        installed_connectors()  # imports every connector (the Overview's vendor cards use them)
        _first_element_check()
    except Exception:  # noqa: BLE001  (a warm-up must never stop the server)
        log.warning("dashboard warm-up failed", exc_info=True)
    logins.prepare()
    # Everything made so far lives as long as the server: collect the garbage once and move the
    # rest out of the collector's sight. Else each full collection walks these ~200,000 objects
    # again, 0.1-0.3 s with the GIL held in the middle of a page's run (seen as a 0.45 s chart
    # on a cold sign-in at load 6; gc.collect() after warm() measured 0.27 s, after freeze 0).
    gc.collect()
    gc.freeze()

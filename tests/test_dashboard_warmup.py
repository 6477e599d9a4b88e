"""The dashboard server warms up before it answers (dashboard/warmup.py): what the frame and the
pages import is imported, and the login cookie's component is served before any session ran."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dashboard_server import dashboard_env, serve_dashboard

from dashboard import warmup
from dashboard.navigation import PAGES_DIR
from warehouse import migrate
from warehouse.engine import make_engine
from warehouse.tenants import create_tenant

COOKIE_COMPONENT = "extra_streamlit_components.CookieManager.cookie_manager"


def test_script_imports_reads_what_a_page_imports(tmp_path: Path) -> None:
    script = tmp_path / "page.py"
    script.write_text(
        "from __future__ import annotations\n"
        "import json, os.path\n"
        "from dashboard import formatting, page_data\n"
        "from .relative import nothing\n"
        "def later():\n    import altair\n"
    )
    assert list(warmup.script_imports(script)) == [
        ("json", ()),
        ("os.path", ()),
        ("dashboard", ("formatting", "page_data")),
    ]


def test_warm_imports_every_module_the_frame_and_pages_import() -> None:
    """Afterwards each of their import statements finds everything already imported."""
    wanted = [("pandas", ()), ("pyarrow", ()), ("altair", ())] + [
        imported
        for script in [warmup.FRAME, *sorted(PAGES_DIR.glob("*.py"))]
        for imported in warmup.script_imports(script)
    ]
    code = (
        "import sys; from dashboard.warmup import warm; warm(); "
        f"print([(m, n) for m, ns in {wanted!r} for n in ns or [None] "
        "if m not in sys.modules or (n and not hasattr(sys.modules[m], n))])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stderr[-2000:]
    assert "cannot import" not in done.stderr


@pytest.mark.slow
def test_the_login_cookie_component_is_served_before_any_session(tmp_path: Path) -> None:
    """Streamlit registers a component only when a run declares it; the warm-up imports its
    module outside any run, so it registers it itself (else signing in would never finish)."""
    home = tmp_path / "home"
    home.mkdir()
    db_url = f"sqlite:///{home / 'warehouse.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    create_tenant(engine, "default", "Acme")
    engine.dispose()
    with serve_dashboard(home, dashboard_env(home, db_url)) as base:
        answer = httpx.get(f"{base}/component/{COOKIE_COMPONENT}/index.html", timeout=10)
    assert answer.status_code == 200
    assert "<html" in answer.text.lower()


def test_warm_database_opens_the_warehouse_and_never_raises(tmp_path: Path, monkeypatch) -> None:
    """The server's first sign-in page finds the engine made and a connection open; a missing
    tenant is left for the page to report."""
    from dashboard.app_context import engine_for

    db_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    create_tenant(engine, "default", "Acme")
    engine.dispose()
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path))
    monkeypatch.setenv("AISPEND_DATABASE_URL", db_url)
    monkeypatch.setenv("AISPEND_TENANT", "no-such-tenant")
    warmup.warm_database()  # logs, does not raise

    monkeypatch.setenv("AISPEND_TENANT", "default")
    engine_for.clear()
    warmup.warm_database()
    assert engine_for(db_url).pool.checkedin() == 1
    engine_for.clear()

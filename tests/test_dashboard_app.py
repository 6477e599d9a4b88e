"""The Streamlit dashboard driven through AppTest, on SQLite and PostgreSQL.

Users and the tenant are created through the warehouse services; the month's spend sits in the
`team_monthly_spend` mart (created here the way the pipeline shapes it). AppTest cannot seed
cookies: cookie re-login is covered by the browser test.
"""

from __future__ import annotations

import pytest
from dashboard_apptest import ADMIN, ADMIN_PAGES, DASHBOARD, PAGES, VIEWER
from dashboard_apptest import app as _app
from dashboard_apptest import errors as _errors
from dashboard_apptest import login as _login
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from test_dashboard_queries import seed_mart

from dashboard.formatting import current_month
from warehouse.actors import Actor


def test_good_login_shows_the_months_total(dashboard_env, engine: Engine) -> None:
    month = current_month()
    seed_mart(
        engine,
        [
            (dashboard_env.id, month, "anthropic", "anthropic", 1_000_000_000, 12_340_000),
            (dashboard_env.id, month, "anthropic", "manual", 234_560_000, 0),
            (dashboard_env.id, month, "cursor", "cursor", 20_000_000, 0),
            (dashboard_env.id, "2001-01", "cursor", "cursor", 5_000_000, 0),
        ],
    )
    at = _login(_app(), *VIEWER[:2])
    assert _errors(at) == []
    metrics = {m.label: m.value for m in at.metric}
    # At a glance without cents; the exact figure is in the tooltip and the table below.
    assert any(v == "$1,255" for k, v in metrics.items() if k.startswith("Billed spend")), metrics
    assert metrics["Estimated usage (not billed)"] == "$12.34"
    table = at.dataframe[0].value
    assert table.to_dict("records") == [
        {"provider": "anthropic", "billed": "$1,234.56", "estimated": "$12.34"},
        {"provider": "cursor", "billed": "$20.00", "estimated": "$0.00"},
    ]
    # The month picker reaches older months.
    picker = next(s for s in at.selectbox if s.label == "Month")
    picker.select("2001-01").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Billed spend, January 2001"] == "$5"


@pytest.mark.parametrize(
    ("email", "password"),
    [(VIEWER[0], "wrong-password"), ("nobody@example.com", VIEWER[1])],
    ids=["wrong-password", "unknown-email"],
)
def test_bad_login_says_only_invalid_email_or_password(dashboard_env, email, password) -> None:
    at = _login(_app(), email, password)
    assert _errors(at) == ["Invalid email or password"]
    assert at.session_state["authentication_status"] is False
    assert not at.metric
    assert [t.label for t in at.text_input] == ["Email", "Password"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_a_viewer_opening_an_admin_page_gets_admins_only(dashboard_env, page) -> None:
    at = _login(_app(), *VIEWER[:2])
    assert at.session_state["authentication_status"] is True
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert _errors(at) == ["This page is for admins only."]
    assert not at.dataframe
    assert [b.label for b in at.button if b.key != "aispend_logout"] == []


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_refuse_a_viewer_even_when_run_directly(dashboard_env, page) -> None:
    at = AppTest.from_file(str(DASHBOARD / page), default_timeout=60)
    at.session_state["aispend_actor"] = Actor(VIEWER[0], "viewer")
    at.run()
    assert not at.exception, at.exception
    assert _errors(at) == ["This page is for admins only."]
    assert not at.dataframe


def test_a_session_claiming_admin_for_a_viewer_gets_nothing(dashboard_env) -> None:
    """Whatever the session holds, the role is read from the warehouse on every run."""
    at = _login(_app(), *VIEWER[:2])
    at.session_state["aispend_actor"] = Actor(VIEWER[0], "admin")
    at.switch_page("app_pages/admin_users.py").run()
    assert _errors(at) == ["This page is for admins only."]
    assert not at.dataframe


def test_empty_warehouse_shows_how_to_add_data(dashboard_env) -> None:
    at = _login(_app(), *ADMIN[:2])
    assert not at.exception
    assert any("No spend data yet" in i.value and "aispend sync" in i.value for i in at.info)


def test_logout_returns_to_the_login_form(dashboard_env) -> None:
    at = _login(_app(), *ADMIN[:2])
    next(b for b in at.sidebar.button if b.label == "Log out").click()
    at.run()
    assert at.session_state["authentication_status"] is None
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert _errors(at) == []


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_an_admin(dashboard_env, engine: Engine, page: str) -> None:
    seed_mart(engine, [(dashboard_env.id, current_month(), "cursor", "cursor", 1_000_000, 0)])
    at = _login(_app(), *ADMIN[:2])
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert _errors(at) == []
    assert at.title, f"{page} rendered no title"


def test_manual_entry_synced_by_the_pipeline_shows_on_the_overview(
    dashboard_env, engine: Engine
) -> None:
    """The whole slice: admin input → pipeline → mart → dashboard, to the cent."""
    import datetime as dt

    from pipelines.sync import run_sync
    from warehouse.manual_entries import create_entry
    from warehouse.settings import Settings

    month = current_month()
    first = dt.date.fromisoformat(f"{month}-01")
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    create_entry(
        engine,
        dashboard_env,
        Actor(ADMIN[0], "admin"),
        provider="GitHub",
        service="Copilot Business",
        amount="1234.57",
        period_start=first,
        period_end=last,
    )
    results = run_sync(Settings.from_env(), sources=["manual"], start=first, end=last)
    assert [(r.source, r.ok) for r in results] == [("manual", True)], results

    at = _login(_app(), *ADMIN[:2])
    assert _errors(at) == []
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"Billed spend, {first:%B %Y}"] == "$1,235"
    assert at.dataframe[0].value.to_dict("records") == [
        {"provider": "GitHub", "billed": "$1,234.57", "estimated": "$0.00"}
    ]


def test_missing_cookie_key_warns_and_still_logs_in(dashboard_env, monkeypatch) -> None:
    monkeypatch.delenv("AISPEND_COOKIE_KEY")
    at = _app()
    assert any("AISPEND_COOKIE_KEY is not set" in w.value for w in at.warning)
    at = _login(at, *VIEWER[:2])
    assert at.session_state["authentication_status"] is True
    assert _errors(at) == []


def test_unknown_tenant_is_explained_not_a_traceback(dashboard_env, monkeypatch) -> None:
    monkeypatch.setenv("AISPEND_TENANT", "no-such-team")
    at = _app()
    assert len(at.error) == 1
    assert "no-such-team" in at.error[0].value
    assert not at.text_input

"""Sessions and sign-in, tried as an attacker would (issue 11, items 1-6 and 18), on SQLite and
PostgreSQL.

The dashboard is driven through AppTest. AppTest cannot send cookies, so the cookie the browser
would send is handed to the app through `dashboard.auth.browser_cookies` (the one place the app
reads it); tokens are made with `dashboard.auth.encode_token`, the function the app signs its
own cookies with, or forged by hand with PyJWT.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path

import jwt
import pytest
import streamlit as st
from click.testing import CliRunner
from dashboard_apptest import ADMIN, VIEWER, shown
from dashboard_apptest import app as _app
from dashboard_apptest import errors as _errors
from dashboard_apptest import login as _login
from sqlalchemy import Engine
from test_warehouse_services import ADMIN_CALLS, ADMIN_READS, SIGNED_IN_READS, _table_counts

from dashboard import auth
from dashboard.progress_queries import member_progress
from pipelines.cli import main as cli
from pipelines.demo import DEMO_PASSWORD, login_hint
from pipelines.serve import commands
from warehouse import audit, badges, logins, users
from warehouse.actors import SYSTEM, Actor, PermissionDenied
from warehouse.settings import Settings
from warehouse.tenants import TenantRef, create_tenant, get_tenant
from warehouse.users import UserError, login_directory

COOKIE_KEY = "test-cookie-key-not-secret-0123456789"  # what dashboard_apptest.prepare sets
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


# --- helpers ---------------------------------------------------------------------------------


def _binding(tmp_path: Path, tenant: str = "default", key: str = COOKIE_KEY) -> auth.CookieBinding:
    """The binding the dashboard under test uses (same home, port and key as the app)."""
    port = int(st.get_option("server.port"))
    return auth.cookie_binding(tenant, tmp_path / "home", port, key, 7.0)


def _token_for(engine: Engine, tenant: TenantRef, email: str, binding: auth.CookieBinding) -> str:
    user = next(u for u in login_directory(engine, tenant) if u.email == email)
    return auth.encode_token(binding, user)


def _send_cookies(monkeypatch, cookies: dict[str, str]) -> None:
    monkeypatch.setattr(auth, "browser_cookies", lambda: cookies)


def _shows_login_form(at) -> bool:
    return [t.label for t in at.text_input] == ["Email", "Password"] and not at.metric


def _signed_in_as(at) -> Actor | None:
    try:
        return at.session_state["aispend_actor"]
    except KeyError:
        return None


def _events(engine: Engine, tenant: TenantRef, action: str) -> list[dict]:
    return audit.list_events(engine, tenant, SYSTEM, actions=[action])


# --- 1. a login cookie is bound to its tenant and its server ---------------------------------


def test_a_cookie_from_the_same_tenant_and_server_signs_in(
    dashboard_env, engine, tmp_path, monkeypatch
) -> None:
    """The positive control: the seam works, a genuine cookie logs the user in."""
    binding = _binding(tmp_path)
    _send_cookies(
        monkeypatch, {binding.cookie_name: _token_for(engine, dashboard_env, ADMIN[0], binding)}
    )
    at = _app()
    at.run()  # the cookie login reruns once
    assert not at.exception, at.exception
    assert _signed_in_as(at) == Actor(ADMIN[0], "admin", tenant="default")
    assert not _shows_login_form(at)


def test_a_cookie_from_another_tenant_is_refused(
    dashboard_env, engine, tmp_path, monkeypatch
) -> None:
    """Issue 11 item 1: vic is a viewer in 'default' and an admin in 'beta'. Signed in to
    'default', her cookie must not make her beta's admin on beta's dashboard (same home, same
    cookie key, same port: the browser sends it there)."""
    beta = create_tenant(engine, "beta", "Beta")
    users.create_user(
        engine, beta, SYSTEM, email=VIEWER[0], password="beta-admin-pass", role="admin"
    )
    token = _token_for(engine, dashboard_env, VIEWER[0], _binding(tmp_path))
    beta_binding = _binding(tmp_path, "beta")
    # Under its own name and renamed to beta's cookie name: refused both ways.
    _send_cookies(
        monkeypatch, {_binding(tmp_path).cookie_name: token, beta_binding.cookie_name: token}
    )
    monkeypatch.setenv("AISPEND_TENANT", "beta")
    at = _app()
    at.run()
    assert not at.exception, at.exception
    assert _signed_in_as(at) is None
    assert _shows_login_form(at)
    assert _binding(tmp_path).cookie_name != beta_binding.cookie_name


def test_a_cookie_of_the_old_unbound_format_is_refused(
    dashboard_env, tmp_path, monkeypatch
) -> None:
    """What the dashboard used to sign (username and expiry only) no longer logs anyone in."""
    old = jwt.encode(
        {"username": ADMIN[0], "exp_date": (dt.datetime.now() + dt.timedelta(days=1)).timestamp()},
        COOKIE_KEY,
        algorithm="HS256",
    )
    _send_cookies(monkeypatch, {"aispend_auth": old, _binding(tmp_path).cookie_name: old})
    at = _app()
    at.run()
    assert _signed_in_as(at) is None and _shows_login_form(at)


def test_a_cookie_from_another_server_is_refused(
    dashboard_env, engine, tmp_path, monkeypatch
) -> None:
    other_home = auth.cookie_binding(
        "default", tmp_path / "other-home", int(st.get_option("server.port")), COOKIE_KEY, 7.0
    )
    token = _token_for(engine, dashboard_env, ADMIN[0], other_home)
    _send_cookies(monkeypatch, {_binding(tmp_path).cookie_name: token})
    at = _app()
    at.run()
    assert _signed_in_as(at) is None and _shows_login_form(at)


# --- 2. sessions can be revoked ----------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_signs_in(
    dashboard_env, engine, tmp_path, monkeypatch
) -> None:
    binding = _binding(tmp_path)
    saved = _token_for(engine, dashboard_env, ADMIN[0], binding)  # copied before logging out
    at = _login(_app(), *ADMIN[:2])
    next(b for b in at.sidebar.button if b.label == "Log out").click()
    at.run()
    assert _shows_login_form(at)
    assert [e["target"] for e in _events(engine, dashboard_env, "user.end_sessions")] == [ADMIN[0]]

    _send_cookies(monkeypatch, {binding.cookie_name: saved})
    fresh = _app()
    fresh.run()
    assert not fresh.exception, fresh.exception
    assert _signed_in_as(fresh) is None and _shows_login_form(fresh)


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(
            lambda e, t: users.reset_password(e, t, SYSTEM, VIEWER[0], "a-new-password-2"),
            id="password-reset",
        ),
        pytest.param(
            lambda e, t: users.change_role(e, t, SYSTEM, VIEWER[0], "admin"), id="role-change"
        ),
        pytest.param(
            lambda e, t: users.end_sessions(e, t, SYSTEM, VIEWER[0]), id="logout-everywhere"
        ),
    ],
)
def test_revoking_ends_the_open_session_and_the_saved_cookie(
    dashboard_env, engine, tmp_path, monkeypatch, revoke
) -> None:
    binding = _binding(tmp_path)
    saved = _token_for(engine, dashboard_env, VIEWER[0], binding)
    at = _login(_app(), *VIEWER[:2])
    assert _signed_in_as(at) == Actor(VIEWER[0], "viewer", tenant="default")

    revoke(engine, dashboard_env)
    at.run()  # the open session is checked again on its very next run
    assert not at.exception, at.exception
    assert _signed_in_as(at) is None and _shows_login_form(at)

    _send_cookies(monkeypatch, {binding.cookie_name: saved})
    fresh = _app()
    fresh.run()
    assert _signed_in_as(fresh) is None and _shows_login_form(fresh)


def test_a_removed_and_recreated_user_is_not_signed_in_by_the_old_cookie(engine, tmp_path) -> None:
    tenant = create_tenant(engine, "acme")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="password-1", role="admin"
    )
    binding = _binding(tmp_path, "acme")
    token = _token_for(engine, tenant, "a@x.example", binding)
    assert auth.decode_token(binding, token, login_directory(engine, tenant)) is not None
    from sqlalchemy import delete

    from warehouse.models import User

    with engine.begin() as conn:
        conn.execute(delete(User).where(User.email == "a@x.example"))
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="password-2", role="admin"
    )
    assert auth.decode_token(binding, token, login_directory(engine, tenant)) is None


def test_session_expiry_is_configurable(tmp_path) -> None:
    env = {"AISPEND_HOME": str(tmp_path), "AISPEND_SESSION_DAYS": "0.5"}
    settings = Settings.from_env(env)
    assert settings.session_days == 0.5
    binding = auth.cookie_binding("acme", tmp_path, 8501, COOKIE_KEY, settings.session_days)
    user = users.LoginUser("a@x.example", "A", "hash", "admin", 1, 1)
    claims = jwt.decode(auth.encode_token(binding, user, now=T0), COOKIE_KEY, algorithms=["HS256"])
    assert claims["exp_date"] - T0.timestamp() == 12 * 3600
    assert Settings.from_env({"AISPEND_HOME": str(tmp_path)}).session_days == 7.0
    for bad in ("0", "-1", "soon", "1000"):
        with pytest.raises(ValueError, match="AISPEND_SESSION_DAYS"):
            Settings.from_env({**env, "AISPEND_SESSION_DAYS": bad})
    # An expired token is refused.
    expired = auth.encode_token(binding, user, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert auth.decode_token(binding, expired, [user]) is None


def test_an_open_session_ends_when_the_login_expires(dashboard_env) -> None:
    at = _login(_app(), *VIEWER[:2])
    session = at.session_state[auth.SESSION_KEY]
    assert session["exp"] - time.time() == pytest.approx(7 * 86400, abs=600)
    # The tab stays open past the expiry (the clock moved on).
    at.session_state[auth.SESSION_KEY] = {**session, "exp": time.time() - 1}
    at.run()
    assert not at.exception, at.exception
    assert _signed_in_as(at) is None and _shows_login_form(at)


def test_a_user_may_end_their_own_sessions_but_a_viewer_not_anothers(engine) -> None:
    tenant = create_tenant(engine, "acme")
    for email, role in (("ad@x.example", "admin"), ("vi@x.example", "viewer")):
        users.create_user(engine, tenant, SYSTEM, email=email, password="password-1", role=role)
    viewer = Actor("vi@x.example", "viewer", tenant="acme")
    users.end_sessions(engine, tenant, viewer, "vi@x.example")
    with pytest.raises(PermissionDenied, match="admin role"):
        users.end_sessions(engine, tenant, viewer, "ad@x.example")
    versions = {u.email: u.session_version for u in login_directory(engine, tenant)}
    assert versions == {"ad@x.example": 1, "vi@x.example": 2}


# --- 3. throttling, lockout and timing parity ------------------------------------------------


def test_thirty_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(engine) -> None:
    tenant = create_tenant(engine, "acme")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="right-password", role="admin"
    )
    outcomes = []
    for i in range(30):  # an hour apart: every backoff has passed, only the lockout remains
        try:
            result = logins.check_login(
                engine,
                tenant,
                "a@x.example",
                f"wrong-{i}",
                "10.0.0.1",
                now=T0 + dt.timedelta(hours=i),
            )
            outcomes.append("wrong" if result is None else "in")
        except logins.LoginThrottled as exc:
            outcomes.append("locked" if exc.locked else "wait")
    assert outcomes == ["wrong"] * logins.LOCK_AFTER + ["locked"] * (30 - logins.LOCK_AFTER)
    with pytest.raises(logins.LoginThrottled, match="locked") as refused:
        logins.check_login(engine, tenant, "a@x.example", "right-password", "10.0.0.2")
    assert refused.value.locked
    lockouts = _events(engine, tenant, "login.lockout")
    assert [(e["target"], e["detail"]["failures"]) for e in lockouts] == [("a@x.example", 10)]

    with pytest.raises(PermissionDenied):
        logins.unlock_account(engine, tenant, Actor("v@x.example", "viewer"), "a@x.example")
    assert logins.unlock_account(engine, tenant, SYSTEM, "a@x.example") is True
    assert [e["target"] for e in _events(engine, tenant, "login.unlock")] == ["a@x.example"]
    user = logins.check_login(engine, tenant, "a@x.example", "right-password", "10.0.0.1")
    assert user is not None and user.email == "a@x.example"
    assert logins.throttle_state(engine, tenant, "a@x.example").failures == 0


def test_an_admin_unlocks_an_account_on_the_users_page(dashboard_env, engine) -> None:
    for i in range(logins.LOCK_AFTER):
        logins.check_login(
            engine, dashboard_env, VIEWER[0], "wrong", "c", now=T0 + dt.timedelta(hours=i)
        )
    at = _login(_app(), *ADMIN[:2])
    at.switch_page("app_pages/admin_users.py").run()
    assert not at.exception, at.exception
    held = at.dataframe[1].value
    assert held[["email", "failures", "locked"]].to_dict("records") == [
        {"email": VIEWER[0], "failures": logins.LOCK_AFTER, "locked": True}
    ]
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert not at.exception, at.exception
    assert [shown(s.value) for s in at.success] == [f"{VIEWER[0]} can sign in again."]
    assert not logins.throttle_state(engine, dashboard_env, VIEWER[0]).locked
    [event] = _events(engine, dashboard_env, "login.unlock")
    assert (event["actor"], event["target"]) == (ADMIN[0], VIEWER[0])


def test_failures_back_off_before_the_lockout(engine) -> None:
    tenant = create_tenant(engine, "acme")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="right-password", role="admin"
    )
    for _ in range(logins.BACKOFF_AFTER):
        assert logins.check_login(engine, tenant, "a@x.example", "nope", "c", now=T0) is None
    # Right away, even the right password waits (the password is not even checked).
    with pytest.raises(logins.LoginThrottled, match="Try again in") as waiting:
        logins.check_login(engine, tenant, "a@x.example", "right-password", "c", now=T0)
    assert not waiting.value.locked
    later = T0 + dt.timedelta(seconds=logins.BACKOFF_FIRST_S + 1)
    assert logins.check_login(engine, tenant, "a@x.example", "right-password", "c", now=later)


def test_unknown_emails_are_counted_and_one_client_is_slowed_down(engine) -> None:
    tenant = create_tenant(engine, "acme")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="right-password", role="admin"
    )
    for i in range(logins.CLIENT_BACKOFF_AFTER):  # spraying many accounts from one client
        assert (
            logins.check_login(engine, tenant, f"u{i}@x.example", "guess", "6.6.6.6", now=T0)
            is None
        )
    with pytest.raises(logins.LoginThrottled, match="Try again in"):
        logins.check_login(engine, tenant, "a@x.example", "right-password", "6.6.6.6", now=T0)
    # Another client is not held back, and the spray is in the audit log.
    assert logins.check_login(engine, tenant, "a@x.example", "right-password", "10.0.0.1", now=T0)
    assert [e["target"] for e in _events(engine, tenant, "login.client_throttled")] == ["6.6.6.6"]
    assert logins.throttle_state(engine, tenant, "u0@x.example").failures == 1


def test_unknown_and_known_emails_take_as_long(engine) -> None:
    """A ratio of medians, never a wall time: unknown emails are checked against a dummy hash."""
    tenant = create_tenant(engine, "acme")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="right-password", role="admin"
    )
    logins.check_login(engine, tenant, "warm@x.example", "x", "w", now=T0)  # dummy hash made once
    known, unknown = [], []
    for i in range(logins.BACKOFF_AFTER - 1):
        at = T0 + dt.timedelta(hours=i + 1)
        started = time.perf_counter()
        logins.check_login(engine, tenant, "a@x.example", "wrong", f"k{i}", now=at)
        known.append(time.perf_counter() - started)
        started = time.perf_counter()
        logins.check_login(engine, tenant, f"nobody{i}@x.example", "wrong", f"u{i}", now=at)
        unknown.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, unknown)


def test_the_login_form_backs_off_after_repeated_failures(dashboard_env) -> None:
    at = _app()
    for _ in range(logins.BACKOFF_AFTER):
        at = _login(at, VIEWER[0], "wrong-password")
        assert _errors(at) == [auth.INVALID_LOGIN]
    at = _login(at, *VIEWER[:2])  # the right password, too soon
    assert not at.exception, at.exception
    assert _signed_in_as(at) is None
    assert len(_errors(at)) == 1 and _errors(at)[0].startswith("Too many failed sign-ins")
    assert _shows_login_form(at)


def test_aispend_user_unlock(engine, warehouse_url, tmp_path, monkeypatch) -> None:
    tenant = create_tenant(engine, "default")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="right-password", role="admin"
    )
    for i in range(logins.LOCK_AFTER):
        logins.check_login(
            engine, tenant, "a@x.example", "wrong", "c", now=T0 + dt.timedelta(hours=i)
        )
    assert logins.throttle_state(engine, tenant, "a@x.example").locked
    env = {
        "AISPEND_HOME": str(tmp_path),
        "AISPEND_DATABASE_URL": warehouse_url,
        "AISPEND_TENANT": "default",
    }
    result = CliRunner().invoke(cli, ["user", "unlock", "A@x.example"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == "unlocked a@x.example in tenant default\n"
    assert not logins.throttle_state(engine, tenant, "a@x.example").locked
    [event] = _events(engine, tenant, "login.unlock")
    assert event["actor"].startswith("cli:") and event["detail"]["locked"] is True


# --- 4. malformed cookies ----------------------------------------------------------------------


def _unsigned(claims: dict) -> str:
    return jwt.encode(claims, None, algorithm="none")


_FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda b, good: _unsigned(jwt.decode(good, options={"verify_signature": False})),
            id="alg-none",
        ),
        pytest.param(
            lambda b, good: jwt.encode(
                {
                    k: v
                    for k, v in jwt.decode(good, options={"verify_signature": False}).items()
                    if k != "exp_date"
                },
                b.key,
                algorithm="HS256",
            ),
            id="no-exp-date",
        ),
        pytest.param(
            lambda b, good: jwt.encode(
                {**jwt.decode(good, options={"verify_signature": False}), "exp_date": "tomorrow"},
                b.key,
                algorithm="HS256",
            ),
            id="exp-date-not-a-number",
        ),
        pytest.param(
            lambda b, good: jwt.encode(
                {**jwt.decode(good, options={"verify_signature": False}), "username": ["x"]},
                b.key,
                algorithm="HS256",
            ),
            id="username-not-a-string",
        ),
        pytest.param(
            lambda b, good: jwt.encode(
                {**jwt.decode(good, options={"verify_signature": False}), "exp_date": _FUTURE},
                "some-other-key-that-is-long-enough-for-hs256",
                algorithm="HS256",
            ),
            id="wrong-key",
        ),
        pytest.param(lambda b, good: "not.a.jwt", id="garbage"),
        pytest.param(lambda b, good: good[:-5], id="truncated"),
        pytest.param(lambda b, good: "", id="empty"),
        pytest.param(
            lambda b, good: jwt.api_jws.encode(b'["a", "list"]', b.key, algorithm="HS256"),
            id="payload-not-an-object",
        ),
    ],
)
def test_a_malformed_cookie_is_dropped_and_the_form_shown(
    dashboard_env, engine, tmp_path, monkeypatch, make_token
) -> None:
    binding = _binding(tmp_path)
    good = _token_for(engine, dashboard_env, ADMIN[0], binding)
    _send_cookies(monkeypatch, {binding.cookie_name: make_token(binding, good)})
    at = _app()
    at.run()
    assert not at.exception, at.exception
    assert _signed_in_as(at) is None
    assert _shows_login_form(at)
    assert _errors(at) == []
    # And signing in with the form still works.
    at = _login(at, *ADMIN[:2])
    assert _signed_in_as(at) == Actor(ADMIN[0], "admin", tenant="default")


# --- 5. one password rule; the demo keeps a chosen password to itself ------------------------


@pytest.mark.parametrize("password", [" leading-space", "trailing-space ", "\ttabbed-password"])
def test_passwords_with_edge_spaces_are_refused_on_every_path(
    engine, warehouse_url, tmp_path, password
) -> None:
    tenant = create_tenant(engine, "default")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="right-password", role="admin"
    )
    with pytest.raises(UserError, match="start or end with a space"):
        users.create_user(
            engine, tenant, SYSTEM, email="b@x.example", password=password, role="viewer"
        )
    with pytest.raises(UserError, match="start or end with a space"):
        users.reset_password(engine, tenant, SYSTEM, "a@x.example", password)
    env = {
        "AISPEND_HOME": str(tmp_path),
        "AISPEND_DATABASE_URL": warehouse_url,
        "AISPEND_TENANT": "default",
    }
    result = CliRunner().invoke(
        cli,
        ["user", "add", "c@x.example", "--role", "viewer", "--password-stdin"],
        input=password + "\n",
        env=env,
    )
    assert result.exit_code == 1
    assert "a password cannot start or end with a space" in result.output
    assert not users.user_exists(engine, tenant, "c@x.example")


def test_the_admin_page_refuses_a_password_with_edge_spaces(dashboard_env, engine) -> None:
    at = _login(_app(), *ADMIN[:2])
    at.switch_page("app_pages/admin_users.py").run()
    [email, _name, password] = [t for t in at.text_input if t.form_id == "user_create"]
    email.input("new@example.com")
    password.input("a-long-password ")
    next(b for b in at.button if b.form_id == "user_create").click().run()
    assert not at.exception, at.exception
    assert any("a password cannot start or end with a space" in e for e in _errors(at))
    assert not users.user_exists(engine, dashboard_env, "new@example.com")


def test_inner_spaces_are_kept_and_sign_in(engine) -> None:
    tenant = create_tenant(engine, "acme")
    users.create_user(
        engine, tenant, SYSTEM, email="a@x.example", password="correct horse battery", role="admin"
    )
    assert logins.check_login(engine, tenant, "a@x.example", "correct horse battery", "c")
    assert logins.check_login(engine, tenant, "a@x.example", "correcthorsebattery", "c") is None


def test_the_demo_prints_only_a_password_it_made_up() -> None:
    chosen = "my-own-secret-password"
    assert chosen not in login_hint(chosen)
    assert "AISPEND_ADMIN_PASSWORD" in login_hint(chosen)
    assert repr(DEMO_PASSWORD) in login_hint(None)


# --- 6. Dagster's UI stays on the loopback interface ------------------------------------------


def test_the_dagster_ui_listens_on_loopback_only(tmp_path) -> None:
    argv = commands(Settings.from_env({"AISPEND_HOME": str(tmp_path)}))["dagster"]
    assert argv[argv.index("-h") + 1] == "127.0.0.1"
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    security = readme.split("## Security", 1)[1].split("\n## ", 1)[0]
    assert "127.0.0.1" in security and "reverse proxy" in security


# --- 18. services refuse an actor of another tenant -------------------------------------------

ALL_CALLS = {**ADMIN_CALLS, **ADMIN_READS, **SIGNED_IN_READS}


@pytest.mark.parametrize("name", sorted(ALL_CALLS))
def test_services_refuse_an_admin_of_another_tenant(engine, name) -> None:
    acme, globex = create_tenant(engine, "acme"), create_tenant(engine, "globex")
    users.create_user(
        engine, acme, SYSTEM, email="admin@a.example", password="password-a", role="admin"
    )
    before = _table_counts(engine)
    intruder = Actor("admin@a.example", "admin", tenant=globex.slug)  # globex's admin, same email
    with pytest.raises(PermissionDenied, match="belongs to tenant 'globex'"):
        ALL_CALLS[name](engine, acme, intruder)
    assert _table_counts(engine) == before  # nothing written, not even an audit event


@pytest.mark.parametrize("name", sorted(SIGNED_IN_READS))
def test_services_serve_an_actor_of_their_own_tenant(engine, name) -> None:
    acme = create_tenant(engine, "acme")
    ALL_CALLS[name](engine, acme, Actor("v@a.example", "viewer", tenant="acme"))


def test_tenant_bound_calls_beyond_the_tables(engine) -> None:
    acme = create_tenant(engine, "acme")
    users.create_user(
        engine, acme, SYSTEM, email="a@x.example", password="password-a", role="admin"
    )
    intruder = Actor("a@x.example", "admin", tenant="globex")
    for call in (
        lambda: users.end_sessions(engine, acme, intruder, "a@x.example"),
        lambda: logins.unlock_account(engine, acme, intruder, "a@x.example"),
        lambda: badges.awards(engine, acme, intruder),
        lambda: member_progress(engine, acme, intruder, 1, "2026-11"),
    ):
        with pytest.raises(PermissionDenied, match="belongs to tenant"):
            call()
    assert get_tenant(engine, "acme") == acme


# --- 1, in a real browser: two tenants' dashboards in one home --------------------------------


@pytest.mark.browser
def test_in_a_browser_a_cookie_from_one_tenants_dashboard_does_not_open_anothers(tmp_path) -> None:
    """Vic is a viewer in 'default' and an admin in 'beta'; both dashboards run from one home
    with one cookie key on two ports of 127.0.0.1, so the browser sends default's cookie to beta.
    Signed in to default, opening beta shows beta's login form, even with the cookie copied
    under beta's cookie name."""
    from dashboard_server import COOKIE_KEY, WAIT_MS, chromium, log_in, serve_dashboard
    from playwright.sync_api import expect

    from warehouse import migrate
    from warehouse.engine import make_engine

    home = tmp_path / "home"
    home.mkdir()
    db_url = f"sqlite:///{home / 'warehouse.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    default, beta = create_tenant(engine, "default", "Acme"), create_tenant(engine, "beta", "Beta")
    users.create_user(engine, default, SYSTEM, email=VIEWER[0], password=VIEWER[1], role="viewer")
    users.create_user(
        engine, beta, SYSTEM, email=VIEWER[0], password="beta-admin-pass-2", role="admin"
    )
    engine.dispose()
    env = {
        "AISPEND_HOME": str(home),
        "AISPEND_DATABASE_URL": db_url,
        "AISPEND_COOKIE_KEY": COOKIE_KEY,
    }
    with (
        serve_dashboard(home, {**env, "AISPEND_TENANT": "default"}) as default_url,
        serve_dashboard(home, {**env, "AISPEND_TENANT": "beta"}) as beta_url,
        chromium() as browser,
    ):
        context = browser.new_context()
        page = context.new_page()
        log_in(page, default_url, VIEWER[0], VIEWER[1])
        expect(page.get_by_text(f"{VIEWER[0]} · viewer · tenant Acme")).to_be_visible(
            timeout=WAIT_MS
        )
        page.wait_for_timeout(500)  # the cookie component stores the cookie, then reruns
        [cookie] = [c for c in context.cookies() if c["name"].startswith("aispend_auth_")]
        assert cookie["name"] == f"aispend_auth_default_{default_url.rsplit(':', 1)[1]}"
        beta_port = beta_url.rsplit(":", 1)[1]
        context.add_cookies(
            [{"name": f"aispend_auth_beta_{beta_port}", "value": cookie["value"], "url": beta_url}]
        )

        beta_page = context.new_page()
        beta_page.goto(beta_url, wait_until="domcontentloaded")
        expect(beta_page.get_by_role("textbox", name="Password")).to_be_visible(timeout=WAIT_MS)
        beta_page.wait_for_timeout(2000)  # time for a cookie login to happen, if it would
        expect(beta_page.get_by_role("textbox", name="Password")).to_be_visible()
        expect(beta_page.get_by_text("tenant Beta")).to_have_count(0)
        expect(beta_page.get_by_text("Traceback")).to_have_count(0)

        # The positive control: default's own dashboard still takes its cookie.
        page.reload(wait_until="domcontentloaded")
        expect(page.get_by_text(f"{VIEWER[0]} · viewer · tenant Acme")).to_be_visible(
            timeout=WAIT_MS
        )
        expect(page.get_by_role("textbox", name="Password")).to_have_count(0)
        context.close()

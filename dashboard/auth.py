"""Login for the dashboard: streamlit-authenticator's login and cookie, bound to the warehouse.

Username is the user's email. The authenticator gets a fresh credentials dict on every run
(it mutates what it is given), built from `warehouse.users.login_directory`, so a user removed
or re-roled in the warehouse is seen on the next run. Whatever went wrong at login, the user
sees only INVALID_LOGIN: never which of email or password was wrong.

Four things streamlit-authenticator does not do are plugged into it here:

- The form signs in from its submit button's callback (``login_form``), before the run that
  follows, so that run draws the page asked for straight away. Its ``login()`` checks the form
  within the run the click starts, and the page could only follow a run later, once its cookie
  component had loaded a frame, stored the cookie and answered with a rerun (0.3-0.5 s of a
  cold sign-in, measured on the issue 8 benchmark). The check is still its authentication
  controller's; the cookie is still the one its cookie model reads, signed by ``encode_token``,
  and a script drawn with the page stores it (``store_cookie``).
- The password check is `warehouse.logins.check_login` (throttled per account and per client,
  lockout audited, unknown emails as slow as known ones).
- The login cookie is bound: it is named per tenant and port (browsers share cookies across
  ports), and its signed token carries the tenant, a server id (the home folder and port), the
  user's id, session version and a keyed stamp of their password hash, and an expiry. A token for another tenant or server, an older
  session version, or anything malformed (``alg: none``, no expiry, garbage) is dropped and the
  login form shown.
- Every run re-checks the session against the warehouse (`session_actor`): a bumped session
  version (logout, password reset, role change) or a removed user ends the session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import Engine
from streamlit_authenticator.models import cookie_model as _cookie_model
from streamlit_authenticator.utilities import LoginError

from warehouse import logins
from warehouse.actors import Actor
from warehouse.tenants import TenantRef
from warehouse.users import LoginUser

COOKIE_PREFIX = "aispend_auth"
INVALID_LOGIN = "Invalid email or password"
SESSION_KEY = "aispend_session"  # {"uid", "sv", "exp"} of the signed-in user, checked every run
TOKEN_ALGORITHM = "HS256"
# streamlit-authenticator sleeps this long in ``login()``, for its cookie component to answer.
# Ours reads the cookie from the request's headers (``browser_cookies``), already there on a
# session's first run, so there is nothing to wait for (it cost 0.7 s on the sign-in page).
LOGIN_SLEEP_TIME_S = 0.0
FORM_TITLE, EMAIL_LABEL, PASSWORD_LABEL, SUBMIT_LABEL = (
    "Sign in to aispend",
    "Email",
    "Password",
    "Sign in",
)
LOGIN_FORM_KEY = "aispend_login"
EMAIL_KEY, PASSWORD_KEY = "aispend_login_email", "aispend_login_password"
THROTTLED_KEY = "aispend_login_throttled"  # the "too many failed sign-ins" message, shown once
COOKIE_PENDING_KEY = "aispend_cookie_pending"  # signed in with the form: a cookie to make
COOKIE_SCRIPT_KEY = "aispend_cookie_script"  # the script storing it, drawn on every run


class LoginThrottledError(LoginError):
    """Too many failed sign-ins: the message says so (it reveals nothing about the account)."""


_stx_cookies = importlib.import_module("extra_streamlit_components.CookieManager")


class _Cookies(dict):
    def __delitem__(self, key: str) -> None:  # deleting a cookie this run never read is fine
        self.pop(key, None)


class QuietCookieManager(_stx_cookies.CookieManager):
    """The authenticator's cookie manager without its "getAll" component.

    That component only reads the browser's cookies, which the dashboard takes from the request
    instead (``browser_cookies``). Rendered on every run, it loaded an iframe into every new page
    and answered with a rerun that restarted the page's first run: a page's charts appeared only
    after that second run (measured: 0.5-0.8 s later). Deleting the login cookie still renders
    its own component, when it is called (setting it is ``store_cookie``'s)."""

    def __init__(self, key: str = "init") -> None:  # noqa: ARG002  (the library's signature)
        self.cookie_manager = _stx_cookies._component_func
        self.cookies = _Cookies()


# streamlit-authenticator's CookieModel makes its manager as ``stx.CookieManager()``.
_cookie_model.stx = SimpleNamespace(CookieManager=QuietCookieManager)


@dataclass(frozen=True)
class CookieBinding:
    """What a login cookie is bound to, and how it is signed."""

    tenant: str
    server: str
    cookie_name: str
    key: str
    days: float


def server_id(home: Path, port: int) -> str:
    """Tells dashboards apart: one per home folder and port."""
    return hashlib.sha256(f"{Path(home).resolve()}|{port}".encode()).hexdigest()[:16]


def cookie_binding(tenant: str, home: Path, port: int, key: str, days: float) -> CookieBinding:
    return CookieBinding(
        tenant=tenant,
        server=server_id(home, port),
        cookie_name=f"{COOKIE_PREFIX}_{tenant}_{port}",
        key=key,
        days=days,
    )


def browser_cookies() -> Mapping[str, str]:
    """The cookies the browser sent (a seam: AppTest cannot send cookies, tests replace this)."""
    return st.context.cookies


def client_address() -> str | None:
    """Where the sign-in comes from, for per-client throttling (None when unknown)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def credentials_for(users: Iterable[LoginUser]) -> dict[str, Any]:
    """The credentials dict streamlit-authenticator expects, keyed by lower-cased email."""
    return {
        "usernames": {
            u.email.strip().lower(): {
                "email": u.email,
                "name": u.name,
                "password": u.password_hash,
                "roles": [u.role],
            }
            for u in users
        }
    }


def _find(users: Iterable[LoginUser], username: str | None) -> LoginUser | None:
    if not isinstance(username, str) or not username:
        return None
    wanted = username.strip().lower()
    return next((u for u in users if u.email.strip().lower() == wanted), None)


def encode_token(binding: CookieBinding, user: LoginUser, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    claims = {
        "username": user.email.strip().lower(),
        "tenant": binding.tenant,
        "server": binding.server,
        "uid": user.id,
        "sv": user.session_version,
        "pw": _password_stamp(binding, user),
        "iat": int(now.timestamp()),
        "exp_date": (now + dt.timedelta(days=binding.days)).timestamp(),
    }
    return jwt.encode(claims, binding.key, algorithm=TOKEN_ALGORITHM)


def decode_token(
    binding: CookieBinding, token: object, users: Iterable[LoginUser]
) -> dict[str, Any] | None:
    """The token's claims if it is a valid, unexpired, current login of this tenant and server
    for a user that still exists; None for anything else (never raises)."""
    if not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(token, binding.key, algorithms=[TOKEN_ALGORITHM])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    exp = claims.get("exp_date")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    if exp <= dt.datetime.now(dt.UTC).timestamp():
        return None
    if claims.get("tenant") != binding.tenant or claims.get("server") != binding.server:
        return None
    user = _find(users, claims.get("username"))
    if user is None or claims.get("uid") != user.id or claims.get("sv") != user.session_version:
        return None
    if claims.get("pw") != _password_stamp(binding, user):
        return None  # a removed and re-created user (SQLite may reuse the id) or a new password
    return claims


def _password_stamp(binding: CookieBinding, user: LoginUser) -> str:
    """Ties a token to the user's current password hash without revealing anything about it."""
    return hmac.new(binding.key.encode(), user.password_hash.encode(), "sha256").hexdigest()[:16]


def session_actor(
    users: Iterable[LoginUser], username: str | None, session: object, tenant: str
) -> Actor | None:
    """The signed-in user as an Actor bound to ``tenant`` (role from the warehouse), or None if
    the user is gone or their sessions were ended since this one began."""
    user = _find(users, username)
    if user is None or not isinstance(session, dict):
        return None
    if session.get("uid") != user.id or session.get("sv") != user.session_version:
        return None
    exp = session.get("exp")
    if not isinstance(exp, int | float) or exp <= dt.datetime.now(dt.UTC).timestamp():
        return None  # an open tab does not outlive the login's expiry either
    return Actor(email=user.email, role=user.role, tenant=tenant)


def _remember(user: LoginUser, exp: float) -> None:
    st.session_state[SESSION_KEY] = {"uid": user.id, "sv": user.session_version, "exp": exp}


def build_authenticator(
    users: list[LoginUser],
    binding: CookieBinding,
    engine: Engine,
    tenant: TenantRef,
) -> stauth.Authenticate:
    """An Authenticate over a fresh copy of the warehouse users (bcrypt hashes, never re-hashed),
    with the warehouse's throttled password check and the bound cookie plugged in."""
    authenticator = stauth.Authenticate(
        credentials_for(users),
        cookie_name=binding.cookie_name,
        cookie_key=binding.key,
        cookie_expiry_days=binding.days,
        auto_hash=False,
        login_sleep_time=LOGIN_SLEEP_TIME_S,
    )

    def check_credentials(username: str, password: str) -> bool:
        try:
            user = logins.check_login(engine, tenant, username, password, client_address())
        except logins.LoginThrottled as exc:
            raise LoginThrottledError(str(exc)) from None
        if user is None:
            return False
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=binding.days)
        _remember(user, expires.timestamp())
        return True

    cookie_model = authenticator.cookie_controller.cookie_model

    def get_cookie() -> dict[str, Any] | None:
        if st.session_state.get("logout"):
            return None
        raw = browser_cookies().get(binding.cookie_name)
        if raw is None:
            return None
        claims = decode_token(binding, raw, users)
        if claims is None:
            _drop_cookie(cookie_model, binding.cookie_name)
            return None
        _remember(_find(users, claims["username"]), claims["exp_date"])
        return claims

    def token_encode() -> str:
        user = _find(users, st.session_state.get("username"))
        if user is None:  # cannot happen right after a successful login
            raise LoginError("the user disappeared while signing in")
        return encode_token(binding, user)

    authenticator.authentication_controller.authentication_model.check_credentials = (
        check_credentials
    )
    cookie_model.get_cookie = get_cookie
    cookie_model._token_encode = token_encode
    return authenticator


def cookie_login(authenticator: stauth.Authenticate) -> bool:
    """Sign in from a valid login cookie within this run; True when signed in (by the cookie,
    or already: by the form's callback or an earlier run).

    streamlit-authenticator's own ``login()`` sleeps ``login_sleep_time`` first and the frame
    then reruns the app: both only cost time here, since the cookie is read from the request's
    headers (``browser_cookies``), already there on a session's first run. Checked exactly as
    ``login()`` checks it (``get_cookie`` above: tenant, server, user, session version)."""
    if st.session_state.get("authentication_status"):
        return True
    token = authenticator.cookie_controller.get_cookie()
    if token:
        authenticator.authentication_controller.login(token=token)
    return bool(st.session_state.get("authentication_status"))


def login_form(authenticator: stauth.Authenticate) -> None:
    """The sign-in form (the fields of streamlit-authenticator's, without autocomplete). Its
    submit button signs in from its callback, before the next run: see the module's docstring."""
    with st.form(LOGIN_FORM_KEY):
        st.subheader(FORM_TITLE)
        st.text_input(EMAIL_LABEL, key=EMAIL_KEY, autocomplete="off")
        st.text_input(PASSWORD_LABEL, type="password", key=PASSWORD_KEY, autocomplete="off")
        st.form_submit_button(SUBMIT_LABEL, on_click=_submit, args=(authenticator,))


def _submit(authenticator: stauth.Authenticate) -> None:
    """Sign in with what the form holds, through streamlit-authenticator's controller (which
    calls the throttled warehouse check plugged in by ``build_authenticator``)."""
    email = st.session_state.get(EMAIL_KEY) or ""
    password = st.session_state.get(PASSWORD_KEY) or ""
    try:
        signed_in = authenticator.authentication_controller.login(email, password)
    except LoginThrottledError as exc:
        st.session_state["authentication_status"] = None
        st.session_state[THROTTLED_KEY] = str(exc)
        return
    except LoginError:  # say nothing specific about what went wrong
        st.session_state["authentication_status"] = False
        return
    if signed_in:
        st.session_state[COOKIE_PENDING_KEY] = True


def store_cookie(authenticator: stauth.Authenticate) -> None:
    """After a form login: have the browser store the login cookie, from a script drawn with the
    page (no component frame to load, no rerun when it is done). The same signed token, made
    once at login, is drawn on every run of the session, so a run cut short cannot lose it and
    an unchanged element is not run again."""
    if st.session_state.pop(COOKIE_PENDING_KEY, False):
        model = authenticator.cookie_controller.cookie_model
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=model.cookie_expiry_days)
        script = cookie_script(model.cookie_name, model._token_encode(), expires)
        st.session_state[COOKIE_SCRIPT_KEY] = script
    script = st.session_state.get(COOKIE_SCRIPT_KEY)
    if script:  # none when signed in by the cookie: the browser has it already
        st.html(script, unsafe_allow_javascript=True)


def cookie_script(name: str, token: str, expires: dt.datetime) -> str:
    """A script storing the login cookie for the whole site, sent only to this site (SameSite
    Strict, and Secure over https), until ``expires``; as streamlit-authenticator's cookie
    component stores it."""
    args = json.dumps([name, token, expires.timestamp() * 1000]).replace("<", "\\u003c")
    return (
        "<script>((n, v, t) => { document.cookie = n + '=' + encodeURIComponent(v)"
        " + '; expires=' + new Date(t).toUTCString() + '; path=/; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : ''); })(..." + args + ");</script>"
    )


def _drop_cookie(cookie_model: Any, name: str) -> None:
    """Ask the browser to forget a bad cookie (best effort: it is refused either way)."""
    if st.session_state.get("aispend_cookie_dropped") == name:
        return
    st.session_state["aispend_cookie_dropped"] = name
    with contextlib.suppress(KeyError):
        cookie_model.cookie_manager.delete(name, key="aispend_drop_cookie")

"""aispend dashboard: the router and frame over app_pages/.

Run it with `python -m streamlit run dashboard/streamlit_app.py` (see dashboard/run.py).
The frame resolves the environment once (app_context), logs the user in against the warehouse's
users and registers every page on every run (dashboard/navigation.py explains why); only the
pages the user's role may use are listed. Admin pages refuse a viewer themselves, and every
service they call checks the role again on the server.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard.app_context import AppContext, app_context, set_current_actor
from dashboard.browser_preload import preload_page_code
from dashboard.navigation import build_navigation
from dashboard.theme import apply_theme, theme_toggle
from warehouse.tenants import TenantNotFound
from warehouse.users import end_sessions, login_directory

LOGOUT_REQUEST_KEY = "aispend_logout_requested"

st.set_page_config(page_title="aispend", layout="wide")
apply_theme()  # reduced motion honoured everywhere; the cool theme when chosen


def _request_logout() -> None:
    st.session_state[LOGOUT_REQUEST_KEY] = True


def _load_context() -> AppContext:
    try:
        return app_context()
    except TenantNotFound as exc:
        st.title("aispend")
        st.error(f"The dashboard's tenant is not set up: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the run
    except ValueError as exc:  # a bad setting, e.g. AISPEND_SESSION_DAYS
        st.title("aispend")
        st.error(f"The dashboard is misconfigured: {exc}")
        st.stop()
        raise


def _login_view(ctx: AppContext, authenticator) -> None:
    """Logged-out page: the login form and, after a failed attempt, one generic message."""
    st.title("aispend")
    st.caption("Your team's monthly spend on AI tools, from the vendors' own numbers.")
    if ctx.cookie_key_is_ephemeral:
        st.warning(
            "AISPEND_COOKIE_KEY is not set: this server signs login cookies with a temporary key, "
            "so everyone is logged out when it restarts. Run `aispend init` or set the variable."
        )
    # Signing in happens in the form's callback, before a run: a successful one never gets here.
    auth.login_form(authenticator)
    preload_page_code()  # while the user types
    throttled = st.session_state.pop(auth.THROTTLED_KEY, None)
    if throttled:
        st.error(throttled)
    elif st.session_state.get("authentication_status") is False:
        st.error(auth.INVALID_LOGIN)
    st.stop()


ctx = _load_context()
directory = login_directory(ctx.engine, ctx.tenant)
binding = auth.cookie_binding(
    ctx.tenant.slug,
    ctx.settings.home,
    int(st.get_option("server.port")),
    ctx.cookie_key,
    ctx.settings.session_days,
)
authenticator = auth.build_authenticator(directory, binding, ctx.engine, ctx.tenant)

actor = None
if auth.cookie_login(authenticator):  # a returning browser: signed in on this very run
    actor = auth.session_actor(
        directory,
        st.session_state.get("username"),
        st.session_state.get(auth.SESSION_KEY),
        ctx.tenant.slug,
    )
    if actor is not None and st.session_state.pop(LOGOUT_REQUEST_KEY, False):
        # Logging out ends every session of the user: a copy of the cookie stops working too.
        end_sessions(ctx.engine, ctx.tenant, actor, actor.email)
        actor = None
    if actor is None:
        # Logged out on request, or the user was removed, re-roled or had their password reset
        # (or logged out elsewhere) since this session began.
        authenticator.logout(location="unrendered")
        st.session_state.pop(auth.SESSION_KEY, None)
        st.session_state.pop(auth.COOKIE_PENDING_KEY, None)
        st.session_state.pop(auth.COOKIE_SCRIPT_KEY, None)
# The role comes from the warehouse on every run, whatever the session held before.
set_current_actor(actor)

# Registered before the login form so a deep link survives logging in (see navigation.py);
# nothing is listed until someone is logged in.
navigation = st.navigation(build_navigation(actor), position="sidebar" if actor else "hidden")
if actor is None:
    st.session_state.pop(LOGOUT_REQUEST_KEY, None)
    _login_view(ctx, authenticator)

with st.sidebar:
    st.markdown(f"**{st.session_state.get('name') or actor.email}**")
    st.caption(f"{actor.email} · {actor.role} · tenant {ctx.tenant.name}")
    st.button(
        "Log out",
        key="aispend_logout",
        on_click=_request_logout,
        help="Ends every session of yours, on every device.",
    )
    theme_toggle()
    auth.store_cookie(authenticator)  # after a form login

navigation.run()

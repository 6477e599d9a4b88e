"""What every admin page shares: the admins-only gate, messages that survive a rerun, and
service calls whose refusals become one clear message instead of a traceback.

The gate is a courtesy: the services the pages call check the role again on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from dashboard.app_context import AppContext, app_context, current_actor
from warehouse.actors import Actor, PermissionDenied

ADMINS_ONLY = "This page is for admins only."
FLASH_KEY = "aispend_flash"
T = TypeVar("T")


def admin_page(title: str, intro: str | None = None) -> tuple[AppContext, Actor]:
    """Title the page, stop it for anyone but an admin, and show the last action's message."""
    ctx = app_context()
    actor = current_actor()
    st.title(title)
    if actor is None or not actor.is_admin:
        st.error(ADMINS_ONLY)
        st.stop()
    if intro:
        st.caption(intro)
    kind, message = st.session_state.pop(FLASH_KEY, (None, None))
    if message:
        getattr(st, kind)(message)
    return ctx, actor


def done(message: str, kind: str = "success") -> None:
    """Keep a message for the next run, and rerun so every table shows the change."""
    st.session_state[FLASH_KEY] = (kind, message)
    st.rerun()


def attempt(call: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[bool, T | None]:
    """Call a warehouse service; a refusal or a bad value is shown as one error line."""
    try:
        return True, call(*args, **kwargs)
    except PermissionDenied as exc:
        st.error(f"Not allowed: {exc}")
    except ValueError as exc:
        st.error(str(exc))
    return False, None

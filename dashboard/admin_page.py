"""What every admin page shares: the admins-only gate, messages that survive a rerun, and
service calls whose refusals become one clear message instead of a traceback.

The gate is a courtesy: the services the pages call check the role again on the server.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard.app_context import AppContext, app_context, current_actor
from dashboard.navigation import page_path
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
        with contextlib.suppress(StreamlitAPIException):  # run outside the router: no pages
            st.page_link(page_path("overview"), label="Go to the overview")
        st.stop()
    if intro:
        st.caption(intro)
    kind, message = st.session_state.pop(FLASH_KEY, (None, None))
    if message:
        getattr(st, kind)(message)
    return ctx, actor


MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~@:])")


def plain(text: str) -> str:
    """Text shown as typed: names, emails and errors are not markdown (no stray links or bold)."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def done(message: str, kind: str = "success") -> None:
    """Keep a message for the next run, and rerun so every table shows the change."""
    st.session_state[FLASH_KEY] = (kind, plain(message))
    st.rerun()


def attempt(call: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[bool, T | None]:
    """Call a warehouse service; a refusal or a bad value is shown as one error line."""
    try:
        return True, call(*args, **kwargs)
    except PermissionDenied as exc:
        st.error(plain(f"Not allowed: {exc}"))
    except ValueError as exc:
        st.error(plain(str(exc)))
    return False, None

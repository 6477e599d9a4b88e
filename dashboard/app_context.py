"""The one place the dashboard learns its environment: settings, the engine, the tenant, the actor.

`streamlit_app.py` (the frame) resolves these once per run; pages ask this module and never read
os.environ. The engine is a cached resource per database URL, disposed when the cache drops it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from warehouse.actors import Actor
from warehouse.engine import make_engine
from warehouse.settings import Settings
from warehouse.tenants import TenantRef, get_tenant

ACTOR_STATE_KEY = "aispend_actor"

# Used only when AISPEND_COOKIE_KEY is missing: logins then last until the process restarts.
_PROCESS_COOKIE_KEY = secrets.token_urlsafe(32)


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    engine: Engine
    tenant: TenantRef

    @property
    def cookie_key(self) -> str:
        return self.settings.cookie_key or _PROCESS_COOKIE_KEY

    @property
    def cookie_key_is_ephemeral(self) -> bool:
        return not self.settings.cookie_key


@st.cache_resource(on_release=lambda engine: engine.dispose(), max_entries=8)
def engine_for(database_url: str) -> Engine:
    """One pooled engine per warehouse URL for the whole server process."""
    return make_engine(database_url)


def app_context() -> AppContext:
    """Settings from the environment, the cached engine and the configured tenant.

    Raises warehouse.tenants.TenantNotFound when the tenant does not exist yet.
    """
    settings = Settings.from_env()
    engine = engine_for(settings.database_url)
    return AppContext(settings=settings, engine=engine, tenant=get_tenant(engine, settings.tenant))


def set_current_actor(actor: Actor | None) -> None:
    """Called by the frame after login; the role comes from the warehouse, not the browser."""
    if actor is None:
        st.session_state.pop(ACTOR_STATE_KEY, None)
    else:
        st.session_state[ACTOR_STATE_KEY] = actor


def current_actor() -> Actor | None:
    """The logged-in user as an Actor, or None when nobody is logged in."""
    actor = st.session_state.get(ACTOR_STATE_KEY)
    return actor if isinstance(actor, Actor) else None

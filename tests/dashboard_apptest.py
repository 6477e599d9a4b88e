"""Helpers for driving the dashboard through AppTest (the `dashboard_env` fixture is in
conftest.py): the two users, the page lists, logging in, reading errors."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import navigation
from warehouse.actors import SYSTEM
from warehouse.tenants import TenantRef, create_tenant
from warehouse.users import create_user

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
APP = str(DASHBOARD / "streamlit_app.py")
PAGES = [f"app_pages/{spec.script}" for spec in navigation.PAGES]
ADMIN_PAGES = [f"app_pages/{spec.script}" for spec in navigation.PAGES if spec.admin_only]
ADMIN = ("ada@example.com", "admin-password-1", "admin")
VIEWER = ("vic@example.com", "viewer-password-1", "viewer")


def prepare(warehouse_url: str, engine: Engine, tmp_path: Path, monkeypatch) -> TenantRef:
    """Tenant 'default' with one admin and one viewer; the app's environment pointed at it."""
    # Finalize earlier tests' garbage (unclosed SQLite connections) here on the main thread:
    # a finalizer running inside Streamlit's script thread mid-parse trips CPython 3.11.7's
    # shared AST recursion counter ("AST constructor recursion depth mismatch", gh-106905).
    gc.collect()
    monkeypatch.setenv("AISPEND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AISPEND_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("AISPEND_COOKIE_KEY", "test-cookie-key-not-secret-0123456789")
    monkeypatch.setenv("AISPEND_TENANT", "default")
    monkeypatch.delenv("AISPEND_SECRET_KEY", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    tenant = create_tenant(engine, "default", "Acme")
    for email, password, role in (ADMIN, VIEWER):
        create_user(
            engine,
            tenant,
            SYSTEM,
            email=email,
            name=email.split("@")[0].title(),
            password=password,
            role=role,
        )
    # Caches live in this process across AppTest runs; each test starts from a clean slate.
    st.cache_data.clear()
    st.cache_resource.clear()
    return tenant


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def login(at: AppTest, email: str, password: str) -> AppTest:
    next(t for t in at.text_input if t.label == "Email").input(email)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, at.exception
    if at.session_state["authentication_status"]:
        # The page is drawn on the run the click starts: no form, no message, no button.
        assert not at.success
        assert not [t for t in at.text_input if t.label == "Password"]
    return at


def shown(text: str) -> str:
    """A message as the browser shows it (the pages escape markdown in what they echo)."""
    return re.sub(r"\\(.)", r"\1", text)


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]

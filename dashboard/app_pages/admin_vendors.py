"""Admin → Vendors: one card per registered connector — its credentials (stored encrypted,
shown masked), a connection test, "Sync now" and backfills launched through Dagster, and how
its last sync went."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from connectors.contract import Connector
from connectors.registry import load_connectors
from dashboard import launch_panel
from dashboard.admin_page import admin_page, attempt, done, plain
from dashboard.admin_tables import ago, field_label
from dashboard.components import seat_plan_panel
from pipelines.launch import sync_now_range
from warehouse import credentials, dashboard_settings, sync_status

BASE_URL = "base_url"
FRESHNESS_BADGES = {
    "fresh": ("fresh", "green"),
    "stale": ("stale", "orange"),
    "old": ("old", "red"),
    "never": ("never synced", "gray"),
}

ctx, actor = admin_page(
    "Vendors",
    "Credentials are encrypted in the warehouse and never shown again in full. Syncs run "
    "through Dagster: watch them in the Dagster UI.",
)
keys = ctx.settings.secret_keys
statuses = sync_status.tenant_statuses(ctx.engine, ctx.tenant, actor)
prefs = dashboard_settings.get_dashboard_settings(ctx.engine, ctx.tenant, actor)


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def show_status(name: str) -> None:
    state = statuses.get(name)
    success = state.last_success_at if state else None
    word, colour = FRESHNESS_BADGES[
        sync_status.freshness(success, fresh_hours=prefs.fresh_hours, stale_hours=prefs.stale_hours)
    ]
    st.badge(word, color=colour)
    if state is None:
        st.caption("No sync yet.")
        return
    st.caption(
        f"Last success {ago(state.last_success_at)} ({state.rows:,} rows) · "
        f"last attempt {ago(state.last_attempt_at)}"
    )
    if state.last_error:
        st.error(plain(f"Last sync failed: {state.last_error}"))


def credentials_form(name: str, cls: type[Connector], stored: dict[str, str]) -> None:
    with st.form(f"vendor_{name}", clear_on_submit=True):
        values: dict[str, str] = {}
        for field in cls.credential_fields:
            shown = stored.get(field.name)
            values[field.name] = st.text_input(
                field_label(field.name),
                type="password" if field.secret else "default",
                placeholder=f"stored: {shown} — leave empty to keep" if shown else "not set",
                help=field.help or None,
                key=f"vendor_{name}_{field.name}",
            )
        values[BASE_URL] = st.text_input(
            "API base URL",
            placeholder=f"stored: {stored[BASE_URL]}"
            if stored.get(BASE_URL)
            else f"default: {cls.default_base_url or 'none'}",
            help="Only to reach a proxy, a test server or the simulator.",
            key=f"vendor_{name}_{BASE_URL}",
        )
        if st.form_submit_button("Save credentials"):
            given = {k: v.strip() for k, v in values.items() if v.strip()}
            missing = [
                f.name
                for f in cls.credential_fields
                if f.required and f.name not in given and f.name not in stored
            ]
            if missing:
                st.error(f"{cls.provider} needs {', '.join(missing)}.")
            elif not given:
                st.info("Nothing to save: every field was left empty.")
            else:
                secret = {f.name for f in cls.credential_fields if f.secret}
                ok, _ = attempt(
                    credentials.configure_source,
                    ctx.engine,
                    keys,
                    ctx.tenant,
                    actor,
                    name,
                    given,
                    secret,
                )
                if ok:
                    for field_name in values:  # no secret lingers in the session
                        st.session_state.pop(f"vendor_{name}_{field_name}", None)
                    done(f"Saved {cls.provider} credentials ({', '.join(sorted(given))}).")


def actions(name: str, cls: type[Connector], configured: bool) -> None:
    test_col, sync_col = st.columns(2)
    if cls.credential_fields and test_col.button(
        "Test connection", key=f"test_{name}", disabled=not configured
    ):
        ok, result = attempt(credentials.check_connection, ctx.engine, keys, ctx.tenant, actor, cls)
        if ok and result is not None:
            if result.ok:
                test_col.success(plain(f"Connection works. {result.reason}"))
            else:
                test_col.error(plain(f"Connection failed: {result.reason}"))
    if sync_col.button("Sync now", key=f"sync_{name}", disabled=not configured):
        ok, span = attempt(sync_now_range, ctx.settings, cls)
        if ok and span is not None:
            launch_panel.start(ctx, actor, name, *span, what=f"Sync of {cls.provider}")
    today = dt.datetime.now(dt.UTC).date()
    range_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    days = range_col.date_input(
        "Backfill days", value=last_month(today), max_value=today, key=f"backfill_days_{name}"
    )
    if button_col.button("Backfill", key=f"backfill_{name}", disabled=not configured):
        if not isinstance(days, tuple) or len(days) != 2:
            st.error("Pick the first and the last day to backfill.")
        else:
            launch_panel.start(
                ctx, actor, name, days[0], days[1], what=f"Backfill of {cls.provider}"
            )
    launch_panel.status(ctx, name)


for name, cls in load_connectors().items():
    with st.container(border=True, key=f"vendor_card_{name}"):
        st.subheader(cls.provider)
        summary = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        st.caption(f"Connector `{name}` · {summary}")
        show_status(name)
        if cls.config_source == "admin_input":  # data admins enter in aispend itself
            entered = (cls.admin_input or "admin input").replace("_", " ")
            st.write(f"Entered in aispend ({entered}); no credentials.")
            actions(name, cls, configured=True)
            continue
        stored = credentials.masked_config(ctx.engine, keys, ctx.tenant, actor, name)
        configured = not cls.missing_credentials(stored)
        if not configured:
            st.warning("Not configured yet: enter the credentials below.")
        credentials_form(name, cls, stored)
        if seat_plan_panel.declares_seat_plan(cls):
            seat_plan_panel.show(ctx, actor, name, cls)
        actions(name, cls, configured)

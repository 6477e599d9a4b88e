"""Starting a sync through Dagster from a page, and following it without blocking the page.

The launch itself (admin check, audit, the Dagster run) is ``pipelines.launch``; this module
keeps the session's launches and shows each one's progress, polling every few seconds while it
runs, then reruns the whole page once so its tables and statuses show the new data.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.admin_page import attempt, done, plain
from dashboard.app_context import AppContext
from pipelines.launch import MARTS, LaunchedSync, launch_refresh, launch_state, launch_sync
from warehouse.actors import Actor

LAUNCHES_KEY = "aispend_launches"
FINISHED_KEY = "aispend_launches_finished"
POLL_SECONDS = 2


def start(
    ctx: AppContext, actor: Actor, source: str, start: dt.date, end: dt.date, what: str
) -> None:
    """Launch ``source`` for start..end; on success note it in the session and rerun."""
    ok, launched = attempt(
        launch_sync, ctx.settings, actor, ctx.tenant, source=source, start=start, end=end
    )
    if ok and launched is not None:
        st.session_state.setdefault(LAUNCHES_KEY, {})[source] = launched
        done(f"{what} started through Dagster: {source}, {start} … {end}.", kind="info")


def refresh(ctx: AppContext, actor: Actor, what: str) -> None:
    """After an admin change (``what`` says it): launch a recompute of the tenant's marts
    (followed with ``status(ctx, MARTS)``) and rerun showing ``what``; when no refresh could
    start, ``what`` is shown alone (the change itself stands)."""
    ok, launched = attempt(launch_refresh, ctx.settings, actor, ctx.tenant)
    if ok and launched is not None:
        st.session_state.setdefault(LAUNCHES_KEY, {})[MARTS] = launched
        done(f"{what} Refreshing the dashboard through Dagster.", kind="info")
    done(what)


def _words(launched: LaunchedSync) -> tuple[str, str, str]:
    """(what runs, its noun, its span): "Syncing"/"Sync"/"cursor, …" or the marts' refresh."""
    if launched.source == MARTS:
        return "Refreshing", "Refresh", "the dashboard's marts"
    return "Syncing", "Sync", f"{launched.source}, {launched.start} … {launched.end}"


def status(ctx: AppContext, source: str) -> None:
    """The session's latest launch of ``source``, live while it runs."""
    launched: LaunchedSync | None = st.session_state.get(LAUNCHES_KEY, {}).get(source)
    if launched is None:
        return
    finished: set[str] = st.session_state.setdefault(FINISHED_KEY, set())
    running = launched.launch_id not in finished
    st.fragment(_show, run_every=POLL_SECONDS if running else None)(ctx, launched)


def _show(ctx: AppContext, launched: LaunchedSync) -> None:
    state = launch_state(ctx.settings, launched)
    doing, noun, span = _words(launched)
    runs = ", ".join(f"{run_id[:8]} {run_status.lower()}" for run_id, run_status in state.runs)
    where = (
        f"Dagster runs: {runs} (Dagster UI: http://127.0.0.1:{ctx.settings.dagster_port}/runs)"
        if runs
        else "starting the Dagster run…"
    )
    if state.status == "running":
        st.info(f"{doing} {span} through Dagster. {where}")
        return
    finished: set[str] = st.session_state.setdefault(FINISHED_KEY, set())
    if launched.launch_id not in finished:
        # Rerun the whole page before writing the outcome, so it is shown once, by the page's
        # own run, and not a second time by this fragment's fading output.
        finished.add(launched.launch_id)
        from dashboard import page_data  # its imports are the pages', not the admin's

        st.cache_data.clear()  # the marts changed: every page reads fresh numbers
        page_data.clear()  # the Overview's board is a shared resource, not cache_data
        st.rerun(scope="app")
    if state.status == "succeeded":
        st.success(f"{noun} of {span} finished. {where}")
    else:
        last = state.log_tail.strip().splitlines()[-1:] or ["no output"]
        st.error(f"{noun} of {span} failed: {plain(last[0])}. {where}")

"""The pages' cached reads, made once per server process.

A cached function defined in a page script is made again on every run of the page (Streamlit
reads and hashes its source each time: 5-15 ms a run, measured), so the pages call these.
Entries live ``CACHE_TTL_S`` seconds, keyed by the warehouse, the tenant and, where the figures
depend on who looks, the actor. ``clear()`` forgets them all (the Refresh buttons; a finished
refresh of the marts).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import analytics_csv, board_queries, queries
from dashboard.app_context import engine_for
from dashboard.components import analytics_charts

CACHE_TTL_S = 60


@st.cache_data(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False)
def month_total(database_url: str, tenant_id: int, month: str) -> queries.MonthTotal:
    return queries.month_total(engine_for(database_url), tenant_id, month)


@st.cache_resource(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False)
def board(database_url: str, tenant_id: int, _tenant, actor, month: str) -> board_queries.Board:
    """Shared between runs, not copied: a Board is immutable (frozen dataclasses and tuples),
    and unpickling a large team's board cost ~10 ms on every run (every view toggle)."""
    return board_queries.team_board(engine_for(database_url), _tenant, actor, month)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=64, show_spinner=False)
def available_months(database_url: str, tenant_id: int) -> list[str]:
    return queries.available_months(engine_for(database_url), tenant_id)


@dataclass(frozen=True)
class AnalyticsPage:
    """What the Analytics page draws for a month: the figures, their charts and their CSV."""

    view: analytics_csv.OnScreen
    charts: analytics_charts.Charts
    csv: bytes


@st.cache_resource(ttl=CACHE_TTL_S, max_entries=128, show_spinner=False)
def analytics_page(database_url: str, tenant_id: int, _tenant, actor, period: str):
    """Shared between runs, not copied (as ``board``; nothing in it is changed after it is
    made): the charts' specs and the CSV are made once, not on every run of the page."""
    view = analytics_csv.on_screen(engine_for(database_url), _tenant, actor, period)
    charts = analytics_charts.build(view.by_tool, view.by_model, view.daily, view.mom)
    return AnalyticsPage(view=view, charts=charts, csv=analytics_csv.analytics_csv(view))


def clear() -> None:
    """Forget every cached read: the next run of each page reads the marts again."""
    for cached in (month_total, board, available_months, analytics_page):
        cached.clear()

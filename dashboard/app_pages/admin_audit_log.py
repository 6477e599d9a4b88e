"""Admin → Audit log: every admin action, who did it and when; filterable."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.admin_page import admin_page
from dashboard.admin_tables import audit_frame
from warehouse import audit

LIMIT = 500

ctx, actor = admin_page("Audit log", "Every admin action, newest first.")
facets = audit.event_facets(ctx.engine, ctx.tenant, actor)

top_left, top_right = st.columns(2)
actions = top_left.multiselect("Actions", facets["actions"], placeholder="All actions")
by = top_right.selectbox("By", ["Anyone", *facets["actors"]])
bottom_left, bottom_right = st.columns(2)
target = bottom_left.text_input("Target contains", placeholder="e.g. cursor, an email, an id")
today = dt.datetime.now(dt.UTC).date()
days = bottom_right.date_input(
    "Between (UTC days)", value=(today - dt.timedelta(days=90), today), max_value=today
)
since, until = (days[0], days[-1]) if isinstance(days, tuple) and days else (None, None)

events = audit.list_events(
    ctx.engine,
    ctx.tenant,
    actor,
    actions=actions,
    by=None if by == "Anyone" else by,
    target_contains=target.strip() or None,
    since=since,
    until=until,
    limit=LIMIT,
)
if not events:
    st.info("No events match these filters.")
else:
    st.dataframe(audit_frame(events), hide_index=True)
    if len(events) == LIMIT:
        st.caption(f"Showing the newest {LIMIT}; narrow the filters to see older ones.")

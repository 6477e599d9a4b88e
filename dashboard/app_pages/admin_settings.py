"""Admin → Settings: how the leaderboard names people, freshness thresholds, privacy, and the
thresholds of the badges."""

from __future__ import annotations

import streamlit as st

from dashboard.admin_page import admin_page, attempt, done
from warehouse import dashboard_settings as ds
from warehouse.badges import CATALOGUE

DISPLAY_MODE_LABELS = {
    "named": "Named — full names",
    "initialed": "Initialed — “A. L.”",
    "anonymous": "Anonymous — no names",
}

ctx, actor = admin_page("Settings", "Apply to everyone in this tenant.")
current = ds.get_dashboard_settings(ctx.engine, ctx.tenant, actor)

with st.form("dashboard_settings"):
    st.subheader("Leaderboard")
    mode = st.radio(
        "How viewers see other people",
        ds.DISPLAY_MODES,
        index=ds.DISPLAY_MODES.index(current.display_mode),
        format_func=DISPLAY_MODE_LABELS.__getitem__,
        help="Admins always see names.",
    )
    st.subheader("Freshness")
    left, right = st.columns(2)
    fresh = left.number_input(
        "Fresh for (hours)",
        min_value=1,
        max_value=ds.MAX_HOURS,
        value=current.fresh_hours,
        step=1,
        help="A vendor's data is fresh (green) until this age.",
    )
    stale = right.number_input(
        "Stale until (hours)",
        min_value=1,
        max_value=ds.MAX_HOURS,
        value=current.stale_hours,
        step=1,
        help="Then stale (amber) up to this age, old (red) beyond it.",
    )
    st.subheader("Privacy")
    own_only = st.checkbox(
        "Viewers see only their own detail",
        value=current.viewers_see_only_own_detail,
        help="Team totals stay visible; other members' detail is withheld from viewers.",
    )
    st.subheader("Badges")
    st.caption("Awards already earned stay earned when a threshold changes.")
    thresholds = {}
    columns = st.columns(2)
    for i, badge in enumerate(CATALOGUE):
        thresholds[badge.setting] = columns[i % 2].number_input(
            f"{badge.icon} {badge.name}",
            min_value=1,
            max_value=ds.BADGE_MAXIMA.get(badge.setting, ds.MAX_THRESHOLD),
            value=getattr(current, badge.setting),
            step=1,
            help=badge.criteria.format(threshold="N"),
        )
    if st.form_submit_button("Save settings"):
        ok, _ = attempt(
            ds.update_dashboard_settings,
            ctx.engine,
            ctx.tenant,
            actor,
            display_mode=mode,
            fresh_hours=int(fresh),
            stale_hours=int(stale),
            viewers_see_only_own_detail=bool(own_only),
            **{name: int(value) for name, value in thresholds.items()},
        )
        if ok:
            done("Settings saved.")

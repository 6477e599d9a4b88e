"""My progress: where I stand ("#4 of 29"), how I got here, my badges and my suggestion.

A viewer sees their own progress (the member whose email is their login's); an admin can look
at anyone's. A login not linked to a member gets an invitation, not an empty page.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.app_context import app_context, current_actor
from dashboard.board_queries import RANKED_BY
from dashboard.components.suggestion_panel import show_suggestion_panel
from dashboard.formatting import current_month, month_label
from dashboard.progress_queries import (
    BadgeState,
    Progress,
    badge_states,
    member_progress,
    periods_back,
)
from dashboard.suggestion_queries import list_members, member_for_email


def show_badges(states: tuple[BadgeState, ...]) -> None:
    """Earned badges in colour with when; the rest faded, with what it takes."""
    columns = st.columns(4)
    for i, badge in enumerate(states):
        with columns[i % 4].container(border=True):
            if badge.earned:
                st.markdown(f"### {badge.icon}\n**{badge.name}**")
                st.caption(f"Earned {month_label(badge.earned_period)} · {badge.criteria}")
            else:
                st.markdown(
                    f"### <span style='opacity:0.35'>{badge.icon}</span>\n"
                    f"<span style='opacity:0.6'>**{badge.name}**</span>",
                    unsafe_allow_html=True,
                )
                st.caption(f"To earn: {badge.criteria}")


def show_rank(progress: Progress) -> None:
    rank_col, podium_col = st.columns(2)
    metric = RANKED_BY.get(progress.ranked_by or "spend", progress.ranked_by)
    how = f"Ranked by {metric} among members who used AI tools that month"
    if progress.rank is None:
        rank_col.metric("Rank", "—", help=how)
        rank_col.caption("Not on the board this month yet: any use of an AI tool puts you on it.")
        return
    rank_col.metric(
        "Rank",
        f"#{progress.rank} of {progress.members_ranked}",
        delta=(
            f"{progress.climb} place{'s' if progress.climb != 1 else ''} since last month"
            if progress.climb
            else None
        ),
        help=how,
    )
    if not progress.climb:  # no down arrow, ever: the previous place, in grey
        before = f"#{progress.previous_rank} last month" if progress.previous_rank else "new"
        rank_col.caption(f"— {before}")
    if progress.on_podium:
        podium_col.metric("Podium", "You're on the podium! 🏆")
    else:
        spots = progress.spots_from_podium
        plural = "s" if spots != 1 else ""
        podium_col.metric("Podium", f"{spots} spot{plural} from the top {progress.podium_size}")


def show_trajectory(progress: Progress) -> None:
    if len(progress.trajectory) < 2:
        return
    st.subheader("Rank over the months")
    frame = pd.DataFrame(
        [(month_label(p), p, r) for p, r in progress.trajectory],
        columns=["month", "period", "rank"],
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True, color="#e07a2f")
        .encode(
            x=alt.X("period:O", title=None, sort=None),
            y=alt.Y("rank:Q", scale=alt.Scale(reverse=True, zero=False), title="Rank (1 = top)"),
            tooltip=["month", "rank"],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")


ctx = app_context()
actor = current_actor()
if actor is None:
    st.stop()

st.title("My progress")
own = member_for_email(ctx.engine, ctx.tenant.id, actor.email)
member = own
if actor.is_admin:
    everyone = list_members(ctx.engine, ctx.tenant.id)
    if everyone:
        start = next((i for i, m in enumerate(everyone) if own and m.id == own.id), 0)
        member = st.selectbox(
            "Progress of",
            everyone,
            index=start,
            format_func=lambda m: m.display_name,
            help="Admins can look at anyone's progress.",
        )

if member is None:
    st.info(
        "👋 Welcome! Your rank, your badges and a personal suggestion show up here as soon as "
        f"an admin links your login ({actor.email}) to you in the team's member list. "
        "Until then, here is what there is to earn:"
    )
    show_badges(badge_states(ctx.engine, ctx.tenant, actor))
    st.stop()

period = st.selectbox(
    "Month",
    periods_back(current_month(), 12),
    format_func=month_label,
    key="aispend_progress_month",
)
progress = member_progress(ctx.engine, ctx.tenant, actor, member.id, period)
show_rank(progress)
show_trajectory(progress)
st.subheader("Badges")
show_badges(progress.badges)
show_suggestion_panel(ctx, actor, period, member=member)

"""Overview: the month at a glance — KPIs, a card per vendor with its freshness, the people
(cards or a chart, remembered), the leaderboard, and billed spend per provider; estimates apart."""

from __future__ import annotations

import streamlit as st

from dashboard import board_queries, page_data
from dashboard.app_context import app_context, current_actor
from dashboard.components import board as board_view
from dashboard.components.suggestion_card import teaser_html
from dashboard.components.suggestion_panel import show_suggestion_teaser
from dashboard.formatting import current_month, month_label, usd
from dashboard.revalidation import refreshing_vendors
from dashboard.suggestion_queries import SuggestionCard
from warehouse.suggestions import cached_suggestions


def _empty_state(is_admin: bool) -> None:
    if is_admin:
        st.info(
            "No spend data yet. To add some:\n\n"
            "- connect a vendor on Admin → Vendors and backfill it there (or from the shell: "
            "`aispend vendor configure <source>`, then "
            "`aispend sync --start YYYY-MM-DD --end YYYY-MM-DD`);\n"
            "- or record a bill by hand on Admin → Manual entries, then press Refresh now there;\n"
            "- or try it with generated data: `aispend demo`."
        )
    else:
        st.info("No spend data yet. Ask an admin of your aispend to connect your team's AI tools.")


@st.fragment
def _people(ctx, board: board_queries.Board, month: str) -> None:
    """The members as cards or a chart. A fragment: switching the view or "Show all" reruns
    only this section, not the page's frame, KPIs and vendor cards."""
    view = st.segmented_control(
        "View", ["Cards", "Chart"], default=st.query_params.get("view", "Cards"), key="aispend_view"
    )
    if view and st.query_params.get("view") != view:
        st.query_params["view"] = view  # remembered in the address: a reload keeps the choice
    if board.unattributed_micros:
        st.caption(f"Not linked to anyone yet: {usd(board.unattributed_micros)}")
    limit = board_queries.TOP_BARS if view == "Chart" else board_queries.TOP_CARDS
    show_all = st.query_params.get("members") == "all"
    if len(board.members) > limit:
        # A bounded page by default (a toggle redraws the top members only); remembered like ?view=.
        show_all = st.toggle(f"Show all {len(board.members):,} members", value=show_all)
        if show_all != (st.query_params.get("members") == "all"):
            if show_all:
                st.query_params["members"] = "all"
            else:
                del st.query_params["members"]
    shown = board.members if show_all else board_queries.top_members(board, limit)
    if view == "Chart":
        board_view.member_chart(board, shown)
    else:
        written = cached_suggestions(ctx.engine, ctx.tenant.id, [month])
        teasers = {
            c.member_id: teaser_html(SuggestionCard(c.name, written[(c.member_id, month)]))
            for c in shown
            if (c.member_id, month) in written
        }
        board_view.member_cards(board, shown, teasers)


ctx = app_context()
actor = current_actor()
url = ctx.settings.database_url
refreshing = refreshing_vendors(ctx, actor)  # stale vendors: refreshed in the background

st.title("Overview")
months = page_data.available_months(url, ctx.tenant.id)
this_month = current_month()
options = sorted(set(months) | {this_month}, reverse=True)
col_month, col_refresh = st.columns([3, 1], vertical_alignment="bottom")
month = col_month.selectbox(
    "Month", options, index=options.index(this_month), format_func=month_label
)
if col_refresh.button("Refresh"):
    page_data.clear()
    st.rerun()

if not months:
    _empty_state(bool(actor and actor.is_admin))
    st.stop()

total = page_data.month_total(url, ctx.tenant.id, month)
if total.is_empty:
    st.info(f"No spend recorded for {month_label(month)} yet. Pick another month above.")
    st.stop()

board = page_data.board(url, ctx.tenant.id, ctx.tenant, actor, month)
board_view.kpi_strip(board)
if total.estimated_micros:
    st.metric(
        "Estimated usage (not billed)",
        usd(total.estimated_micros),
        help="estimated from usage and list prices; never added to the billed total",
    )
board_view.vendor_cards(board, refreshing)
show_suggestion_teaser(ctx, actor, month)

st.subheader("People")
if board.withheld:
    st.caption("Your admins show each person only their own detail; team totals stay above.")
_people(ctx, board, month)
board_view.podium(board)

st.subheader("By provider")
table = total.by_provider.assign(
    billed=total.by_provider["billed_cost_micros"].map(usd),
    estimated=total.by_provider["estimated_cost_micros"].map(usd),
)[["provider", "billed", "estimated"]]
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "provider": "Provider",
        "billed": "Billed",
        "estimated": st.column_config.TextColumn("Estimated", help="estimated, not billed"),
    },
)

"""Analytics: where the month's money goes — by tool and by model, day by day with the running
total, month over month — the month-end forecast, budget use, the days that stood out, idle
seats and what they cost, and what cheaper models would save; with a CSV of exactly what is on
screen. Opening the page for a month and downloading it are audited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import page_data
from dashboard.app_context import app_context, current_actor
from dashboard.components import analytics_charts as charts
from dashboard.components.tag_spend import spend_by_tag_section
from dashboard.formatting import current_month, month_label, tokens_short, usd
from dashboard.progress_queries import periods_back
from warehouse import audit

VIEWED_KEY = "aispend_analytics_viewed"


def _table(frame: pd.DataFrame, money: list[str], **rename) -> None:
    shown = frame.assign(**{c: frame[c].map(usd) for c in money})
    st.dataframe(shown.rename(columns=rename), hide_index=True)


def _draw(ctx, actor, period: str) -> None:
    """Everything below the month picker."""
    shown = page_data.analytics_page(
        ctx.settings.database_url, ctx.tenant.id, ctx.tenant, actor, period
    )
    view = shown.view
    mom = view.mom.iloc[-1] if not view.mom.empty else None
    saving_total = sum(int(s) for s in view.savings["saving"])
    cols = st.columns(4)
    cols[0].metric(
        f"Billed, {month_label(period)}",
        usd(view.billed_micros),
        delta=(
            f"{mom.change_percent:+.1f} % vs last month"
            if mom is not None and mom.change_percent is not None
            else None
        ),
        delta_color="off",
    )
    projected = sum(int(p) for p in view.forecast["projected"])
    cols[1].metric("Projected month end (estimate)", usd(projected) if projected else "—")
    cols[2].metric("Idle seats", f"{view.idle.count}", help=f"costing {usd(view.idle.fee_micros)}")
    cols[3].metric("Possible savings (estimate)", usd(saving_total) if saving_total else "—")

    st.subheader("Spend by tool")
    if view.by_tool.empty:
        st.info(f"No billed spend recorded for {month_label(period)}.")
    else:
        chart_col, table_col = st.columns([3, 2])
        with chart_col:
            charts.draw(shown.charts.tool)
        with table_col:
            _table(view.by_tool, ["billed"])

    st.subheader("Spend by model")
    if view.by_model.empty:
        st.caption("No spend per model this month yet (the marts are built after each sync).")
    else:
        if shown.charts.model is None:
            st.caption("No billed spend per model this month.")
        else:
            charts.draw(shown.charts.model)
        _table(view.by_model.assign(tokens=view.by_model["tokens"].map(tokens_short)), ["billed"])

    spend_by_tag_section(view.by_tag, actor, period)

    st.subheader("Day by day")
    if view.daily.empty:
        st.caption("No daily spend this month yet.")
    else:
        st.caption("Bars: billed each day. Line: the month so far (right axis).")
        charts.draw(shown.charts.daily)

    st.subheader("Month over month")
    if not any(view.mom["billed"]):
        st.caption("No billed spend in the last months.")
    else:
        charts.draw(shown.charts.month)
        _table(
            view.mom.assign(
                month=view.mom["month"].map(month_label),
                change=view.mom["change"].map(lambda c: "—" if c is None else usd(c)),
                change_percent=view.mom["change_percent"].map(
                    lambda p: "—" if p is None else f"{p:+.1f} %"
                ),
            ),
            ["billed"],
            change_percent="change (%)",
        )

    st.subheader("Month-end forecast")
    st.caption(
        "Projections: billed so far + the last 7 days' daily rate × the days left. Not a bill."
    )
    if view.forecast.empty:
        st.caption("No forecast for this month yet (the pipeline writes one after each sync).")
    else:
        _table(
            view.forecast,
            ["billed_so_far", "daily_rate", "projected"],
            projected="projected (estimate)",
        )

    st.subheader("Budgets")
    if view.usage:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "budget": u.budget.label,
                        "spent": usd(u.spend_micros),
                        "of": usd(u.budget.monthly_micros),
                        "used": f"{u.percent:.1f} %",
                        "projected (estimate)": usd(u.projected_micros),
                    }
                    for u in view.usage
                ]
            ),
            hide_index=True,
        )
    else:
        st.caption("No budgets set." + (" Add one on Admin → Budgets." if actor.is_admin else ""))

    st.subheader("Days that stood out")
    if view.flagged.empty:
        st.caption("Nothing unusual this month.")
    else:
        _table(view.flagged, ["spend", "usual"])

    st.subheader("Idle seats")
    if not view.idle.count:
        st.caption("Every paid seat was used this month.")
    else:
        st.write(
            f"{view.idle.count} seat(s) paid for and not used this month, "
            f"costing **{usd(view.idle.fee_micros)}**."
        )
        if view.idle.listed:
            _table(view.idle.seats, ["seat_fee"], seat_fee="seat fee")
        else:
            st.caption("Which seats is shown to admins.")

    st.subheader("Savings from cheaper models")
    st.caption(
        "Estimates at list prices: the same tokens on the cheapest model of the same family. "
        "Not billed amounts."
    )
    if view.savings.empty:
        st.caption("No cheaper model of the same family for this month's usage.")
    else:
        _table(
            view.savings.assign(tokens=view.savings["tokens"].map(tokens_short)),
            ["list_price", "at_cheapest", "saving"],
            saving="saving (estimate)",
        )

    st.download_button(
        "Download CSV",
        shown.csv,
        file_name=f"aispend-analytics-{period}.csv",
        mime="text/csv",
        on_click=lambda: audit.record_read(
            ctx.engine, ctx.tenant, actor, "analytics.export", period
        ),
        help="What is on this page, with exact amounts (six decimals); estimates in their own column.",
    )


ctx = app_context()
actor = current_actor()
if actor is None:
    st.stop()

st.title("Analytics")
col_month, col_refresh = st.columns([3, 1], vertical_alignment="bottom")
period = col_month.selectbox(
    "Month", periods_back(current_month(), 12), format_func=month_label, key="aispend_an_month"
)
if col_refresh.button("Refresh", key="aispend_an_refresh"):
    page_data.clear()


try:
    _draw(ctx, actor, period)
finally:
    # Who looked at which month's billing analytics, once per session and month: recorded
    # after the page is drawn, whatever ended the run (the write waits for the database's
    # commit, 5-45 ms measured on PostgreSQL, which the page no longer waits for).
    viewed: set = st.session_state.setdefault(VIEWED_KEY, set())
    if period not in viewed:
        audit.record_read(ctx.engine, ctx.tenant, actor, "analytics.view", period)
        viewed.add(period)

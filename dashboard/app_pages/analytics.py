"""Analytics: where the month's money goes — per vendor, the month-end forecast, budget use and
the days that stood out — with a CSV of what is on screen (exact figures). Opening the page
for a month and downloading it are audited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analytics_queries as aq
from dashboard import queries
from dashboard.app_context import app_context, current_actor
from dashboard.components.tag_spend import spend_by_tag_section
from dashboard.formatting import current_month, month_label, usd
from dashboard.progress_queries import periods_back
from warehouse import audit, budgets

VIEWED_KEY = "aispend_analytics_viewed"


ctx = app_context()
actor = current_actor()
if actor is None:
    st.stop()

st.title("Analytics")
period = st.selectbox(
    "Month", periods_back(current_month(), 12), format_func=month_label, key="aispend_an_month"
)
viewed: set = st.session_state.setdefault(VIEWED_KEY, set())
if period not in viewed:  # who looked at which month's billing analytics
    audit.record_read(ctx.engine, ctx.tenant, actor, "analytics.view", period)
    viewed.add(period)

total = queries.month_total(ctx.engine, ctx.tenant.id, period)
by_vendor = [
    (r.provider, int(r.billed_cost_micros))
    for r in total.by_provider.itertuples()
    if r.billed_cost_micros
]
forecast = aq.forecasts(ctx.engine, ctx.tenant, actor, period)
usage = budgets.utilisation(ctx.engine, ctx.tenant, actor, period)
flagged = aq.anomalies(ctx.engine, ctx.tenant, actor, period)

st.subheader("Spend by vendor")
if by_vendor:
    st.metric(f"Billed, {month_label(period)}", usd(total.billed_micros))
    st.bar_chart(
        pd.DataFrame(
            {"vendor": [p for p, _ in by_vendor], "billed ($)": [b / 1e6 for _, b in by_vendor]}
        ),
        x="vendor",
        y="billed ($)",
        horizontal=True,
    )
else:
    st.info(f"No billed spend recorded for {month_label(period)}.")

spend_by_tag_section(ctx.engine, ctx.tenant, actor, period)

st.subheader("Month-end forecast")
st.caption("Projections: billed so far + the last 7 days' daily rate × the days left. Not a bill.")
if forecast.empty:
    st.caption("No forecast for this month yet (the pipeline writes one after each sync).")
else:
    st.dataframe(
        forecast.assign(
            billed_so_far=forecast["billed_so_far"].map(usd),
            daily_rate=forecast["daily_rate"].map(usd),
            projected=forecast["projected"].map(usd),
        ).rename(columns={"projected": "projected (estimate)"}),
        hide_index=True,
    )

st.subheader("Budgets")
if usage:
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
                for u in usage
            ]
        ),
        hide_index=True,
    )
else:
    st.caption("No budgets set." + (" Add one on Admin → Budgets." if actor.is_admin else ""))

st.subheader("Days that stood out")
if flagged.empty:
    st.caption("Nothing unusual this month.")
else:
    st.dataframe(
        flagged.assign(spend=flagged["spend"].map(usd), usual=flagged["usual"].map(usd)),
        hide_index=True,
    )

st.download_button(
    "Download CSV",
    aq.analytics_csv(by_vendor, forecast, usage, flagged),
    file_name=f"aispend-analytics-{period}.csv",
    mime="text/csv",
    on_click=lambda: audit.record_read(ctx.engine, ctx.tenant, actor, "analytics.export", period),
    help="What is on this page, with exact amounts (six decimals).",
)

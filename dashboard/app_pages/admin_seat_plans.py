"""Admin → Seat plans: what a seat costs per vendor plan (with the month each price starts and
ends), adding a plan or a new price, and the seats paid for that nobody used, with their cost.

Prices: ``warehouse.seat_plans`` (a new price closes the open one; the past is never re-priced).
Idle seats: ``warehouse.idle_seats`` (seat fees in the period, no activity in it).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from connectors.registry import load_connectors
from dashboard.admin_page import admin_page, attempt
from dashboard.admin_tables import idle_seats_frame
from dashboard.components import seat_plan_panel
from dashboard.formatting import usd
from warehouse import idle_seats

ALL = "All vendors"

ctx, actor = admin_page(
    "Seat plans",
    "Seat prices per vendor plan, valid from the first day of a month until the next price. "
    "Changing a price never re-prices the past: backfill a month to re-price it.",
)
seated = {n: c for n, c in load_connectors().items() if seat_plan_panel.declares_seat_plan(c)}

st.header("Prices")
if not seated:
    st.info("No registered connector sells seats by plan.")
for name, cls in seated.items():
    with st.container(border=True, key=f"seat_plans_{name}"):
        st.subheader(f"{cls.provider} · {name}")
        seat_plan_panel.prices(ctx, actor, name, cls)

st.header("Idle seats")
st.caption("Seats paid for in the period whose holder shows no activity in it.")
today = dt.datetime.now(dt.UTC).date()
month_end = today.replace(day=1) - dt.timedelta(days=1)
range_col, vendor_col = st.columns([2, 1])
days = range_col.date_input(
    "Period", value=(month_end.replace(day=1), month_end), max_value=today, key="idle_period"
)
vendor = vendor_col.selectbox("Vendor", [ALL, *seated], key="idle_vendor")
if not isinstance(days, tuple) or len(days) != 2:
    st.info("Pick the period's first and last day.")
    st.stop()
ok, seats = attempt(
    idle_seats.idle_seats, ctx.engine, ctx.tenant, actor, days[0], days[1],
    None if vendor == ALL else vendor,
)  # fmt: skip
if ok and seats is not None:
    if not seats:
        st.success(f"No idle seats {days[0]} – {days[1]}.")
    else:
        cost = sum(s["seat_fee_micros"] for s in seats)
        st.metric(
            f"Idle seats, {days[0]} – {days[1]}", len(seats), help="no activity in the period"
        )
        st.caption(f"They cost {usd(cost)} of seat fees in the period.")
        st.dataframe(idle_seats_frame(seats), hide_index=True)

"""Admin → Vendors, on the card of a connector that declares a ``seat_plan`` setting (Copilot):
the tenant's seat prices with their validity, and a form that prices a plan from a month on
(``warehouse.seat_plans``: the previous price ends the day before; the past is never
re-priced)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from connectors.contract import Connector
from dashboard.admin_page import attempt, done, plain
from warehouse import seat_plans


def declares_seat_plan(cls: type[Connector]) -> bool:
    return any(f.name == seat_plans.SEAT_PLAN_SETTING for f in cls.settings_fields)


def show(ctx, actor, name: str, cls: type[Connector]) -> None:
    with st.expander("Seat prices"):
        spec = next(f for f in cls.settings_fields if f.name == seat_plans.SEAT_PLAN_SETTING)
        rows = seat_plans.list_prices(ctx.engine, ctx.tenant, actor, name)
        if rows:
            st.dataframe(
                [
                    {
                        "plan": r["plan"],
                        "USD per seat and month": str(r["usd_per_seat_month"]),
                        "from": r["valid_from"].isoformat(),
                        "to": r["valid_to"].isoformat() if r["valid_to"] else "",
                        "set by": r["created_by"],
                    }
                    for r in rows
                ],
                hide_index=True,
            )
        else:
            st.caption(plain(f"No prices stored: the defaults apply ({spec.default})."))
        with st.form(f"seat_plan_{name}", clear_on_submit=True):
            plan_col, price_col, month_col = st.columns(3)
            plan = plan_col.text_input("Plan", placeholder="business", key=f"seat_plan_{name}_plan")
            price = price_col.text_input("USD per seat and month", key=f"seat_plan_{name}_usd")
            today = dt.datetime.now(dt.UTC).date()
            first = month_col.date_input(
                "From (first day of a month)",
                value=today.replace(day=1),
                key=f"seat_plan_{name}_from",
            )
            if st.form_submit_button("Set price"):
                ok, row = attempt(
                    seat_plans.set_price, ctx.engine, ctx.tenant, actor, source=name,
                    plan=plan, amount=price, valid_from=first,
                )  # fmt: skip
                if ok and row is not None:
                    done(
                        f"{cls.provider} {row['plan']}: ${row['usd_per_seat_month']} per seat and "
                        f"month from {row['valid_from']}. Backfill those months to re-price them."
                    )

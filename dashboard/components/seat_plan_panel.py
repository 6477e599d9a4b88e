"""Seat prices of a connector that declares a ``seat_plan`` setting (Copilot): the tenant's
prices with their validity, and a form that prices a plan — a new one, or a new price of one —
from a month on (``warehouse.seat_plans``: the previous price ends the day before; the past is
never re-priced). Shown on Admin → Seat plans, and folded on the connector's Vendors card."""

from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from connectors.contract import Connector
from dashboard.admin_page import attempt, done, plain
from warehouse import seat_plans


def declares_seat_plan(cls: type[Connector]) -> bool:
    return any(f.name == seat_plans.SEAT_PLAN_SETTING for f in cls.settings_fields)


def defaults_text(cls: type[Connector]) -> str:
    """The connector's default prices as people read them: "business $19, enterprise $39"."""
    spec = next(f for f in cls.settings_fields if f.name == seat_plans.SEAT_PLAN_SETTING)
    try:
        entries = json.loads(spec.default or "[]")
        return ", ".join(f"{e['plan']} ${e['usd_per_seat_month']}" for e in entries) or "none"
    except (ValueError, TypeError, KeyError):
        return str(spec.default)


def prices_frame(rows: list[dict]) -> list[dict[str, str]]:
    return [
        {
            "Plan": r["plan"],
            "USD per seat and month": str(r["usd_per_seat_month"]),
            "Valid from": r["valid_from"].isoformat(),
            "Valid to": r["valid_to"].isoformat() if r["valid_to"] else "open",
            "Set by": r["created_by"],
        }
        for r in rows
    ]


def prices(ctx, actor, name: str, cls: type[Connector]) -> None:
    """The stored prices of ``name`` and the form to add one."""
    rows = seat_plans.list_prices(ctx.engine, ctx.tenant, actor, name)
    if rows:
        st.dataframe(prices_frame(rows), hide_index=True)
        st.caption(plain(f"Before a plan's first stored price: {defaults_text(cls)}."))
    else:
        st.caption(plain(f"No prices stored: the defaults apply ({defaults_text(cls)})."))
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


def show(ctx, actor, name: str, cls: type[Connector]) -> None:
    """Folded, on the connector's Vendors card."""
    with st.expander("Seat prices"):
        prices(ctx, actor, name, cls)

"""Admin → Budgets: monthly budgets with this month's use and projection, and their alerts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.admin_page import admin_page, attempt, done
from dashboard.formatting import current_month, usd
from dashboard.suggestion_queries import list_members
from warehouse import budgets
from warehouse.amounts import dollars_to_micros

SCOPE_LABELS = {
    "tenant": "Whole team",
    "team": "A team",
    "member": "A member",
    "vendor": "A vendor",
    "tag": "A tag (key=value)",
}

ctx, actor = admin_page(
    "Budgets",
    "Monthly budgets of billed spend. Alerts fire once per threshold and month, to the "
    "webhook or email configured for this aispend (see the README).",
)
usage = budgets.utilisation(ctx.engine, ctx.tenant, actor, current_month())
members = {str(m.id): m.display_name for m in list_members(ctx.engine, ctx.tenant.id)}


def _label(b: budgets.BudgetRef) -> str:
    if b.scope == "member":
        return f"member {members.get(b.target, b.target)}"
    return b.label


if usage:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": u.budget.id,
                    "budget": _label(u.budget),
                    "monthly": usd(u.budget.monthly_micros),
                    "spent": usd(u.spend_micros),
                    "used": f"{u.percent:.1f} %",
                    "projected (estimate)": usd(u.projected_micros),
                    "alerts at": ", ".join(f"{t} %" for t in u.budget.thresholds),
                }
                for u in usage
            ]
        ),
        hide_index=True,
    )
else:
    st.info("No budgets yet. Add one below.")

st.subheader("Set a budget")
with st.form("budget_set"):
    scope = st.selectbox("For", list(SCOPE_LABELS), format_func=SCOPE_LABELS.__getitem__)
    target = st.text_input(
        "Which one", help="Team name, member (pick below), vendor source (e.g. cursor) or tag."
    )
    member = st.selectbox(
        "Member (for a member budget)",
        list(members),
        format_func=members.__getitem__,
        index=None,
    )
    amount = st.text_input("Dollars per month", placeholder="500")
    thresholds = st.text_input("Alert at (percent)", value="75, 90, 100")
    if st.form_submit_button("Save budget"):
        try:
            micros = dollars_to_micros(amount)
            levels = [int(t) for t in thresholds.replace(" ", "").split(",") if t]
        except ValueError as exc:
            st.error(str(exc))
        else:
            ok, ref = attempt(
                budgets.set_budget, ctx.engine, ctx.tenant, actor, scope=scope,
                target=member if scope == "member" and member else target,
                monthly_micros=micros, thresholds=levels,
            )  # fmt: skip
            if ok and ref is not None:
                done(f"Budget saved: {_label(ref)}, {usd(ref.monthly_micros)} a month.")

if usage:
    st.subheader("Remove a budget")
    with st.form("budget_remove"):
        which = st.selectbox(
            "Budget", [u.budget for u in usage], format_func=lambda b: f"{b.id}: {_label(b)}"
        )
        if st.form_submit_button("Remove budget"):
            ok, _ = attempt(budgets.remove_budget, ctx.engine, ctx.tenant, actor, which.id)
            if ok:
                done(f"Budget {which.id} removed.")

alerts = budgets.list_alerts(ctx.engine, ctx.tenant, actor)
st.subheader("Alerts")
if alerts:
    st.dataframe(
        pd.DataFrame(alerts)[["period", "kind", "message", "delivered", "attempts", "last_error"]],
        hide_index=True,
    )
else:
    st.caption("No alerts yet.")

"""Admins' view of the suggestion machine: what writing suggestions cost, and its settings.

aispend eats its own dog food: every LLM call made to write a suggestion is logged with its
tokens and a list-price cost estimate, shown here per month beside this month's budget.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from dashboard.admin_page import attempt, done
from dashboard.app_context import AppContext
from dashboard.formatting import CENT, current_month, month_label, usd
from dashboard.suggestion_queries import generation_usage
from warehouse.actors import Actor
from warehouse.suggestion_config import get_config, set_config


def show_suggestion_admin(ctx: AppContext, actor: Actor) -> None:
    st.subheader("Suggestions")
    config = get_config(ctx.engine, ctx.tenant)
    if ctx.settings.anthropic_api_key:
        st.caption(f"Written by Claude ({config.model}), at most {config.max_tokens} tokens each.")
    else:
        st.caption(
            "ANTHROPIC_API_KEY is not set: the offline muse writes suggestions (no cost). "
            "Set it to have Claude write them."
        )
    usage = generation_usage(ctx.engine, ctx.tenant.id)
    this_month = usage[usage["month"] == current_month()]
    spent = int(this_month["cost_micros"].sum()) if not this_month.empty else 0
    st.metric(
        "Suggestion generation this month (estimated)",
        f"{usd(spent)} of {usd(config.monthly_budget_micros)}",
        help="Estimated at the model's list price; never part of any billed figure.",
    )
    if usage.empty:
        st.caption("No LLM calls made for suggestions yet.")
    else:
        table = usage.assign(
            month=usage["month"].map(month_label), cost=usage["cost_micros"].map(usd)
        )[["month", "calls", "failed", "input_tokens", "output_tokens", "cost"]]
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "month": "Month",
                "calls": "LLM calls",
                "failed": "Failed",
                "input_tokens": "Input tokens",
                "output_tokens": "Output tokens",
                "cost": st.column_config.TextColumn("Cost (est.)", help="list price estimate"),
            },
        )
    with st.form("aispend_suggestion_settings"):
        model = st.text_input("Model", value=config.model)
        max_tokens = st.number_input(
            "Max tokens per suggestion", min_value=16, max_value=4096, value=config.max_tokens
        )
        budget = st.number_input(
            "Monthly budget (USD)",
            min_value=0.0,
            value=config.monthly_budget_micros / 1_000_000,
            step=1.0,
            format="%.2f",
        )
        if st.form_submit_button("Save suggestion settings"):
            saved, _ = attempt(
                set_config,
                ctx.engine,
                ctx.tenant,
                actor,
                model=model,
                max_tokens=int(max_tokens),
                monthly_budget_micros=int(Decimal(str(budget)).quantize(CENT) * 1_000_000),
            )
            if saved:
                done("Suggestion settings saved.")

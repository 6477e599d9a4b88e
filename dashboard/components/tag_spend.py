"""Analytics → Spend by tag: one tag key's month, per value, with the untagged rest.

Reads the ``spend_by_tag`` mart (``warehouse.tag_spend``): billed spend exact (the values and
the untagged row sum to the month's spend), the estimate beside it, never added.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.formatting import month_label, usd
from warehouse import tag_spend
from warehouse.actors import Actor
from warehouse.tenants import TenantRef

UNTAGGED = "(untagged)"


def spend_by_tag_section(engine, tenant: TenantRef, actor: Actor, period: str) -> None:
    st.subheader("Spend by tag")
    keys = tag_spend.tag_keys(engine, tenant, actor, period)
    if not keys:
        hint = " Tag projects, API keys or accounts on Admin → Tags." if actor.is_admin else ""
        st.caption(f"No tagged spend for {month_label(period)}.{hint}")
        return
    default = keys.index("team") if "team" in keys else 0
    key = st.selectbox("Tag", keys, index=default, key="aispend_an_tag_key")
    rows = tag_spend.spend_by_tag(engine, tenant, actor, period, key)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    key: r["tag_value"] if r["tagged"] else UNTAGGED,
                    "billed": usd(r["billed_cost_micros"]),
                    "estimate (not billed)": usd(r["estimated_cost_micros"]),
                    "tokens": "unknown" if r["tokens"] is None else f"{r['tokens']:,}",
                }
                for r in rows
            ]
        ),
        hide_index=True,
    )
    st.caption(f"Billed across all values: {usd(sum(r['billed_cost_micros'] for r in rows))}.")

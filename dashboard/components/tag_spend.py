"""Analytics → Spend by tag: one tag key's month, per value, with the untagged rest.

Draws the ``spend_by_tag`` rows the page gathered (``analytics_csv.on_screen``, from
``warehouse.tag_spend``), so the CSV holds the same figures: billed spend exact (the values and
the untagged row sum to the month's spend), the estimate beside it, never added.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.analytics_csv import UNTAGGED
from dashboard.formatting import month_label, usd
from warehouse.actors import Actor


def spend_by_tag_section(by_tag: dict[str, list[dict]], actor: Actor, period: str) -> None:
    st.subheader("Spend by tag")
    keys = list(by_tag)
    if not keys:
        hint = " Tag projects, API keys or accounts on Admin → Tags." if actor.is_admin else ""
        st.caption(f"No tagged spend for {month_label(period)}.{hint}")
        return
    default = keys.index("team") if "team" in keys else 0
    key = st.selectbox("Tag", keys, index=default, key="aispend_an_tag_key")
    rows = by_tag[key]
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

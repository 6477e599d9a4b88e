"""The Analytics page's charts: spend by tool and by model, daily and cumulative spend, month
over month. Altair, in the colour-blind-safe Okabe–Ito palette (one colour per tool, the same
tool always the same colour); the exact amount of every mark is in its tooltip."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.formatting import month_label, usd
from dashboard.theme import OKABE_ITO

AXES_PX = 70  # Streamlit fits the whole chart, axes included, in its height


def tool_scale(tools) -> alt.Scale:
    ordered = sorted(set(tools))
    return alt.Scale(
        domain=ordered, range=[OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(ordered))]
    )


def _dollars(micros) -> float:
    return int(micros) / 1_000_000  # chart geometry only; labels and tooltips are exact


def tool_chart(by_tool: pd.DataFrame) -> None:
    data = pd.DataFrame(
        {
            "tool": by_tool["tool"],
            "billed": by_tool["billed"].map(_dollars),
            "exact": by_tool["billed"].map(usd),
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("tool:N", sort="-x", title=None),
            x=alt.X("billed:Q", title="Billed ($)"),
            color=alt.Color("tool:N", scale=tool_scale(data["tool"]), legend=None),
            tooltip=["tool", alt.Tooltip("exact:N", title="billed")],
        )
        .properties(height=AXES_PX + 32 * len(data))
    )
    st.altair_chart(chart, width="stretch")


def model_chart(by_model: pd.DataFrame, top: int = 15) -> None:
    shown = by_model[by_model["billed"].map(int) > 0].head(top)
    if shown.empty:
        st.caption("No billed spend per model this month.")
        return
    data = pd.DataFrame(
        {
            "model": shown["model"],
            "tool": shown["tool"],
            "billed": shown["billed"].map(_dollars),
            "exact": shown["billed"].map(usd),
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("model:N", sort="-x", title=None),
            x=alt.X("sum(billed):Q", title="Billed ($)"),
            color=alt.Color(
                "tool:N",
                scale=tool_scale(by_model["tool"]),
                legend=alt.Legend(title="Tool", orient="right"),
            ),
            tooltip=["model", "tool", alt.Tooltip("exact:N", title="billed")],
        )
        .properties(height=AXES_PX + 26 * len(data))
    )
    st.altair_chart(chart, width="stretch")


def daily_chart(daily: pd.DataFrame) -> None:
    """Bars for each day's spend, a line for the running total (its own axis, right)."""
    data = pd.DataFrame(
        {
            "day": pd.to_datetime(daily["day"]),
            "billed": daily["billed"].map(_dollars),
            "cumulative": daily["cumulative"].map(_dollars),
            "day_exact": daily["billed"].map(usd),
            "cumulative_exact": daily["cumulative"].map(usd),
        }
    )
    tooltip = [
        alt.Tooltip("day:T", title="day"),
        alt.Tooltip("day_exact:N", title="that day"),
        alt.Tooltip("cumulative_exact:N", title="month so far"),
    ]
    base = alt.Chart(data).encode(x=alt.X("day:T", title=None))
    bars = base.mark_bar(color=OKABE_ITO[4]).encode(
        y=alt.Y("billed:Q", title="Billed that day ($)"), tooltip=tooltip
    )
    line = base.mark_line(color=OKABE_ITO[5], point=True).encode(
        y=alt.Y("cumulative:Q", title="Month so far ($)"), tooltip=tooltip
    )
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)
    st.altair_chart(chart, width="stretch")


def month_chart(mom: pd.DataFrame) -> None:
    data = pd.DataFrame(
        {
            "month": mom["month"].map(month_label),
            "billed": mom["billed"].map(_dollars),
            "exact": mom["billed"].map(usd),
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar(color=OKABE_ITO[4])
        .encode(
            x=alt.X("month:N", sort=list(data["month"]), title=None),
            y=alt.Y("billed:Q", title="Billed ($)"),
            tooltip=["month", alt.Tooltip("exact:N", title="billed")],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")

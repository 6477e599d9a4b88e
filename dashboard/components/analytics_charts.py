"""The Analytics page's charts: spend by tool and by model, daily and cumulative spend, month
over month. Altair, in the colour-blind-safe Okabe–Ito palette (one colour per tool, the same
tool always the same colour); the exact amount of every mark is in its tooltip.

``build`` turns a month's figures into Vega-Lite specs once (altair builds and validates them:
30-60 ms of the server's time per page run, measured) and the page keeps them with the figures
(``page_data.analytics_page``); ``draw`` hands a spec to Streamlit, which sends its data as
Arrow, as ``st.altair_chart`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


Spec = dict[str, Any]


@dataclass(frozen=True)
class Charts:
    """The page's charts as Vega-Lite specs; None where there is nothing to draw."""

    tool: Spec | None
    model: Spec | None
    daily: Spec | None
    month: Spec | None


def build(by_tool, by_model, daily, mom) -> Charts:
    return Charts(
        tool=None if by_tool.empty else tool_chart(by_tool),
        model=None if by_model.empty else model_chart(by_model),
        daily=None if daily.empty else daily_chart(daily),
        month=None if not any(mom["billed"]) else month_chart(mom),
    )


def draw(spec: Spec) -> None:
    st.vega_lite_chart(spec=spec, width="stretch")


def _spec(chart: alt.TopLevelMixin, data: pd.DataFrame) -> Spec:
    """The chart's Vega-Lite spec with its one dataset as the frame itself (Streamlit turns it
    into Arrow) and without altair's default theme (Streamlit draws with its own, and
    ``st.altair_chart`` leaves it out too)."""
    spec = chart.to_dict()
    spec.pop("config", None)
    (name,) = spec["datasets"]
    spec["datasets"] = {name: data}
    return spec


def tool_chart(by_tool: pd.DataFrame) -> Spec:
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
    return _spec(chart, data)


def model_chart(by_model: pd.DataFrame, top: int = 15) -> Spec | None:
    """None when no model has billed spend."""
    shown = by_model[by_model["billed"].map(int) > 0].head(top)
    if shown.empty:
        return None
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
    return _spec(chart, data)


def daily_chart(daily: pd.DataFrame) -> Spec:
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
    return _spec(chart, data)


def month_chart(mom: pd.DataFrame) -> Spec:
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
    return _spec(chart, data)

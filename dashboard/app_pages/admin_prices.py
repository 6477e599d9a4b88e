"""Admin → Prices: the model prices in force (shipped list prices and the tenant's own
versions), the models in use without one, and a form to add a tenant price version.

Prices give list-price equivalents of token usage, never billed cost. A version is never
edited: a change is a new version from a later day (the service refuses a duplicate day)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboard.admin_page import admin_page, attempt, done
from warehouse import prices

ctx, actor = admin_page(
    "Prices",
    "List prices per million tokens, used for list-price equivalents of token usage (never "
    "the billed cost). aispend ships list prices; your own versions win from their day on.",
)


def _rate(value: Decimal | None) -> str:
    return "—" if value is None else f"${value.normalize():f}"


def _row(v: prices.PriceVersion) -> dict[str, str]:
    return {
        "Provider": v.provider,
        "Model": v.model,
        "Valid from": v.valid_from.isoformat(),
        "Input": _rate(v.input),
        "Output": _rate(v.output),
        "Cache read": _rate(v.cache_read),
        "Cache write": _rate(v.cache_write),
        "Source": "yours" if v.source == "tenant" else "shipped",
        "Note": v.note or "",
    }


current = prices.list_prices(ctx.engine, ctx.tenant, actor)
missing = prices.unpriced_models(ctx.engine, ctx.tenant, actor)
unpriced_rows = [
    {
        "Provider": provider,
        "Model": model,
        "Valid from": "",
        "Input": prices.UNPRICED,
        "Output": prices.UNPRICED,
        "Cache read": "",
        "Cache write": "",
        "Source": prices.UNPRICED,
        "Note": "seen in usage; add a price below",
    }
    for provider, model in missing
]
st.subheader("In force today (USD per million tokens)")
if missing:
    st.warning(
        f"{len(missing)} model(s) in your usage have no price: their list-price equivalents "
        "show as unpriced (never $0). Add a version below."
    )
st.dataframe(
    pd.DataFrame([*unpriced_rows, *(_row(v) for v in current)]),
    hide_index=True,
    key="prices_current",
)

with st.expander("Every version"):
    st.dataframe(
        pd.DataFrame(_row(v) for v in prices.price_history(ctx.engine, ctx.tenant, actor)),
        hide_index=True,
    )

st.subheader("Add a price version")
known = {v.model: v.provider for v in current}
with st.form("price_set"):
    left, right = st.columns(2)
    model = left.text_input(
        "Model",
        value=missing[0][1] if missing else "",
        key="price_model",
        help="The model id as the vendor reports it, e.g. claude-sonnet-4-5.",
    )
    provider = right.text_input(
        "Provider",
        value=missing[0][0] if missing else "",
        key="price_provider",
        help="e.g. Anthropic, OpenAI.",
    )
    valid_from = st.date_input(
        "Valid from (UTC day)",
        value=dt.datetime.now(dt.UTC).date(),
        key="price_valid_from",
        help="A day in the past is a backdated version: it changes earlier figures (audited).",
    )
    cols = st.columns(4)
    inp = cols[0].text_input("Input", key="price_input", placeholder="3.00")
    out = cols[1].text_input("Output", key="price_output", placeholder="15.00")
    cache_read = cols[2].text_input("Cache read (optional)", key="price_cache_read")
    cache_write = cols[3].text_input("Cache write (optional)", key="price_cache_write")
    note = st.text_input("Note (optional)", key="price_note", placeholder="negotiated rate")
    if st.form_submit_button("Add price version"):
        ok, version = attempt(
            prices.set_price, ctx.engine, ctx.tenant, actor, model=model,
            provider=provider or known.get(model.strip(), ""), valid_from=valid_from,
            input=inp, output=out, cache_read=cache_read, cache_write=cache_write, note=note,
        )  # fmt: skip
        if ok and version is not None:
            done(
                f"Price added: {version.model} from {version.valid_from.isoformat()}, "
                f"input {_rate(version.input)}, output {_rate(version.output)} per million tokens."
            )

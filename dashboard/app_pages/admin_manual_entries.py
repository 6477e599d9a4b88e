"""Admin → Manual entries: spend no vendor API reports (a seat invoice, a one-off purchase).

Each entry is split into daily rows by the pipeline: within a minute while `aispend serve`
runs, or at once with "Refresh now" (a Dagster run you can watch in the Dagster UI).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from connectors.registry import get_connector
from dashboard import launch_panel
from dashboard.admin_page import admin_page, attempt, done
from dashboard.admin_tables import (
    NO_MEMBER,
    entry_label,
    manual_entries_frame,
    member_label,
    text,
)
from dashboard.formatting import dollars_text
from pipelines.launch import sync_now_range
from warehouse import manual_entries, members
from warehouse.manual_entries import CATEGORIES, SOURCE

ctx, actor = admin_page(
    "Manual entries",
    "Spend no vendor reports through an API. Amounts are exact to the cent; a period's amount "
    "is spread evenly over its days.",
)
team = members.list_members(ctx.engine, ctx.tenant, actor)
member_options: list[int | None] = [None, *(m["id"] for m in team)]
names = {None: f"{NO_MEMBER} (no one in particular)", **{m["id"]: member_label(m) for m in team}}
entries = manual_entries.list_entries(ctx.engine, ctx.tenant, actor)


def this_month() -> tuple[dt.date, dt.date]:
    first = dt.datetime.now(dt.UTC).date().replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def changed_fields(entry: dict, fields: dict) -> dict:
    """Only what the admin changed, so the audit log names exactly that."""
    before = {
        **entry,
        "amount": dollars_text(entry["amount_micros"]),
        "tokens": "" if entry["tokens"] is None else str(entry["tokens"]),
    }
    return {k: v for k, v in fields.items() if text(v).strip() != text(before.get(k)).strip()}


def entry_fields(prefix: str, entry: dict | None = None) -> dict | None:
    """The form's fields, pre-filled from ``entry``; None when the period is incomplete."""
    entry = entry or {}
    member_id = st.selectbox(
        "Member",
        member_options,
        index=member_options.index(entry.get("member_id")),
        format_func=names.__getitem__,
        key=f"{prefix}_member",
    )
    vendor_col, product_col = st.columns(2)
    provider = vendor_col.text_input(
        "Vendor", value=entry.get("provider", ""), placeholder="e.g. GitHub", key=f"{prefix}_vendor"
    )
    service = product_col.text_input(
        "Product",
        value=entry.get("service", ""),
        placeholder="e.g. Copilot Business (default: the vendor)",
        key=f"{prefix}_product",
    )
    amount_col, tokens_col = st.columns(2)
    amount = amount_col.text_input(
        "Amount (USD)",
        value=dollars_text(entry["amount_micros"]) if "amount_micros" in entry else "",
        placeholder="e.g. 228.00",
        key=f"{prefix}_amount",
    )
    tokens = tokens_col.text_input(
        "Tokens (optional)",
        value="" if entry.get("tokens") is None else str(entry["tokens"]),
        placeholder="leave empty when unknown",
        key=f"{prefix}_tokens",
    )
    period_col, category_col = st.columns(2)
    days = period_col.date_input(
        "Period",
        value=(entry["period_start"], entry["period_end"]) if entry else this_month(),
        key=f"{prefix}_period",
    )
    category = category_col.selectbox(
        "Category",
        CATEGORIES,
        index=CATEGORIES.index(entry.get("charge_category", "Purchase")),
        key=f"{prefix}_category",
    )
    note = st.text_input("Note", value=entry.get("description", ""), key=f"{prefix}_note")
    if not isinstance(days, tuple) or len(days) != 2:
        return None
    return {
        "member_id": member_id,
        "provider": provider.strip(),
        "service": service.strip() or provider.strip(),
        "amount": amount,
        "tokens": tokens,
        "period_start": days[0],
        "period_end": days[1],
        "charge_category": category,
        "description": note.strip(),
    }


st.subheader("Add an entry")
with st.form("manual_entry_create", clear_on_submit=True):
    fields = entry_fields("new")
    if st.form_submit_button("Add entry", type="primary"):
        if fields is None:
            st.error("Pick the period's first and last day.")
        else:
            ok, _ = attempt(manual_entries.create_entry, ctx.engine, ctx.tenant, actor, **fields)
            if ok:
                done(
                    f"Added {fields['provider']} {fields['service']}, ${fields['amount']}. "
                    "It reaches the dashboard after the next refresh."
                )

st.subheader("Entries")
if not entries:
    st.info("No manual entries yet.")
else:
    st.dataframe(manual_entries_frame(entries), hide_index=True)

st.subheader("Refresh the dashboard")
st.caption(
    "Entries become daily spend through the pipeline: within a minute while `aispend serve` "
    "runs, or now."
)
if st.button("Refresh now"):
    ok, span = attempt(sync_now_range, ctx.settings, get_connector(SOURCE))
    if ok and span is not None:
        launch_panel.start(ctx, actor, SOURCE, *span, what="Refresh of manual entries")
launch_panel.status(ctx, SOURCE)

if entries:
    st.subheader("Edit or delete an entry")
    by_id = {e["id"]: e for e in entries}
    entry_id = st.selectbox(
        "Entry", list(by_id), format_func=lambda i: entry_label(by_id[i]), key="edit_entry"
    )
    with st.form(f"manual_entry_edit_{entry_id}"):
        fields = entry_fields(f"edit_{entry_id}", by_id[entry_id])
        if st.form_submit_button("Save changes"):
            if fields is None:
                st.error("Pick the period's first and last day.")
            else:
                changes = changed_fields(by_id[entry_id], fields)
                ok, _ = attempt(
                    manual_entries.edit_entry, ctx.engine, ctx.tenant, actor, entry_id, **changes
                )
                if ok:
                    done(f"Saved entry #{entry_id}." if changes else "Nothing changed.")
    confirmed = st.checkbox(f"Yes, delete entry #{entry_id}", key=f"delete_confirm_{entry_id}")
    if st.button("Delete entry", disabled=not confirmed):
        ok, _ = attempt(manual_entries.delete_entry, ctx.engine, ctx.tenant, actor, entry_id)
        if ok:
            done(f"Deleted entry #{entry_id}.")

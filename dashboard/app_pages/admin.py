"""Admin: users and manual entries of the tenant (read-only for now; editing comes later).

The frame registers this page for admins only; it checks the role again here, on the server,
before reading anything, so a viewer never gets admin data even if the page were reached.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.app_context import app_context, current_actor
from dashboard.formatting import usd
from warehouse.actors import PermissionDenied, require_admin
from warehouse.manual_entries import list_entries
from warehouse.users import list_users

ctx = app_context()
actor = current_actor()

st.title("Admin")
try:
    if actor is None:
        raise PermissionDenied("not logged in")
    require_admin(actor, "viewing the admin page")
except PermissionDenied:
    st.error("This page is for admins only.")
    st.stop()

st.subheader("Users")
users = list_users(ctx.engine, ctx.tenant)
st.dataframe(
    pd.DataFrame(users, columns=["email", "name", "role", "created_at"]),
    hide_index=True,
    column_config={"email": "Email", "name": "Name", "role": "Role", "created_at": "Created"},
)
st.caption("Adding users and changing roles here is coming soon; use `aispend user add` for now.")

st.subheader("Manual entries")
entries = list_entries(ctx.engine, ctx.tenant)
if not entries:
    st.info("No manual entries yet. Adding them from this page is coming soon.")
else:
    frame = pd.DataFrame(entries)
    frame["amount"] = frame["amount_micros"].map(usd)
    st.dataframe(
        frame[
            [
                "period_start",
                "period_end",
                "provider",
                "service",
                "amount",
                "charge_category",
                "member_name",
                "description",
                "created_by",
            ]
        ],
        hide_index=True,
    )
    st.caption("Editing manual entries here is coming soon.")

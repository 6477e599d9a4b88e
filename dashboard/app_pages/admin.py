"""Admin: what needs attention, and the way to each admin page."""

from __future__ import annotations

import streamlit as st

from dashboard.admin_page import admin_page
from dashboard.navigation import PAGES, page_path
from warehouse import identities, sync_status, users

ctx, actor = admin_page("Admin")

unlinked = identities.unlinked_accounts(ctx.engine, ctx.tenant, actor)
waiting = sum(len(group) for group in unlinked.values())
matches = sum(1 for group in unlinked.values() for a in group if a["possible_match"] is not None)
statuses = sync_status.tenant_statuses(ctx.engine, ctx.tenant, actor)
failing = sorted(source for source, state in statuses.items() if state.last_error)

left, middle, right = st.columns(3)
left.metric("Accounts waiting to be linked", waiting, help="discovered in vendor data")
middle.metric("Possible matches", matches, help="account email equals a member's email")
right.metric("Users", len(users.list_users(ctx.engine, ctx.tenant, actor)))
if failing:
    st.error(f"Last sync failed for: {', '.join(failing)}. See Vendors.")

st.subheader("Admin pages")
for spec in PAGES:
    if spec.admin_only and spec.url_path != "admin":
        st.page_link(page_path(spec.url_path), label=spec.title)

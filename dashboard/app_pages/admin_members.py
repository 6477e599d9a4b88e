"""Admin → Members & identities: the team, and which vendor account belongs to whom.

Vendors know people by email, login or API key; linking those accounts to members is what
puts a name on spend. Linking never rewrites history: facts stay keyed by account.
"""

from __future__ import annotations

import streamlit as st

from dashboard import launch_panel
from dashboard.admin_page import admin_page, attempt, done, plain
from dashboard.admin_tables import (
    account_label,
    linked_frame,
    member_label,
    members_frame,
    unlinked_frame,
)
from pipelines.launch import MARTS
from warehouse import identities, members

ctx, actor = admin_page(
    "Members & identities",
    "Link the accounts vendors report to the people on your team. "
    "A change to who is who refreshes the dashboard through Dagster.",
)
launch_panel.status(ctx, MARTS)  # the refresh a link, unlink or merge started


def changed(message: str) -> None:
    """A link, unlink or merge changed whose spend is whose: recompute the marts now (not only
    when a running ``aispend serve`` notices), then show the message."""
    launch_panel.refresh(ctx, actor, message)


team = members.list_members(ctx.engine, ctx.tenant, actor)
member_ids = [m["id"] for m in team]
member_names = {m["id"]: member_label(m) for m in team}
unlinked = identities.unlinked_accounts(ctx.engine, ctx.tenant, actor)
waiting = [a for group in unlinked.values() for a in group]

# -- accounts waiting to be linked ------------------------------------------------------------
st.header("Accounts to link")
if not waiting:
    st.success("Every account found in vendor data is linked to a member.")
else:
    for source, accounts in unlinked.items():
        st.subheader(f"{source} · {len(accounts)} unlinked")
        st.dataframe(unlinked_frame(accounts), hide_index=True)

    by_id = {a["id"]: a for a in waiting}
    account_id = st.selectbox(
        "Account",
        list(by_id),
        format_func=lambda i: account_label(by_id[i]),
        key="link_account",
    )
    chosen = by_id[account_id]
    suggested = chosen["possible_match"]
    link_col, create_col = st.columns(2)
    with link_col:
        member_id = st.selectbox(
            "Member",
            member_ids,
            index=member_ids.index(suggested) if suggested in member_ids else None,
            format_func=member_names.__getitem__,
            placeholder="Choose a member",
            key=f"link_member_{account_id}",  # a new account brings its own suggestion
        )
        if st.button("Link to member", disabled=member_id is None, type="primary"):
            ok, _ = attempt(
                identities.link_account, ctx.engine, ctx.tenant, actor, account_id, member_id
            )
            if ok:
                changed(
                    f"Linked {chosen['source']}:{chosen['account_key']} to {member_names[member_id]}."
                )
    with create_col:
        new_name = st.text_input(
            "New member's name",
            value=chosen["display_name"] or "",
            placeholder=chosen["account_key"].split("@")[0],
            key=f"new_member_name_{account_id}",
        )
        if st.button("Create a member from this account"):
            ok, new_id = attempt(
                identities.create_member_from_account,
                ctx.engine,
                ctx.tenant,
                actor,
                account_id,
                display_name=new_name.strip() or None,
            )
            if ok:
                changed(
                    f"Created a member from {chosen['source']}:{chosen['account_key']} and linked it."
                )
    matches = sum(1 for a in waiting if a["possible_match"] is not None)
    if matches and st.button(f"Link all {matches} possible matches"):
        ok, linked = attempt(identities.link_possible_matches, ctx.engine, ctx.tenant, actor)
        if ok:
            changed(f"Linked {len(linked)} account(s) to the member with the same email.")

# -- members ----------------------------------------------------------------------------------
st.header("Members")
if team:
    st.dataframe(members_frame(team), hide_index=True)
else:
    st.info("No members yet: add one below, or create one from an account above.")

with st.expander("Add a member"), st.form("member_create", clear_on_submit=True):
    name = st.text_input("Name")
    email = st.text_input("Email", help="Accounts with this email are offered as matches.")
    team_name = st.text_input("Team")
    if st.form_submit_button("Add member"):
        ok, _ = attempt(
            members.create_member,
            ctx.engine,
            ctx.tenant,
            actor,
            display_name=name,
            email=email or None,
            team=team_name or None,
        )
        if ok:
            done(f"Added {name.strip()}.")

if team:
    with st.expander("Edit a member"):
        edit_id = st.selectbox(
            "Member", member_ids, format_func=member_names.__getitem__, key="edit_member"
        )
        current = next(m for m in team if m["id"] == edit_id)
        with st.form(f"member_edit_{edit_id}"):
            name = st.text_input("Name", value=current["display_name"])
            email = st.text_input("Email", value=current["email"] or "")
            team_name = st.text_input("Team", value=current["team"] or "")
            if st.form_submit_button("Save member"):
                ok, _ = attempt(
                    members.edit_member,
                    ctx.engine,
                    ctx.tenant,
                    actor,
                    edit_id,
                    display_name=name,
                    email=email,
                    team=team_name,
                )
                if ok:
                    done(f"Saved {name.strip()}.")

# -- linked accounts --------------------------------------------------------------------------
linked = [
    a
    for a in identities.list_accounts(ctx.engine, ctx.tenant, actor)
    if a["member_id"] is not None and a["kind"] not in identities.NOT_PEOPLE
]
st.header("Linked accounts")
if not linked:
    st.info("No account is linked yet.")
else:
    st.dataframe(linked_frame(linked), hide_index=True)
    by_linked = {a["id"]: a for a in linked}
    unlink_id = st.selectbox(
        "Account to unlink",
        list(by_linked),
        format_func=lambda i: f"{account_label(by_linked[i])} → {by_linked[i]['member_name']}",
        key="unlink_account",
    )
    if st.button("Unlink"):
        ok, _ = attempt(identities.unlink_account, ctx.engine, ctx.tenant, actor, unlink_id)
        if ok:
            a = by_linked[unlink_id]
            changed(f"Unlinked {a['source']}:{a['account_key']} from {a['member_name']}.")

# -- merge ------------------------------------------------------------------------------------
if len(team) >= 2:
    st.header("Merge two members")
    st.caption(
        "For one person entered twice. Their accounts and manual entries move; no fact changes."
    )
    keep_col, remove_col = st.columns(2)
    keep_id = keep_col.selectbox(
        "Keep", member_ids, format_func=member_names.__getitem__, key="merge_keep"
    )
    remove_id = remove_col.selectbox(
        "Merge into it and remove",
        [i for i in member_ids if i != keep_id],
        format_func=member_names.__getitem__,
        key="merge_remove",
    )
    ok, preview = attempt(members.merge_preview, ctx.engine, ctx.tenant, actor, keep_id, remove_id)
    if ok and preview is not None:
        st.info(plain(preview.describe()))
        confirmed = st.checkbox("Yes, merge them", key=f"merge_confirm_{keep_id}_{remove_id}")
        if st.button("Merge", disabled=not confirmed):
            ok, moved = attempt(
                members.merge_members, ctx.engine, ctx.tenant, actor, keep_id, remove_id
            )
            if ok:
                changed(f"Merged: {moved.describe()}")

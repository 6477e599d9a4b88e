"""Admin → Users: who can sign in to the dashboard, with which role."""

from __future__ import annotations

import streamlit as st

from dashboard.admin_page import admin_page, attempt, done
from dashboard.admin_tables import users_frame
from warehouse import logins, users
from warehouse.actors import ROLES

ctx, actor = admin_page(
    "Users", "People who can sign in. Admins manage everything; viewers see the dashboards."
)
rows = users.list_users(ctx.engine, ctx.tenant, actor)
st.dataframe(users_frame(rows), hide_index=True)
emails = [u["email"] for u in rows]

st.subheader("Add a user")
with st.form("user_create", clear_on_submit=True):
    email = st.text_input("Email")
    name = st.text_input("Name", help="Shown in the sidebar; defaults to the email's first part.")
    role = st.selectbox("Role", ROLES, index=ROLES.index("viewer"))
    password = st.text_input(
        "Password", type="password", help="At least 8 characters, no space at either end."
    )
    if st.form_submit_button("Add user"):
        ok, _ = attempt(
            users.create_user,
            ctx.engine,
            ctx.tenant,
            actor,
            email=email,
            name=name.strip() or None,
            password=password,
            role=role,
        )
        if ok:
            done(f"Added {email.strip().lower()} as {role}.")

st.subheader("Change a role")
with st.form("user_role"):
    who = st.selectbox("User", emails, key="role_user")
    new_role = st.selectbox("New role", ROLES, key="role_new")
    if st.form_submit_button("Change role"):
        ok, _ = attempt(users.change_role, ctx.engine, ctx.tenant, actor, who, new_role)
        if ok:
            done(f"{who} is now {new_role}.")

st.subheader("Reset a password")
with st.form("user_password", clear_on_submit=True):
    who = st.selectbox("User", emails, key="password_user")
    first = st.text_input("New password", type="password")
    second = st.text_input("New password again", type="password")
    if st.form_submit_button("Reset password"):
        if first != second:
            st.error("The two passwords differ.")
        else:
            ok, _ = attempt(users.reset_password, ctx.engine, ctx.tenant, actor, who, first)
            if ok:
                done(f"Password of {who} reset.")

st.subheader("Locked accounts")
held = logins.locked_accounts(ctx.engine, ctx.tenant, actor)
if not held:
    st.caption("No account is locked or waiting after failed sign-ins.")
else:
    st.dataframe(held, hide_index=True)
    with st.form("user_unlock"):
        who = st.selectbox("Account", [h["email"] for h in held], key="unlock_user")
        if st.form_submit_button("Unlock"):
            ok, _ = attempt(logins.unlock_account, ctx.engine, ctx.tenant, actor, who)
            if ok:
                done(f"{who} can sign in again.")

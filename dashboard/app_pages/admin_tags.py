"""Admin → Tags: key=value tags on a vendor's accounts, API keys, workspaces and projects.

Spend by tag (Analytics) groups spend by them, with the vendor's own tags (FOCUS Tags) under
them: an assigned key replaces the vendor's value, and the narrowest dimension wins (API key,
account, project, workspace). The ``spend_by_tag`` mart follows a change within a minute.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.admin_page import admin_page, attempt, done
from warehouse import tags

DIMENSION_LABELS = {
    "project": "Project",
    "workspace": "Workspace",
    "api_key": "API key",
    "account": "Account",
}

ctx, actor = admin_page(
    "Tags",
    "Tag vendor projects, workspaces, API keys and accounts (e.g. team=search) to see spend "
    "by tag on Analytics. A tag set here replaces the vendor's own tag of the same key.",
)
assigned = tags.list_assignments(ctx.engine, ctx.tenant, actor)
found = tags.discovered_values(ctx.engine, ctx.tenant, actor)

if assigned:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "source": a["source"],
                    "on": DIMENSION_LABELS[a["dimension"]],
                    "value": a["dimension_value"],
                    "tag": f"{a['tag_key']}={a['tag_value']}",
                    "set by": a["created_by"],
                }
                for a in assigned
            ]
        ),
        hide_index=True,
    )
else:
    st.info("No tags yet. Add one below.")

st.subheader("Add a tag")
dimension = st.selectbox(
    "On", list(DIMENSION_LABELS), format_func=DIMENSION_LABELS.__getitem__, key="tag_dimension"
)
seen = found[dimension]
picked = st.selectbox(
    f"{DIMENSION_LABELS[dimension]} seen in vendor data",
    seen,
    format_func=lambda sv: f"{sv[0]} · {sv[1]}",
    index=0 if seen else None,
    key="tag_seen",
)
with st.expander("Not listed yet? Type the source and value"):
    typed_source = st.text_input("Source", placeholder="openai", key="tag_typed_source")
    typed_value = st.text_input("Value", placeholder="proj_abc", key="tag_typed_value")
tag_text = st.text_input("Tag", placeholder="team=search", key="tag_text")
if st.button("Add tag"):
    source, value = (typed_source, typed_value) if typed_value.strip() else (picked or ("", ""))
    ok, key_value = attempt(tags.parse_tag, tag_text)
    if ok and key_value is not None:
        ok, row = attempt(
            tags.set_tag, ctx.engine, ctx.tenant, actor, source=source, dimension=dimension,
            value=value, key=key_value[0], tag_value=key_value[1],
        )  # fmt: skip
        if ok and row is not None:
            done(
                f"Tagged {row['source']} {DIMENSION_LABELS[dimension].lower()} "
                f"{row['dimension_value']} with {row['tag_key']}={row['tag_value']}."
            )

if assigned:
    st.subheader("Remove a tag")
    which = st.selectbox(
        "Tag",
        assigned,
        format_func=lambda a: (
            f"{a['source']} · {DIMENSION_LABELS[a['dimension']]} "
            f"{a['dimension_value']} · {a['tag_key']}={a['tag_value']}"
        ),
        key="tag_remove",
    )
    if st.button("Remove tag"):
        ok, _ = attempt(
            tags.remove_tag, ctx.engine, ctx.tenant, actor, source=which["source"],
            dimension=which["dimension"], value=which["dimension_value"], key=which["tag_key"],
        )  # fmt: skip
        if ok:
            done(f"Removed {which['tag_key']} from {which['source']} {which['dimension_value']}.")

with st.expander("What can be tagged"):
    st.caption(
        "Projects and workspaces are the vendors' sub-accounts (e.g. OpenAI projects); API keys "
        "and accounts are the identities vendors attribute spend to."
    )
    for dim, label in DIMENSION_LABELS.items():
        values = found[dim]
        st.markdown(f"**{label}**: " + (", ".join(f"{s} · {v}" for s, v in values) or "none yet"))

"""The suggestion card on a page: whose card, the card itself, and a streaming "Regenerate".

``show_suggestion_panel(ctx, actor, period)`` is all a page calls. A viewer sees the card of
the member that is them (users map to members by email); an admin can look at anyone's.
Regenerate streams the new text as it arrives (``st.write_stream`` over the SDK's stream, or
the offline muse's words) with a playful line while waiting; if it fails, the previous card
stays and a quiet note says so.
"""

from __future__ import annotations

import streamlit as st

from dashboard.app_context import AppContext
from dashboard.components.suggestion_card import card_html, quiet_note, teaser_html, thinking_line
from dashboard.navigation import page_path
from dashboard.suggestion_queries import (
    MemberRef,
    list_members,
    member_for_email,
    suggestion_card,
)
from pipelines.suggestions.generate import Regeneration
from warehouse.actors import Actor
from warehouse.suggestion_config import get_config

REGENERATE_KEY = "aispend_regenerate"
NOTE_KEY = "aispend_suggestion_note"
OFFLINE_WORD_DELAY_S = 0.02


def _whose(ctx: AppContext, actor: Actor) -> MemberRef | None:
    own = member_for_email(ctx.engine, ctx.tenant.id, actor.email)
    if not actor.is_admin:
        return own
    members = list_members(ctx.engine, ctx.tenant.id)
    if not members:
        return None
    index = next((i for i, m in enumerate(members) if own and m.id == own.id), 0)
    return st.selectbox(
        "Suggestion for",
        members,
        index=index,
        format_func=lambda m: m.display_name,
        key="aispend_suggestion_member",
    )


def _regenerate(ctx: AppContext, actor: Actor, member: MemberRef, period: str) -> None:
    regeneration = Regeneration(
        ctx.engine,
        ctx.tenant,
        actor,
        member.id,
        period,
        get_config(ctx.engine, ctx.tenant),
        ctx.settings.anthropic_api_key,
        offline_delay_s=OFFLINE_WORD_DELAY_S,
    )
    waiting = st.empty()
    waiting.caption(thinking_line(f"{member.id}:{period}:{st.session_state.get(NOTE_KEY)}"))

    def chunks():
        for i, chunk in enumerate(regeneration):
            if i == 0:
                waiting.empty()
            yield chunk

    with st.container(border=True):
        st.write_stream(chunks())
    waiting.empty()
    st.session_state[NOTE_KEY] = regeneration.note
    st.rerun()  # show the saved card (or the previous one, with the note)


def show_suggestion_panel(
    ctx: AppContext, actor: Actor | None, period: str, member: MemberRef | None = None
) -> None:
    """The suggestion card for ``period`` ('YYYY-MM') of ``member`` (by default the signed-in
    person's; an admin picks anyone)."""
    if actor is None:
        return
    st.subheader("Your suggestion" if not actor.is_admin else "Suggestions")
    member = member or _whose(ctx, actor)
    if member is None:
        st.info(
            "Your personal suggestion appears here once an admin links your login email to a "
            "team member."
        )
        return
    if st.session_state.pop(REGENERATE_KEY, None) == (member.id, period):
        _regenerate(ctx, actor, member, period)
        return
    card = suggestion_card(ctx.engine, ctx.tenant.id, member.id, period)
    if card is None:
        st.caption("No suggestion for this month yet: the pipeline writes one every day.")
        return
    st.markdown(card_html(card), unsafe_allow_html=True)
    note = st.session_state.pop(NOTE_KEY, None) or quiet_note(card, is_admin=actor.is_admin)
    if note:
        st.caption(note)
    st.button(
        "Regenerate",
        key="aispend_regenerate_button",
        help="Ask for a fresh suggestion from the same numbers",
        on_click=lambda: st.session_state.__setitem__(REGENERATE_KEY, (member.id, period)),
    )


def show_suggestion_teaser(ctx: AppContext, actor: Actor | None, period: str) -> None:
    """One line of the signed-in person's suggestion, linking to the card on My progress."""
    own = member_for_email(ctx.engine, ctx.tenant.id, actor.email) if actor else None
    card = suggestion_card(ctx.engine, ctx.tenant.id, own.id, period) if own else None
    if card is None:
        return
    st.markdown(teaser_html(card), unsafe_allow_html=True)
    st.page_link(
        page_path("my-progress"), label="Your suggestion and badges on My progress", icon="✨"
    )

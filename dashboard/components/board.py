"""How the team board looks: KPI strip, vendor cards, member cards, the chart and the podium.

Everything from data is escaped; amounts are whole dollars at a glance with the exact figure
in the tooltip. Colours come from one colour-blind-safe palette (Okabe–Ito), per tool.
"""

from __future__ import annotations

import html

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.board_queries import RANKED_BY, Board, MemberCard
from dashboard.formatting import month_label, tokens_short, usd, usd_whole
from dashboard.theme import OKABE_ITO

PALETTE = OKABE_ITO  # distinguishable with the common colour-vision deficiencies
DOTS = {  # Okabe–Ito too (no red/green pair); each dot also says what it means
    "fresh": ("#009E73", "fresh"),
    "stale": ("#E69F00", "a few hours old"),
    "old": ("#D55E00", "over a day old"),
    "never": ("#999999", "never synced"),
    "manual": ("#999999", "manual"),
}
MEDALS = ("🥇", "🥈", "🥉")


def tool_colours(board: Board) -> dict[str, str]:
    tools = sorted({p.tool for m in board.members for p in m.tools})
    return {tool: PALETTE[i % len(PALETTE)] for i, tool in enumerate(tools)}


def kpi_strip(board: Board) -> None:
    change = board.mom_change_percent
    cols = st.columns(4)
    cols[0].metric(
        f"Billed spend, {month_label(board.period)}",
        usd_whole(board.spend_micros),
        delta=f"{change:+.1f} % vs last month" if change is not None else None,
        delta_color="off",
        help=f"Exactly {usd(board.spend_micros)}",
    )
    cols[1].metric("Tokens", tokens_short(board.tokens), help="~ means the vendors did not say")
    cols[2].metric("Active members", f"{board.active_members}")
    per = board.spend_per_active_member_micros
    cols[3].metric(
        "Per active member",
        usd_whole(per) if per is not None else "—",
        help=f"Exactly {usd(per)}" if per is not None else None,
    )


def _age(board_vendor) -> str:
    if board_vendor.last_success_at is None:
        return "no sync yet"
    hours = (
        pd.Timestamp.now(tz="UTC") - pd.Timestamp(board_vendor.last_success_at)
    ).total_seconds() / 3600
    if board_vendor.freshness == "manual":
        return f"manual · {int(hours // 24)} days ago"
    return f"synced {int(hours)} h ago" if hours >= 1 else "synced just now"


def vendor_cards(board: Board, refreshing: frozenset[str] = frozenset()) -> None:
    """A card per vendor; ``refreshing``: sources being refreshed in the background now."""
    if not board.vendors:
        return
    cols = st.columns(min(4, len(board.vendors)))
    for i, v in enumerate(board.vendors):
        colour, word = DOTS.get(v.freshness, DOTS["never"])
        if v.source in refreshing:
            word = f"{word} · refreshing"
        # Seats are accounts paying the vendor's seat fee this month, used or not.
        seats = (
            f' · <span title="Accounts paying a seat fee this month, used or not">'
            f"{v.seats} paid seats</span>"
            if v.seats
            else ""
        )
        cols[i % len(cols)].markdown(
            '<div class="aispend-vendor-card" style="border:1px solid #e6ded3;border-radius:12px;'
            'padding:12px 14px;margin-bottom:8px">'
            f'<div style="font-weight:600">{html.escape(v.source)} '
            f'<span title="{html.escape(word)}" style="color:{colour}">●</span></div>'
            f'<div style="font-size:1.4rem" title="Exactly {usd(v.spend_micros)}">'
            f"{usd_whole(v.spend_micros)}</div>"
            f'<div style="color:#6b6259;font-size:0.85rem">{tokens_short(v.tokens)} tokens{seats}'
            f" · {html.escape(_age(v))}{' · refreshing…' if v.source in refreshing else ''}"
            "</div></div>",
            unsafe_allow_html=True,
        )


def _pill(tool: str, colour: str, active: bool, title: str) -> str:
    opacity = "1" if active else "0.35"
    return (
        f'<span title="{html.escape(title)}" style="display:inline-block;margin:2px 4px 2px 0;'
        f"padding:1px 8px;border-radius:10px;font-size:0.78rem;background:{colour};"
        f'color:#1d1d1d;opacity:{opacity}">{html.escape(tool)}</span>'
    )


def member_card_html(card: MemberCard, colours: dict[str, str], teaser: str = "") -> str:
    border = "2px solid #e07a2f" if card.is_me else "1px solid #e6ded3"
    pills = "".join(
        _pill(
            p.tool,
            colours.get(p.tool, PALETTE[-1]),
            p.active,
            f"{p.tool}: {usd(p.spend_micros)}" if p.active else f"{p.tool}: seat not used",
        )
        for p in card.tools
    )
    badges = " ".join(html.escape(b) for b in card.badges)
    me = " (you)" if card.is_me else ""
    return (
        f'<div class="aispend-member-card" style="border:{border};border-radius:12px;'
        'padding:10px 12px;margin-bottom:8px">'
        f'<div style="font-weight:600">{html.escape(card.name)}{me}</div>'
        f'<div style="font-size:1.3rem" title="Exactly {usd(card.spend_micros)}">'
        f"{usd_whole(card.spend_micros)}"
        f' <span style="font-size:0.8rem;color:#6b6259">{tokens_short(card.tokens)} tokens</span>'
        f"</div><div>{pills}</div>"
        + (f'<div style="font-size:0.78rem;color:#6b6259">🏅 {badges}</div>' if badges else "")
        + (teaser or "")
        + "</div>"
    )


def member_cards(board: Board, cards: tuple[MemberCard, ...], teasers: dict[int, str]) -> None:
    """``cards`` (some of the board's members), coloured as the whole board is."""
    colours = tool_colours(board)
    cols = st.columns(3)
    for i, card in enumerate(cards):
        cols[i % 3].markdown(
            member_card_html(card, colours, teasers.get(card.member_id, "")),
            unsafe_allow_html=True,
        )


def member_chart(board: Board, cards: tuple[MemberCard, ...]) -> None:
    """A bar per member of ``cards``, coloured per tool as the whole board is."""
    rows = [
        {
            "member": m.name,
            "tool": p.tool,
            "spend": p.spend_micros / 1_000_000,
            "exact": usd(p.spend_micros),
        }
        for m in cards
        for p in m.tools
        if p.active and p.spend_micros
    ]
    if not rows:
        st.caption("No billed spend per member this month.")
        return
    colours = tool_colours(board)
    order = [m.name for m in cards]
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            y=alt.Y("member:N", sort=order, title=None),
            x=alt.X("sum(spend):Q", title="Billed ($)"),
            color=alt.Color(
                "tool:N",
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(title="Tool", orient="bottom"),
            ),
            tooltip=["member", "tool", alt.Tooltip("exact:N", title="billed")],
        )
        .properties(height=max(120, 28 * len(order)))
    )
    st.altair_chart(chart, width="stretch")


def _podium_figure(board: Board, card: MemberCard) -> str:
    """The figure the podium ranks by: tokens when ranked by tokens, billed spend otherwise."""
    if board.ranked_by == "tokens":
        return f"{tokens_short(card.tokens or 0)} tokens"
    return usd_whole(card.spend_micros)


def podium(board: Board) -> None:
    if not board.podium:
        return
    st.subheader("Leaderboard")
    st.caption(f"ranked by {RANKED_BY.get(board.ranked_by, board.ranked_by)}")
    # One element for the whole podium (laid out as the row-per-element one was): each
    # markdown element costs the browser a parse and a render of its own, and the podium
    # arrives just after the chart, while the chart is being drawn (a cold sign-in's profile).
    rows = []
    for card in board.podium:
        place = MEDALS[card.rank - 1] if card.rank and card.rank <= 3 else f"#{card.rank}"
        arrow = (
            f'<span style="color:#1a9850">▲{card.climb}</span>'
            if card.climb
            else '<span style="color:#999999">—</span>'
        )
        weight = "700" if card.is_me else "400"
        rows.append(
            f'<div class="aispend-podium-row" style="font-weight:{weight}">{place} '
            f"{html.escape(card.name)} · {_podium_figure(board, card)} {arrow}</div>"
        )
    st.markdown("\n".join(rows), unsafe_allow_html=True)

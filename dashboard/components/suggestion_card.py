"""The suggestion card, rendered: pure functions from a ``SuggestionCard`` to HTML and text.

No Streamlit here, so the card can move to any page (My progress, member cards) and be tested
as a string. Every value that came from data or from the model is HTML-escaped. Growth only:
a rank climb gets a green arrow; nothing can show a fall.
"""

from __future__ import annotations

import hashlib
import html
from decimal import Decimal, InvalidOperation

from dashboard.formatting import month_label
from dashboard.suggestion_queries import SuggestionCard

BRAND_GRADIENT = "linear-gradient(135deg, #2b1055 0%, #7b2ff7 55%, #f107a3 100%)"
THINKING_COPY = (
    "Consulting the token oracle…",
    "Counting your saved hours on a very fast abacus…",
    "Asking Claude for something witty…",
    "Polishing a fresh idea until it sparkles…",
    "Rummaging through this month's numbers for a good one…",
    "Warming up the idea kettle…",
    "Teaching a rubber duck to give advice…",
)
TEASER_CHARS = 90


def thinking_line(seed: str) -> str:
    """A playful "thinking" line, stable for a given seed (e.g. member and period)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return THINKING_COPY[digest[0] % len(THINKING_COPY)]


def teaser(text: str, limit: int = TEASER_CHARS) -> str:
    """The first sentence, cut at a word boundary with an ellipsis when over ``limit``."""
    text = " ".join(text.split())
    for end in (". ", "! ", "? ", " — "):
        if end in text[: limit + 1]:
            text = text[: text.index(end) + 1].rstrip(" —")
            break
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


def _hours(value: object) -> str | None:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if hours < 1:
        return None
    return f"~{hours.quantize(Decimal(1)):,} h saved (est.)"


def chips(facts: dict) -> list[str]:
    """Short facts under the text: time saved, active days, rank (with a climb arrow)."""
    out = []
    hours = _hours(facts.get("time_saved_hours_estimate"))
    if hours:
        out.append(hours)
    days = facts.get("active_days") or 0
    if days:
        out.append(f"{days} active day{'s' if days != 1 else ''}")
    rank, ranked = facts.get("rank"), facts.get("members_ranked")
    if rank and ranked:
        climb = facts.get("rank_climb")
        out.append(f"#{rank} of {ranked}" + (f" ▲{climb}" if climb else ""))
    return out


def byline(card: SuggestionCard) -> str:
    if card.suggestion.generator == "llm":
        return f"written by Claude ({card.suggestion.model})"
    return "written by aispend's offline muse"


def card_html(card: SuggestionCard) -> str:
    """The branded, screenshot-ready card as one HTML block (inline styles only)."""
    chip_html = "".join(
        '<span style="display:inline-block;margin:0 6px 6px 0;padding:3px 10px;'
        "border-radius:999px;background:rgba(255,255,255,0.16);font-size:0.8rem;"
        f'color:{"#7CFFB2" if "▲" in c else "#fff"}">{html.escape(c)}</span>'
        for c in chips(card.suggestion.inputs)
    )
    return (
        '<div class="aispend-suggestion-card" style="border-radius:18px;padding:22px 26px;'
        f"background:{BRAND_GRADIENT};color:#fff;box-shadow:0 8px 28px rgba(43,16,85,0.35);"
        'font-family:inherit;margin:8px 0 12px 0">'
        '<div style="font-size:0.78rem;letter-spacing:0.08em;text-transform:uppercase;'
        f'opacity:0.85">✦ {html.escape(card.member_name)} · '
        f"{html.escape(month_label(card.suggestion.period))}</div>"
        '<div style="font-size:1.35rem;line-height:1.45;font-weight:600;margin:10px 0 14px 0">'
        f"{html.escape(card.suggestion.text)}</div>"
        f"<div>{chip_html}</div>"
        '<div style="font-size:0.72rem;opacity:0.75;margin-top:6px">'
        f"{html.escape(byline(card))} · aispend</div>"
        "</div>"
    )


def teaser_html(card: SuggestionCard) -> str:
    """A one-line teaser for a member card: "✦ With the 14 hours Claude saved you…"."""
    return (
        '<div class="aispend-suggestion-teaser" style="font-size:0.85rem;color:#7b2ff7;'
        'white-space:nowrap;overflow:hidden;text-overflow:ellipsis">'
        f"✦ {html.escape(teaser(card.suggestion.text))}</div>"
    )


def quiet_note(card: SuggestionCard, *, is_admin: bool) -> str | None:
    """One quiet line when the last attempt to refresh this suggestion failed."""
    if card.error_kind is None:
        return None
    at = card.suggestion.generated_at
    when = f"{at.day} {at:%b}"
    note = f"Fresh ideas are taking a breather; this one is from {when}."
    if is_admin:
        note += f" (last attempt: {card.error_kind.replace('_', ' ')})"
    return note

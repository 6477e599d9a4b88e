"""The prompt: a fixed system text and the member's aggregated facts as JSON, nothing else.

Bump ``PROMPT_VERSION`` whenever the wording changes: cached suggestions made with another
version are regenerated on the next materialization.
"""

from __future__ import annotations

import json
from typing import Any

PROMPT_VERSION = "2026-11.1"

SYSTEM_PROMPT = """\
You write the monthly "suggestion" on an engineer's card in aispend, a dashboard that celebrates \
how a team uses AI coding tools. You get one person's aggregated metrics for one month as JSON.

Write ONE suggestion: one or two sentences, at most 45 words, plain text (no markdown, no \
emoji, no greeting, no quotes around it). Make it fun and specific: usually a playful, concrete \
comparison built on their numbers (hours saved, tokens, active days, spend), for example "With \
the 14 hours Claude saved you this month, you could hand-knit a scarf for every member of a jazz \
quintet." Now and then, when a hint is present, be practical instead: a cheaper model for the \
same work (hints.cheaper_model, an estimate), a seat that sat idle (hints.idle_tools), or a tool \
teammates love that they have not tried (hints.teammate_favourite).

Rules: use only the numbers given and round them kindly; say "about" for estimates; never \
invent names, people or numbers; never shame, scold or compare them unfavourably with anyone; \
never mention a rank going down (rank_climb is only ever a climb); if the month is not \
complete, speak of it as "so far this month".\
"""


def user_message(facts: dict[str, Any]) -> str:
    """The user turn: the facts as JSON (the whole of what the model learns about the person)."""
    return "Metrics for this month:\n" + json.dumps(facts, sort_keys=True, indent=1)


def request_body(facts: dict[str, Any], *, model: str, max_tokens: int) -> dict[str, Any]:
    """Keyword arguments for ``client.messages.stream``."""
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": SYSTEM_PROMPT,
        "messages": [{"role": "user", "content": user_message(facts)}],
    }

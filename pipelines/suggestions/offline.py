"""The offline muse: a deterministic suggestion from curated templates, no API key needed.

Same facts (and variant) in, same text out, on every machine: choices come from a SHA-256 of the
facts, never from ``random``'s global state or ``hash()``. It reads exactly the facts the LLM
would get, and plays the same game: usually a playful comparison built on the numbers, now and
then something practical (a cheaper model, an idle seat, a tool teammates love).
"""

from __future__ import annotations

import hashlib
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pipelines.suggestions.inputs import inputs_hash

OFFLINE_MODEL = "offline-muse-1"  # the "model" recorded for offline suggestions (bump on edits)

# (what you could do, hours it takes). "{n}" is filled with how many times the hours allow.
HOUR_FEATS: tuple[tuple[str, float], ...] = (
    ("hand-knit a scarf for every member of a {group}", 8),
    ("watch the extended Lord of the Rings trilogy {times}", 11.4),
    ("bake {n} loaves of sourdough, proofing included", 6),
    ("fly from London to Sydney {times}", 22),
    ("stroll {n} marathons, stopping for ice cream", 6),
    ("listen to Abbey Road {times}", 0.8),
    ("assemble {n} flat-pack wardrobes without losing a single screw", 3),
    ("finish {n} 1,000-piece jigsaw puzzles", 10),
    ("learn {n} card tricks well enough to fool your manager", 2),
    ("perform Beethoven's Ninth {times}", 1.2),
    ("grow a respectable chilli plant from seed — {n} times over", 40),
    ("read The Hobbit aloud {times}", 10),
    ("teach {n} people to juggle three balls", 4),
    ("paint {n} small watercolours of your rubber duck", 1.5),
)
GROUPS = (
    (2, "folk duo"),
    (3, "power trio"),
    (4, "string quartet"),
    (5, "jazz quintet"),
    (7, "a cappella septet"),
    (8, "rowing eight"),
    (11, "football team"),
    (15, "rugby union side"),
    (40, "marching band"),
)
HOUR_FRAMES = (
    "With the {hours} your AI tools saved you {when}, you could {feat}.",
    "About {hours} back in your pocket {when} — enough to {feat}.",
    "Your AI sidekicks bought you roughly {hours} {when}. Suggested use: {feat}.",
    "{Hours} saved {when}, give or take. That's time to {feat}.",
)
# (what, tokens in one). Token counts are rough English-text estimates.
TOKEN_THINGS = (
    ("copies of Moby-Dick", 280_000),
    ("readings of The Great Gatsby", 65_000),
    ("complete works of Shakespeare", 1_200_000),
    ("Hitchhiker's Guides to the Galaxy", 62_000),
    ("sonnets", 150),
    ("haiku", 20),
    ("recipes for perfect pancakes", 400),
    ("War and Peaces", 780_000),
)
TOKEN_FRAMES = (
    "You put about {tokens} tokens to work {when} — roughly {n} {thing}, and no whales were harmed.",
    "{Tokens} tokens {when}: that's the length of {n} {thing}, written alongside you.",
    "Token tally {when}: about {tokens}, or {n} {thing}. Your AI pair has been busy.",
)
DAY_FRAMES = (
    "{days} active days with your AI tools {when}: your streak is starting to look like a habit.",
    "You showed up with an AI pair on {days} days {when} — consistency is a superpower.",
    "{days} days of AI-assisted shipping {when}; future-you is already grateful.",
)
TOOL_FRAMES = (
    "{tools} tools in rotation {when}, led by {top}: you're assembling quite the workshop.",
    "{top} did the heavy lifting {when}, with {others} as the supporting cast.",
    "A {tools}-tool orchestra {when}, with {top} on first violin and {others} keeping time.",
    "{top} headlined {when}; {others} opened the show. Encore next month?",
)
SPEND_FRAMES = (
    "You invested {spend} in AI tools {when} — about {coffees} flat whites' worth of pair programming.",
    "{spend} {when} bought an always-awake pair programmer; that's roughly {coffees} coffees, minus the jitters.",
)
CHEAPER_FRAMES = (
    "Practical corner: moving some {src} work to {dst} could have saved about ${saving} {when} — same vibes, smaller bill.",
    "A thrifty thought: {dst} handles plenty of what went to {src}, for about ${saving} less {when} (an estimate).",
)
IDLE_FRAMES = (
    "Your {tool} seat had a quiet time {when} — take it for a spin, or tell an admin it could go to someone who'd love it.",
    "The {tool} seat is feeling a little lonely {when}; a quick session might surprise you.",
    "Psst: your {tool} seat sat idle {when}. Give it a spin — or free it for a teammate who'd use it.",
)
TEAMMATE_FRAMES = (
    "Your teammates can't stop raving about {tool}; alongside your {top}, it might be worth an afternoon's test drive.",
    "Team tip: {tool} is a favourite among your teammates {when} — maybe borrow their best prompt.",
    "Your team has been quietly falling for {tool} {when}. Worth a spin next to {top}?",
    "Overheard at stand-up: {tool} is the team's darling {when}. An hour with it could pay off.",
)
QUIET_FRAMES = (
    "A quiet month with AI tools {when} — your first prompt is one keystroke away, and the autocomplete is lonely.",
    "Nothing logged {when} yet: the AI pair is warmed up and waiting whenever you are.",
    "A fresh page {when}. Try an AI pair on your next chore and see what it saves you.",
)
CLIMB_OPENERS = (
    "Up {n} {places} on the leaderboard! ",
    "{n} {places} higher than last month — nice climb. ",
)
BADGE_OPENERS = ("New badge: {badge}! ", "Fresh badge in the cabinet: {badge}. ")


def _rng(facts: dict[str, Any], variant: int) -> random.Random:
    digest = hashlib.sha256(f"{inputs_hash(facts)}:{variant}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def _number(value: Decimal) -> str:
    if value >= 10:
        return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _tokens(count: int) -> str:
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if count >= size:
            return f"{_number(Decimal(count) / size)}{suffix}"
    return str(count)


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def _hours_line(rng: random.Random, hours: Decimal, when: str) -> str:
    def times(per: float) -> int:
        return int(hours / Decimal(str(per)))

    # Feats the hours allow at least twice over (a group needs a duo); else the ones that read
    # well once ("listen to Abbey Road once").
    fitting = [(f, p) for f, p in HOUR_FEATS if times(p) >= 2] or [
        (f, p) for f, p in HOUR_FEATS if "{times}" in f and times(p) >= 1
    ]
    feat, per = rng.choice(fitting)
    n = times(per)
    if "{group}" in feat:
        feat = feat.format(group=[g for size, g in GROUPS if size <= n][-1])
    else:
        feat = feat.format(n=f"{n:,}", times=_times(n))
    number = _number(hours).removesuffix(".0")
    shown = f"{number} hour" + ("" if number == "1" else "s")
    frame = rng.choice(HOUR_FRAMES)
    return frame.format(hours=shown, Hours=shown, when=when, feat=feat)


def _tokens_line(rng: random.Random, tokens: int, when: str) -> str:
    fitting = [(t, size) for t, size in TOKEN_THINGS if 2 <= tokens // size <= 20_000] or [
        (t, size) for t, size in TOKEN_THINGS if tokens >= size
    ]
    thing, size = rng.choice(fitting)
    n = f"{tokens // size:,}"
    shown = _tokens(tokens)
    return rng.choice(TOKEN_FRAMES).format(tokens=shown, Tokens=shown, when=when, n=n, thing=thing)


def _practical_lines(facts: dict[str, Any], when: str) -> list[tuple[tuple[str, ...], dict]]:
    hints = facts.get("hints") or {}
    options: list[tuple[tuple[str, ...], dict]] = []
    cheaper = hints.get("cheaper_model")
    if cheaper:
        fields = {
            "src": cheaper["from"],
            "dst": cheaper["to"],
            "saving": cheaper["saving_usd_estimate"],
        }
        options.append((CHEAPER_FRAMES, {**fields, "when": when}))
    for tool in hints.get("idle_tools") or []:
        options.append((IDLE_FRAMES, {"tool": tool, "when": when}))
    if hints.get("teammate_favourite"):
        tools = facts.get("tools") or []
        top = tools[0]["name"] if tools else "usual setup"
        fields = {"tool": hints["teammate_favourite"], "when": when, "top": top}
        options.append((TEAMMATE_FRAMES, fields))
    return options


def offline_suggestion(facts: dict[str, Any], variant: int = 0) -> str:
    """A suggestion for ``facts`` (``MemberMonth.facts()``); another ``variant``, another text."""
    rng = _rng(facts, variant)
    when = "so far this month" if not facts.get("month_complete") else f"in {facts['month_label']}"
    hours = Decimal(str(facts.get("time_saved_hours_estimate") or "0"))
    tokens = int(facts.get("tokens") or 0)
    days = int(facts.get("active_days") or 0)
    spend = Decimal(str(facts.get("spend_usd") or "0"))
    tools = facts.get("tools") or []

    lines: list[str] = []
    if hours >= 1:
        lines.append(_hours_line(rng, hours, when))
    if tokens >= 20:
        lines.append(_tokens_line(rng, tokens, when))
    if days >= 3:
        lines.append(rng.choice(DAY_FRAMES).format(days=days, when=when))
    if len(tools) >= 2:
        others = " and ".join(t["name"] for t in tools[1:3])
        frame = rng.choice(TOOL_FRAMES)
        lines.append(frame.format(tools=len(tools), top=tools[0]["name"], others=others, when=when))
    if spend >= 5:
        coffees = f"{int(spend / Decimal('4.5')):,}"
        lines.append(
            rng.choice(SPEND_FRAMES).format(spend=f"${spend:,}", when=when, coffees=coffees)
        )
    practical = _practical_lines(facts, when)
    # Usually fun, occasionally practical (always practical when there is nothing fun to say).
    if practical and (not lines or rng.random() < 0.3):
        frames, fields = rng.choice(practical)
        text = rng.choice(frames).format(**fields)
    elif lines:
        text = rng.choice(lines)
    else:
        text = rng.choice(QUIET_FRAMES).format(when=when)

    opener = ""
    climb = facts.get("rank_climb")
    badges = facts.get("badges") or []
    if climb and rng.random() < 0.6:
        places = "place" if climb == 1 else "places"
        opener = rng.choice(CLIMB_OPENERS).format(n=climb, places=places)
    elif badges and rng.random() < 0.6:
        opener = rng.choice(BADGE_OPENERS).format(badge=rng.choice(badges))
    return opener + text

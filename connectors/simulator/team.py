"""A generated engineering team for the vendor simulator, and deterministic randomness.

``generate_team(seed, members)`` gives every member a name, an email and the identifiers each
simulated vendor needs (Anthropic user and API key ids, Cursor's two id namespaces), all
derived from the seed so the same seed always gives the same team. ``rng_for(seed, ...)``
gives a ``random.Random`` per (vendor, member, day, ...) so a vendor can generate any day on
demand without storing a dataset: 1,000 members x 90 days costs nothing until it is asked for.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

FIRST_NAMES = (
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
    "Dennis", "Radia", "Ken", "Hedy", "Tim", "Katherine", "Linus", "Sophie", "Guido", "Karen",
    "Niklaus", "Lynn", "Bjarne", "Joan", "Leslie", "Shafi", "Tony", "Anita", "Vint", "Mary",
    "Claude", "Annie", "Brian", "Evelyn", "Robin", "Jean", "Ivan", "Adele", "Butler", "Fran",
    "Whitfield",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy",
    "Hamilton", "Ritchie", "Perlman", "Thompson", "Lamarr", "Berners-Lee", "Johnson",
    "Torvalds", "Wilson", "Rossum", "Jones", "Wirth", "Conway", "Stroustrup", "Clarke",
    "Lamport", "Goldwasser", "Hoare", "Borg", "Cerf", "Keller", "Shannon", "Easley",
    "Kernighan", "Boyd", "Milner", "Sammet", "Sutherland", "Goldberg", "Lampson", "Diffie",
    "Bartik",
)  # fmt: skip
DEVICES = ("laptop", "desktop", "ci", "dev", "workstation")
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as in ULID-style ids
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SimMember:
    """One generated team member and their identifier in every simulated vendor."""

    index: int
    name: str
    email: str
    anthropic_user_id: str  # "user_01..." (Anthropic users, usage report account_id)
    api_key_id: str  # "apikey_01..." (Anthropic API keys, usage report api_key_id)
    api_key_name: str  # e.g. "ada-lovelace-laptop" (Claude Code api_actor)
    cursor_user_id: str  # "user_..." encoded string (Cursor members/spend)
    cursor_numeric_id: int  # numeric id (Cursor daily-usage userId)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def rng_for(seed: int, *parts: object) -> random.Random:
    """A ``random.Random`` determined by (seed, *parts), e.g. ``rng_for(7, "cursor", 3, day)``."""
    return random.Random(int.from_bytes(_digest("rng", seed, *parts)[:16], "big"))


def _encode(data: bytes, alphabet: str, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, len(alphabet))
        chars.append(alphabet[rem])
    return "".join(chars)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def generate_team(seed: int, members: int) -> list[SimMember]:
    """A deterministic team of ``members`` people (``"Ada Lovelace"`` / ``ada.lovelace@example.com``).

    Names are drawn without repetition from 1,600 combinations; beyond that a number is added
    (``ada.lovelace2@example.com``). Identifiers are unique within the team.
    """
    if members < 0:
        raise ValueError("members must be >= 0")
    combos = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    random.Random(int.from_bytes(_digest("team", seed), "big")).shuffle(combos)
    team: list[SimMember] = []
    used_numeric: set[int] = set()
    for index in range(members):
        first, last = combos[index % len(combos)]
        round_no = index // len(combos)
        suffix = str(round_no + 1) if round_no else ""
        name = f"{first} {last}" + (f" {suffix}" if suffix else "")
        local = f"{_slug(first)}.{_slug(last)}{suffix}"
        digest = _digest("member", seed, index)
        numeric = 10_000_000 + int.from_bytes(digest[:4], "big") % 89_000_000
        while numeric in used_numeric:
            numeric += 1
        used_numeric.add(numeric)
        team.append(
            SimMember(
                index=index,
                name=name,
                email=f"{local}@example.com",
                anthropic_user_id="user_01" + _encode(digest[:16], _ALPHABET, 22),
                api_key_id="apikey_01" + _encode(digest[16:32], _ALPHABET, 22),
                api_key_name=f"{local.replace('.', '-')}-{DEVICES[digest[4] % len(DEVICES)]}",
                cursor_user_id="user_" + _encode(_digest("cursor", seed, index), _ALNUM, 26),
                cursor_numeric_id=numeric,
            )
        )
    return team

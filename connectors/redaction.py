"""Secrets out of every message: redaction (before any cut) and shortening.

A secret is replaced wherever it appears, raw or Basic-auth encoded, and any leading run of
``MIN_SECRET_PREFIX`` or more of its characters counts as the secret, so a cut-off key in an
echoed error body is caught too. ``shorten`` redacts first and cuts afterwards.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
MIN_SECRET_PREFIX = 8  # this many leading characters of a secret are treated as the secret


def _secret_forms(secret: str) -> list[str]:
    """The ways a secret can show up in text: raw, Basic-auth encoded, URL-encoded."""
    forms = {
        secret,
        base64.b64encode(f"{secret}:".encode()).decode(),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    return [f for f in forms if len(f) >= 4]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (at least 4 characters long) in ``text`` with ``[REDACTED]``.

    Also catches the secret's HTTP Basic form ``base64("secret:")`` (Cursor's API key is sent
    as a Basic-auth username) and its URL-encoded form (a secret in a query string), and a
    secret cut short (by a vendor's or anyone's truncation): any run of at least
    ``MIN_SECRET_PREFIX`` leading characters of one of those forms is redacted too.
    """
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(str(secret)) >= 4:
            forms.update(_secret_forms(str(secret)))
    # Longest first, so a secret that contains another one is replaced whole.
    ordered = sorted(forms, key=len, reverse=True)
    for form in ordered:
        text = text.replace(form, REDACTED)
    for form in ordered:
        if len(form) >= MIN_SECRET_PREFIX:
            text = _redact_prefixes(text, form)
    return text


def _redact_prefixes(text: str, form: str) -> str:
    """Redact every place ``text`` holds the first ``MIN_SECRET_PREFIX`` or more characters of
    ``form`` (a secret cut off by truncation)."""
    head = form[:MIN_SECRET_PREFIX]
    out: list[str] = []
    pos = 0
    while (hit := text.find(head, pos)) != -1:
        length = MIN_SECRET_PREFIX
        while (
            length < len(form) and hit + length < len(text) and text[hit + length] == form[length]
        ):
            length += 1
        out.append(text[pos:hit])
        out.append(REDACTED)
        pos = hit + length
    out.append(text[pos:])
    return "".join(out)


def shorten(text: str, limit: int, secrets: Iterable[str] = ()) -> str:
    """``text`` redacted, then cut to ``limit`` characters (an ellipsis marks the cut).

    Redaction comes first: cutting first would leave the part of a secret before the cut
    where the redaction no longer recognises it."""
    text = redact(text, secrets)
    if len(text) <= limit:
        return text
    cut = max(0, limit - 1)
    for start in range(max(0, cut - len(REDACTED) + 1), cut):
        if text.startswith(REDACTED, start):  # keep a marker the cut would split whole
            cut = start + len(REDACTED)
            break
    return text[:cut].rstrip() + "…"

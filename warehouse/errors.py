"""What a user got wrong, as opposed to what went wrong in aispend.

``UserError`` is the one base: the CLI prints any of them as a single ``error: …`` line and
exits non-zero, and the admin pages show them as a message. Services raise a subclass for bad
input (``InvalidInput``) or for something that does not exist (``NotFound``); a plain
``ValueError`` from deeper down is a bug, not a user mistake, and is not caught as one.
(``UserError`` derives from ``ValueError`` so callers that caught ``ValueError`` keep working.)
"""

from __future__ import annotations

import datetime as dt


class UserError(ValueError):
    """A mistake the user can fix; the message says what and where, and holds no secret."""


class InvalidInput(UserError):
    """A value is malformed, too long or out of range."""


class NotFound(UserError):
    """The named thing (tenant, member, connector, file…) does not exist."""


class WarehouseUnavailable(UserError):
    """The warehouse URL is malformed, its driver missing, or the database cannot be reached."""


def check_text(value: str | None, what: str, max_chars: int, *, required: bool = False) -> None:
    """Refuse a text longer than ``max_chars`` (or empty when ``required``), naming ``what``."""
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"{what} is required")
        return
    if len(value) > max_chars:
        raise InvalidInput(f"{what} is {len(value)} characters long; at most {max_chars} allowed")


def check_range(start: dt.date, end: dt.date, what: str = "the range") -> None:
    """Refuse a date range that ends before it starts."""
    if end < start:
        raise InvalidInput(f"{what} ends ({end}) before it starts ({start})")


def check_int(value: int, what: str, low: int, high: int) -> int:
    """``value`` if ``low <= value <= high``; otherwise ``InvalidInput`` naming ``what``."""
    if not low <= value <= high:
        raise InvalidInput(f"{what} must be between {low} and {high}, not {value}")
    return value

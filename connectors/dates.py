"""UTC days for connectors: ranges, windows, and the date shapes vendors send.

Every record a connector yields belongs to one UTC day. Vendors send days as ``YYYY-MM-DD``,
RFC 3339 timestamps, epoch seconds or epoch milliseconds (Cursor, as a string), and CSV
exports as ``MM-DD-YYYY`` (Amazon Q / Kiro); ``parse_day`` reads all of them.

This module imports nothing from aispend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from functools import lru_cache

EPOCH = dt.date(1970, 1, 1)
DAY_MS = 86_400_000
DAY_SECONDS = 86_400
#: ``parse_day`` tries these ``strptime`` formats after ISO dates and RFC 3339 timestamps.
EXTRA_DAY_FORMATS: tuple[str, ...] = ("%m-%d-%Y", "%m/%d/%Y")


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day of the inclusive range ``start..end``."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def day_windows(start: dt.date, end: dt.date, max_days: int) -> Iterator[tuple[dt.date, dt.date]]:
    """Split the inclusive range ``start..end`` into inclusive windows of at most ``max_days``."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    if end < start:
        return
    cur = start
    while cur <= end:
        stop = min(end, cur + dt.timedelta(days=max_days - 1))
        yield cur, stop
        cur = stop + dt.timedelta(days=1)


def iso_midnight(day: dt.date) -> str:
    """``2026-09-01`` → ``"2026-09-01T00:00:00Z"`` (the start of the UTC day, RFC 3339)."""
    return f"{day.isoformat()}T00:00:00Z"


def day_start_ms(day: dt.date) -> int:
    """Epoch milliseconds of the first instant of the UTC day."""
    return (day - EPOCH).days * DAY_MS


def day_end_ms(day: dt.date) -> int:
    """Epoch milliseconds of the last millisecond of the UTC day (for inclusive-end APIs)."""
    return day_start_ms(day) + DAY_MS - 1


def day_start_seconds(day: dt.date) -> int:
    """Epoch seconds of the first instant of the UTC day (OpenAI's ``start_time``)."""
    return (day - EPOCH).days * DAY_SECONDS


def day_of_epoch_ms(millis: int) -> dt.date:
    """The UTC day an epoch-milliseconds timestamp falls on."""
    return _epoch_day(millis // DAY_MS)


@lru_cache(maxsize=4096)
def _epoch_day(days_since_epoch: int) -> dt.date:
    # Cached: a page of events falls on a handful of days (dates are immutable).
    return EPOCH + dt.timedelta(days=days_since_epoch)


def day_of_epoch_seconds(seconds: int) -> dt.date:
    """The UTC day an epoch-seconds timestamp falls on."""
    return EPOCH + dt.timedelta(days=seconds // DAY_SECONDS)


def parse_day(text: str, formats: Sequence[str] = EXTRA_DAY_FORMATS) -> dt.date:
    """A UTC day from ``YYYY-MM-DD``, an RFC 3339 timestamp (converted to UTC) or ``formats``.

    Raises ``ValueError`` for anything else; ``PayloadReader.day`` turns that into a
    ``SchemaError`` naming the field.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date")
    value = text.strip()
    if len(value) == 10 and value[4] == "-":
        return dt.date.fromisoformat(value)
    if "T" in value or " " in value:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.UTC)
        return stamp.date()
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")

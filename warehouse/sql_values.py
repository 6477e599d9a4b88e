"""Values as both databases hand them back, made one type."""

from __future__ import annotations

import datetime as dt
from typing import Any


def as_date(value: Any) -> dt.date:
    """A DATE column's value: PostgreSQL returns a date; SQLite returns text for expressions
    (MIN over a UNION, GROUP BY results) — both become a ``datetime.date``."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])

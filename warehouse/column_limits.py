"""Text longer than its column is a user mistake, refused before it reaches the database.

Registered once on every ORM ``Session``: before a flush, each new or changed object's string
attributes are checked against their column's declared length, and ``InvalidInput`` names the
field (never its value). Without it PostgreSQL refuses with a ``DataError`` whose text carries
the whole row — a password hash included — while SQLite silently stores the oversize text.
"""

from __future__ import annotations

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from warehouse.errors import InvalidInput


def _field(table: str, column: str) -> str:
    noun = table[:-1] if table.endswith("s") else table
    return f"{noun.replace('_', ' ')} {column.replace('_', ' ')}"


@event.listens_for(Session, "before_flush")
def _check_lengths(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        mapper = inspect(obj).mapper
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            limit = getattr(column.type, "length", None)
            if not isinstance(column.type, String) or not limit:
                continue
            value = getattr(obj, attr.key, None)
            if isinstance(value, str) and len(value) > limit:
                raise InvalidInput(
                    f"{_field(column.table.name, column.name)} is {len(value)} characters long; "
                    f"at most {limit} allowed"
                )

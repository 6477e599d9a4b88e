"""Whether the live database itself enforces that some columns of a table are unique.

``enforces_unique(conn, table, columns)`` reads the database's catalog (not the models): True
when a unique constraint or a unique, non-partial index covers a subset of ``columns`` (a
subset unique makes the whole tuple unique). A check that would otherwise scan the table for
duplicates asks this first: where the database refuses a duplicate, none can be stored, and
where it does not (a constraint dropped by hand, a schema that drifted), the scan still runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from sqlalchemy import Connection, inspect
from sqlalchemy.exc import SAWarning


def enforces_unique(conn: Connection, table: str, columns: Iterable[str]) -> bool:
    wanted = set(columns)
    catalog = inspect(conn)
    with warnings.catch_warnings():
        # SQLite: SQLAlchemy skips an index on expressions (usage_facts' month index, migration
        # 0021) with a warning, printed in the middle of a sync; such an index constrains no
        # columns, so skipping it is the right answer here.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        constraints = catalog.get_unique_constraints(table)
        indexes = catalog.get_indexes(table)
    candidates = [c["column_names"] for c in constraints]
    candidates += [
        index["column_names"]
        for index in indexes
        if index.get("unique") and _whole_and_valid(index)
    ]
    # (an expression in an index is a None among its column names)
    return any(names and None not in names and set(names) <= wanted for names in candidates)


def _whole_and_valid(index: dict) -> bool:
    """Not partial (``WHERE ...`` leaves the rows outside it free to repeat) and not marked
    invalid (PostgreSQL: a failed concurrent build may have let duplicates in)."""
    options = index.get("dialect_options") or {}
    if options.get("postgresql_invalid"):
        return False
    return not any(key.endswith("_where") and value is not None for key, value in options.items())

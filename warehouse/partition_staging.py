"""A SQLite partition write staged in the connection's temporary tables, copied in at the end.

SQLite has one writer at a time. A partition write that inserted into the fact tables while
the connector streamed its pages would hold that one write lock for the whole fetch: every
other writer (a second source's sync in another process, an admin edit, a sync status) would
wait minutes or time out. So on SQLite ``warehouse.facts.replace_partition`` streams the rows
into ``temp`` tables of its own connection (private to it, no indexes, no lock on the
warehouse file, spilled to a temporary file beyond a small cache: memory stays flat), commits
that, and only then takes the write lock (``BEGIN IMMEDIATE``, waiting like any writer) for the
short part: delete the partition, ``INSERT … SELECT`` the staged rows (SQLite's own C loop: no
Python per row while the lock is held), totals and accounts, one commit. The warehouse sees
the partition replaced in that one transaction or not at all; the staging tables are dropped
either way. The copy names the columns the writer fills, so a column added to a fact table
(nullable or with a default) needs nothing here.

A partition's constant columns (tenant, source, run, ingestion time) are not staged: the copy's
``SELECT`` writes them, bound once (through the column type's own conversion, so the stored
values are the ones a per-row insert stores), instead of carrying them through every staged row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table

from warehouse.bulk_insert import bound_value


class StagedTable:
    """``temp.staged_<name>``: the columns ``columns`` of ``table``, without constraints.
    ``constants`` (column → value) are the same for every row: written by the copy alone."""

    def __init__(self, table: Table, columns: Sequence[str], constants: Mapping[str, Any] = {}):
        self.target = table
        self.columns = tuple(columns)
        self.constants = dict(constants)
        self.table = Table(
            f"staged_{table.name}",
            MetaData(),
            *(Column(name, table.c[name].type) for name in columns),
            schema="temp",
        )

    def create(self, conn: Connection) -> None:
        self.drop(conn)  # left over by a write on this connection that could not drop it
        self.table.create(conn, checkfirst=False)

    def copy_into_target(self, conn: Connection) -> None:
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        staged = ", ".join(quote(c) for c in self.columns)
        names = ", ".join(quote(c) for c in (*self.columns, *self.constants))
        values = [bound_value(self.target, name, dialect, v) for name, v in self.constants.items()]
        marks = "".join(", ?" for _ in values)
        conn.exec_driver_sql(
            f"INSERT INTO main.{quote(self.target.name)} ({names}) "
            f"SELECT {staged}{marks} FROM temp.{quote(self.table.name)}",
            tuple(values),
        )

    def drop(self, conn: Connection) -> None:
        # (SQLAlchemy's checkfirst does not see tables of the "temp" schema)
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{quote(self.table.name)}")


def commit_staging(conn: Connection) -> None:
    """Commits the staging rows written so far (``BulkInsert`` writes on the DBAPI connection,
    which SQLAlchemy's own transaction bookkeeping does not see)."""
    conn.commit()
    conn.connection.dbapi_connection.commit()


# How long a staged write waits for the write lock: another source's copy, or a long write.
LOCK_WAIT_MS = 300_000


def begin_immediate(conn: Connection) -> None:
    """Commits what ``conn`` did so far (staging only) and opens a transaction holding the
    write lock from its first statement: it waits for another writer (up to ``LOCK_WAIT_MS``)
    rather than failing when a snapshot it read turned stale."""
    commit_staging(conn)
    (wait,) = conn.exec_driver_sql("PRAGMA busy_timeout").one()
    conn.exec_driver_sql(f"PRAGMA busy_timeout={max(int(wait), LOCK_WAIT_MS)}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait)}")

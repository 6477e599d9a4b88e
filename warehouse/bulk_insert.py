"""Appending many rows to one table inside an open transaction, at the database's bulk speed.

``BulkInsert`` takes rows as tuples in a fixed column order and writes them on the
transaction's own DBAPI connection: ``COPY … FROM STDIN`` through psycopg on PostgreSQL, a
prepared ``INSERT`` run with the driver's ``executemany`` on SQLite. SQLAlchemy's Core
``insert`` spends more time per row building parameters than either database spends storing
it; this skips that and keeps exactly what it would have stored: each value goes through the
column type's own bind processor for the dialect (dates, timestamps, JSON, Numeric on SQLite),
so the stored values are the ones ``conn.execute(table.insert(), rows)`` writes. A column named
in ``serialized`` takes its values as the database's text already (a JSON document the caller
wrote exactly) and skips that conversion.

Nothing is committed here: the caller's transaction decides, so a failure rolls back every
row written through it along with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Table


class BulkInsert:
    """Writes tuples of ``columns`` (in that order) to ``table`` on ``conn``'s transaction."""

    def __init__(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        serialized: Collection[str] = (),
    ):
        self.conn = conn
        dialect = conn.dialect
        self.dialect = dialect.name
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(columns):
            if name in serialized:
                continue
            impl = table.c[name].type.dialect_impl(dialect)
            proc = impl.bind_processor(dialect)
            if proc is not None:
                self.processors.append((i, proc))
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        target = dialect.identifier_preparer.format_table(table)  # schema-qualified if any
        if self.dialect == "postgresql":
            self.sql = f"COPY {target} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
            self.sql = f"INSERT INTO {target} ({names}) VALUES ({marks})"

    def _processed(self, rows: Sequence[tuple]) -> Sequence[tuple]:
        if not self.processors:
            return rows
        out = []
        # A column's values repeat (the day, a count): each distinct one is converted once.
        procs = [(i, proc, {}) for i, proc in self.processors]
        for row in rows:
            values = list(row)
            for i, proc, seen in procs:
                value = values[i]
                if value is None:
                    continue
                try:
                    values[i] = seen[value]
                except KeyError:
                    values[i] = seen[value] = proc(value)
                except TypeError:  # unhashable (a JSON object)
                    values[i] = proc(value)
            out.append(tuple(values))
        return out

    def write(self, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        rows = self._processed(rows)
        if self.dialect == "postgresql":
            with raw.cursor() as cur, cur.copy(self.sql) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
            return
        cur = raw.cursor()
        try:
            cur.executemany(self.sql, rows)
        finally:
            cur.close()

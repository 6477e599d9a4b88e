"""Appending many rows to one table inside an open transaction, at the database's bulk speed.

``BulkInsert`` takes rows as tuples in a fixed column order and writes them on the
transaction's own DBAPI connection: ``COPY … FROM STDIN`` through psycopg on PostgreSQL (a
chunk's text formatted column by column by ``warehouse.copy_text``: the text psycopg's
``write_row`` sends, at a fraction of its cost), a prepared ``INSERT`` run with the driver's
``executemany`` on SQLite. SQLAlchemy's Core ``insert`` spends more time per row building
parameters than either database spends storing it; this skips that and keeps exactly what it
would have stored: each value goes through the column type's own bind processor for the
dialect (dates, timestamps, JSON, Numeric on SQLite), so the stored values are the ones
``conn.execute(table.insert(), rows)`` writes. A column named in ``serialized`` takes its
values as the database's text already (a JSON document the caller wrote exactly) and skips
that conversion. ``constants`` (column → value) are the same for every row: converted once and
appended to each row here, not carried in the caller's tuples.

Nothing is committed here: the caller's transaction decides, so a failure rolls back every
row written through it along with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from warehouse.copy_text import CopyText


class BulkInsert:
    """Writes tuples of ``columns`` (in that order) to ``table`` on ``conn``'s transaction."""

    def __init__(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        serialized: Collection[str] = (),
        constants: Mapping[str, Any] = {},
    ):
        self.conn = conn
        dialect = conn.dialect
        self.dialect = dialect.name
        self.width = len(columns)
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(columns):
            if name in serialized:
                continue
            proc = _bind_processor(table, name, dialect)
            if proc is not None:
                self.processors.append((i, proc))
        self.constants = tuple(bound_value(table, c, dialect, v) for c, v in constants.items())
        # PostgreSQL: the formatter of the connection it was made for, and the constants' text
        self._copy_text: tuple[Any, CopyText, str | None] | None = None
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in (*columns, *constants))
        target = dialect.identifier_preparer.format_table(table)  # schema-qualified if any
        if self.dialect == "postgresql":
            self.sql = f"COPY {target} ({names}) FROM STDIN"
        else:
            count = len(columns) + len(constants)
            marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in range(count))
            self.sql = f"INSERT INTO {target} ({names}) VALUES ({marks})"

    def _processed(self, rows: Sequence[tuple]) -> Sequence[tuple]:
        """``rows`` with every processed column converted, column by column: the rows are
        transposed and rebuilt by ``zip`` (C loops), the one Python loop per value is the
        conversion of a column that needs one. A column's values repeat (the day, a count):
        each distinct one is converted once."""
        if not self.processors and not self.constants:
            return rows
        columns = self._columns(rows) if self.processors else []
        if self.constants:
            if columns:
                columns.extend([value] * len(rows) for value in self.constants)
            else:
                constants = self.constants
                return [row + constants for row in rows]
        return list(zip(*columns, strict=True))

    def _columns(self, rows: Sequence[tuple]) -> list:
        """``rows`` transposed, every processed column converted (each distinct value once)."""
        columns = list(zip(*rows, strict=True))
        if len(columns) != self.width:
            raise ValueError(f"rows of {len(columns)} values for {self.width} columns")
        for i, proc in self.processors:
            columns[i] = _converted(columns[i], proc)
        return columns

    def write(self, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        if self.dialect == "postgresql":
            self._copy(raw, rows)
            return
        rows = self._processed(rows)
        cur = raw.cursor()
        try:
            cur.executemany(self.sql, rows)
        finally:
            cur.close()

    def _copy(self, raw: Any, rows: Sequence[tuple]) -> None:
        """``rows`` through ``COPY``: formatted as one text per chunk (``CopyText``), or row
        by row by psycopg when that cannot (NUL in a value, a connection not in UTF-8)."""
        if self._copy_text is None or self._copy_text[0] is not raw:
            text = CopyText(raw)
            self._copy_text = (raw, text, text.fields(self.constants) if self.constants else None)
        _, text, tail = self._copy_text
        data = None
        if tail is not None or not self.constants:
            data = text.rows(self._columns(rows), len(rows), tail)
        with raw.cursor() as cur, cur.copy(self.sql) as copy:
            if data is not None:
                copy.write(data)
                return
            write_row = copy.write_row
            for row in self._processed(rows):
                write_row(row)


def bound_value(table: Table, column: str, dialect, value: Any) -> Any:
    """``value`` as the driver receives it for ``table.column``: through the column type's bind
    processor for ``dialect`` (a date or timestamp as SQLite's text, a JSON document)."""
    if value is None:
        return None
    process = _bind_processor(table, column, dialect)
    return value if process is None else process(value)


def _bind_processor(table: Table, column: str, dialect) -> Callable[[Any], Any] | None:
    return table.c[column].type.dialect_impl(dialect).bind_processor(dialect)


def _converted(values: tuple, proc: Callable[[Any], Any]) -> list:
    """``proc`` of each value (``None`` stays ``None``), once per distinct hashable value."""
    if values.count(None) == len(values):  # (a column nobody filled in this chunk)
        return list(values)
    seen: dict[Any, Any] = {None: None}
    out = []
    append = out.append
    for value in values:
        try:
            append(seen[value])
        except KeyError:
            append(seen.setdefault(value, proc(value)))
        except TypeError:  # unhashable (a JSON object)
            append(proc(value))
    return out

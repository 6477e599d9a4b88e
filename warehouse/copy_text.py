"""PostgreSQL's COPY text format for a chunk of rows, built column by column.

psycopg's ``Copy.write_row`` formats one row at a time: it looks up a dumper for every value,
dumps it and escapes it. ``CopyText`` takes the chunk's columns instead and does the
per-value work in C where the column allows it: a column of ``str`` is used as it is (escaped
only when one of its values needs it, found by searching the joined column), a column of ``int``
through ``map(str, …)``, a column of days or of few distinct counts through one text per
distinct value; the rows are then joined into one document (``"\\t".join`` per row,
``"\\n".join`` over them) and encoded once.

Every value becomes the text psycopg's own text dumper writes for it (``str`` of an ``int``,
a finite ``Decimal``, a ``date``), escaped as psycopg's COPY escapes it
(backslash, and backspace, tab, newline, vertical tab, form feed, carriage return as ``\\b``
…), ``None`` as ``\\N``. Any other type (a ``Json`` wrapper, a ``datetime``, a ``bool``), and a
column holding a NaN, goes through the connection's own psycopg dumper, value by value. A value holding NUL, or a connection whose
client encoding is not UTF-8, gives ``None``: the caller writes those rows through
``write_row``, which raises or encodes exactly as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any

from psycopg.adapt import PyFormat, Transformer

NULL = "\\N"
_NONE = type(None)
# What psycopg's COPY escapes, and how (psycopg._copy_base._dump_repl).
_ESCAPES = str.maketrans(
    {
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\v": "\\v",
        "\f": "\\f",
        "\r": "\\r",
        "\\": "\\\\",
    }
)
_ESCAPED = tuple(map(chr, _ESCAPES))
_NUMBERS = frozenset({int, Decimal})
# A Decimal's ``str`` that psycopg may write otherwise (sNaN as NaN).
_NANS = frozenset({"NaN", "-NaN", "sNaN", "-sNaN"})


class HasNul(Exception):
    """A text value holds NUL: the rows go through psycopg, which refuses it."""


class CopyText:
    """Formats chunks of rows for ``COPY … FROM STDIN`` (text format) on one connection."""

    def __init__(self, dbapi_connection: Any):
        self._tx = Transformer(dbapi_connection)
        self.usable = dbapi_connection.info.encoding == "utf-8"

    def rows(
        self, columns: Sequence[Sequence[Any]], count: int, tail: str | None = None
    ) -> bytes | None:
        """The COPY text of ``count`` rows whose column ``i`` is ``columns[i]``, each row
        ending with the fields ``tail`` (``fields``' text of the constant columns) if any;
        ``None`` when psycopg must format them itself (see the module's doc)."""
        if not self.usable:
            return None
        try:
            fields: list[Iterable[str]] = [self.column(values) for values in columns]
        except HasNul:
            return None
        if tail is not None:
            fields.append(repeat(tail, count))
        return ("\n".join(map("\t".join, zip(*fields, strict=True))) + "\n").encode()

    def fields(self, values: Sequence[Any]) -> str | None:
        """``values`` as consecutive fields of one row (a row's constant columns, formatted
        once); ``None`` as for ``rows``."""
        if not self.usable:
            return None
        try:
            return "\t".join(self.column([value])[0] for value in values)
        except HasNul:
            return None

    def column(self, values: Sequence[Any]) -> Sequence[str]:
        """The COPY field of every value of one column (``values`` in row order)."""
        try:  # a column of text (the common case): no type test, one join
            joined = "".join(values)
        except TypeError:
            pass
        else:
            return _escaped(values) if _needs_escaping(joined) else values
        kinds = set(map(type, values))
        nullable = _NONE in kinds
        kinds.discard(_NONE)
        if not kinds:
            return [NULL] * len(values)
        # days (a partition's few), or counts whose first values repeat: each one's text once
        if kinds == {dt.date} or (kinds == {int} and len(set(values[:64])) <= 16):
            text = {v: str(v) for v in set(values)}  # (exactly int: a bool is t/f)
            if nullable:
                text[None] = NULL
            return list(map(text.__getitem__, values))
        if kinds <= _NUMBERS:
            if nullable:
                out = [NULL if v is None else str(v) for v in values]
            else:
                out = list(map(str, values))
            if Decimal in kinds and not _NANS.isdisjoint(out):
                return self._dumped(values)  # (psycopg's own text of a NaN)
            return out
        if kinds == {str}:
            return _text_fields(values)
        return self._dumped(values)

    def _dumped(self, values: Sequence[Any]) -> list[str]:
        """Any other type, through the connection's psycopg text dumper value by value."""
        get_dumper, text = self._tx.get_dumper, PyFormat.TEXT
        out: list[str | None] = []
        for value in values:
            dumped = None if value is None else get_dumper(value, text).dump(value)
            out.append(None if dumped is None else bytes(dumped).decode())
        return _text_fields(out)


def _text_fields(values: Sequence[str | None]) -> list[str]:
    """Texts and ``None``s as COPY fields: escaped where needed, ``None`` as ``\\N``."""
    if _needs_escaping("".join(filter(None, values))):
        values = _escaped(values)
    return [NULL if v is None else v for v in values]


def _needs_escaping(text: str) -> bool:
    """True when ``text`` holds a character COPY escapes; ``HasNul`` when it holds NUL."""
    if "\x00" in text:
        raise HasNul
    return any(char in text for char in _ESCAPED)


def _escaped(values: Sequence[str | None]) -> list[str | None]:
    return [None if v is None else v.translate(_ESCAPES) for v in values]

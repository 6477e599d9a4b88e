"""The tables a SQL model reads, found by parsing it with sqlglot, remembered between processes.

Every process that builds the Dagster location (``aispend sync``, ``refresh``, the daemon's code
server…) loads the models, and parsing them (each for both engines) plus importing sqlglot is
~0.4 s CPU of a small sync's start. What a parse finds depends only on the SQL text, the
dialect and sqlglot's version, so it is kept in a small JSON file (``cache_file()``) under
that key; a model that does not parse is never remembered (it raises every time). The file is
a convenience: unreadable, unwritable or corrupt, it is ignored and the models are parsed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.sql_macros import ModelError

if TYPE_CHECKING:
    from sqlglot import exp

_KEEP = 500  # entries kept (each edit of a model adds one per dialect)


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aispend" / "sql_model_reads.json"


def model_reads(sql: str, dialect: str, path: str) -> frozenset[str]:
    """The tables ``sql`` (one SELECT, macros expanded for ``dialect``) reads, CTEs excluded,
    lower-cased; raises ``ModelError`` naming ``path`` when it does not parse as one SELECT."""
    digest = hashlib.sha256(f"{_sqlglot_version()}\0{dialect}\0{sql}".encode()).hexdigest()
    known = _remembered()
    if digest in known:
        return frozenset(known[digest])
    reads = tables_read(parse(sql, dialect, path))
    known[digest] = sorted(reads)
    _save(known)
    return reads


def parse(sql: str, dialect: str, path: str) -> exp.Expression:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    read = "postgres" if dialect == "postgresql" else dialect
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        line = err.get("line", "?")
        raise ModelError(
            f"{path}:{line}: does not parse for {dialect}: {err.get('description', exc)}"
        ) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(f"{path}: a model holds exactly one SELECT, found {len(statements)}")
    return statements[0]


def tables_read(tree: exp.Expression) -> frozenset[str]:
    """The tables a SELECT reads (CTE names excluded), lower-cased."""
    from sqlglot import exp

    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name.lower() for t in tree.find_all(exp.Table) if t.name) - ctes


@functools.cache
def _sqlglot_version() -> str:
    return version("sqlglot")


@functools.cache
def _remembered() -> dict[str, list[str]]:
    try:
        known = json.loads(cache_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(known, dict) or not all(
        isinstance(v, list) and all(isinstance(t, str) for t in v) for v in known.values()
    ):
        return {}
    return known


def _save(known: dict[str, list[str]]) -> None:
    """Written whole through a temporary file: a reader never sees half of it."""
    while len(known) > _KEEP:  # the oldest first (dicts keep insertion order)
        del known[next(iter(known))]
    target = cache_file()
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(known))
        part.replace(target)
    except OSError:
        part.unlink(missing_ok=True)

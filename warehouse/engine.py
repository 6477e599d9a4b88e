"""The engine factory. Dialect differences live here (and in warehouse/ only)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from warehouse import column_limits  # noqa: F401  (refuses oversize text on every Session)
from warehouse.errors import WarehouseUnavailable
from warehouse.private_paths import private_dir, private_file


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # A 64 MB page cache (the default is 2 MB): a partition write inserts into the fact
    # tables' indexes in key order they were not built in; bounded, whatever the range.
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def make_engine(url: str) -> Engine:
    """SQLite (WAL, foreign keys on) for a file URL; PostgreSQL through psycopg 3 otherwise.

    A SQLite file is created private (0600, in a folder it creates 0700). Statement parameters
    never appear in errors or logs (``hide_parameters``): they can hold a password hash. A
    malformed URL or a missing driver is a ``WarehouseUnavailable`` naming the problem."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise WarehouseUnavailable(
            "AISPEND_DATABASE_URL is not a database URL (e.g. sqlite:///path/warehouse.db or "
            "postgresql+psycopg://user@host/db)"
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                # the folder holding the file is the user's (sqlite:////tmp/w.db: /tmp, which
                # must stay 1777): created private when missing, never re-moded
                private_dir(Path(parsed.database).parent, tighten=False)
                private_file(Path(parsed.database))
            engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except ArgumentError as exc:  # NoSuchModuleError: an unknown dialect or driver name
        raise WarehouseUnavailable(
            f"AISPEND_DATABASE_URL names no known database driver "
            f"({parsed.drivername!r}): {exc}".split(":  ")[0]
        ) from None
    except ImportError as exc:
        raise WarehouseUnavailable(
            f"the driver for {parsed.drivername!r} is not installed ({exc.name or exc})"
        ) from None


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"

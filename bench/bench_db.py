"""Throw-away databases for the benchmarks: a SQLite file, or a fresh PostgreSQL database
(created on ``AISPEND_TEST_PG_URL``'s server and dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

PG_ADMIN = os.environ.get(
    "AISPEND_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def fresh_db(kind: str, tmp: Path) -> str:
    """The URL of an empty database of ``kind`` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    from sqlalchemy import create_engine, text

    name = f"aispend_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_db(url: str) -> None:
    """Drop a database ``fresh_db`` made on PostgreSQL (a SQLite file goes with its folder)."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()

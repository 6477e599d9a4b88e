"""Shared fixtures. Every warehouse test runs on SQLite and on the real PostgreSQL.

The PostgreSQL leg creates a fresh database per test session (and drops it afterwards), so
parallel runs and developers' own databases never collide. Set AISPEND_TEST_PG_URL to point
at another server; the default is the local one on 127.0.0.1:5432. When none answers there, a
throw-away server is started for the session (``tests/pg_server.py``): the PostgreSQL legs
run on a fresh machine too, never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pg_server
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from warehouse import migrate
from warehouse.engine import make_engine


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The admin URL of the tests' PostgreSQL server: AISPEND_TEST_PG_URL (default the local
    one) when it answers, else a throw-away server that lives as long as the session."""
    url = pg_server.configured_url()
    if pg_server.answers(url):
        yield url
        return
    url, stop = pg_server.start_throwaway()
    try:
        yield url
    finally:
        stop()


def _pg_create_database(admin_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_server.database_url(admin_url, name)


def _pg_drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database_factory(pg_admin_url: str) -> Iterator:
    """Creates throw-away PostgreSQL databases; all are dropped at the end of the session."""
    created: list[str] = []

    def make(prefix: str = "aispend_test") -> str:
        url = _pg_create_database(pg_admin_url, prefix)
        created.append(url)
        return url

    yield make
    for url in created:
        _pg_drop_database(pg_admin_url, url)


@pytest.fixture(scope="session")
def _pg_warehouse_url(pg_database_factory) -> str:
    url = pg_database_factory()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _truncate_all(engine: Engine) -> None:
    from warehouse.models import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        # Mart tables created by the pipeline are dropped so each test starts clean.
        for name in _mart_tables(engine):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _mart_tables(engine: Engine) -> list[str]:
    from sqlalchemy import inspect

    from warehouse.models import Base

    known = set(Base.metadata.tables) | {"alembic_version"}
    return [t for t in inspect(engine).get_table_names() if t not in known]


# Each database in turn: a test's PostgreSQL leg is marked (the suite's marker selects it).
BOTH_DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BOTH_DATABASES)
def warehouse_url(request, tmp_path) -> str:
    """A migrated, empty warehouse URL on each database in turn."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("_pg_warehouse_url")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(warehouse_url) -> Iterator[Engine]:
    eng = make_engine(warehouse_url)
    yield eng
    eng.dispose()


@pytest.fixture
def dashboard_env(warehouse_url: str, engine: Engine, tmp_path, monkeypatch):
    """The dashboard's environment over a warehouse with tenant 'default', one admin and one
    viewer (tests/dashboard_apptest.py); yields the tenant."""
    import dashboard_apptest

    yield dashboard_apptest.prepare(warehouse_url, engine, tmp_path, monkeypatch)
    dashboard_apptest.clear_caches()


@dataclass(frozen=True)
class DemoRun:
    home: Path  # the demo's $AISPEND_HOME (SQLite warehouse, Dagster instance in ./dagster)
    exit_code: int
    lines: list[str]  # what it printed


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """One `aispend demo --no-serve` (10 days, 4 members, a home of its own) shared by the tests
    that only read what it leaves: a demo backfills every source through Dagster, too slow to
    repeat per test. Tests using it share the xdist group "demo" (one worker runs the demo)."""
    from pipelines.demo import run_demo
    from warehouse.settings import Settings

    home = tmp_path_factory.mktemp("demo") / "home"
    settings = Settings.from_env({"AISPEND_HOME": str(home)})
    lines: list[str] = []
    code = run_demo(settings, serve_after=False, days=10, members=4, echo=lines.append)
    return DemoRun(home, code, lines)


@pytest.fixture(params=BOTH_DATABASES)
def unmigrated_url(request, tmp_path) -> str:
    """An empty database (no tables) on each database in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("pg_database_factory")("aispend_migration")

"""A fresh machine runs the PostgreSQL legs too: with nothing listening at AISPEND_TEST_PG_URL,
the suite starts a throw-away server of its own (tests/pg_server.py)."""

from __future__ import annotations

import pg_server
import pytest
from sqlalchemy import create_engine, text


@pytest.mark.postgres
@pytest.mark.skipif(pg_server.system_bindir() is None, reason="no system PostgreSQL binaries")
def test_a_throwaway_server_answers_and_is_gone_after_stop(tmp_path):
    url, stop = pg_server.start_throwaway()
    try:
        assert pg_server.answers(url)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text('CREATE DATABASE "scratch"'))
        engine.dispose()
        scratch = create_engine(pg_server.database_url(url, "scratch"))
        with scratch.begin() as conn:
            conn.execute(text("CREATE TABLE t (amount NUMERIC(20, 6))"))
            conn.execute(text("INSERT INTO t VALUES (12.345678)"))
            assert str(conn.execute(text("SELECT amount FROM t")).scalar_one()) == "12.345678"
        scratch.dispose()
    finally:
        stop()
    assert not pg_server.answers(url, timeout=1)


def test_a_closed_port_does_not_answer():
    assert not pg_server.answers("postgresql+psycopg://postgres@127.0.0.1:1/postgres", timeout=1)

"""Mart tables: rebuilding a table from one SELECT, portably on SQLite and PostgreSQL.

The SQL models in ``dbt_like_sql/`` are written in PostgreSQL's dialect and transpiled with
sqlglot for the engine at hand; the rebuild drops and recreates the table in one transaction,
so readers see either the old mart or the new one, never an empty or half-built table.
"""

from __future__ import annotations

import re

import sqlglot
from sqlalchemy import Engine, text
from sqlglot import exp

SOURCE_DIALECT = "postgres"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def tables_read(sql: str) -> frozenset[str]:
    """The tables a SELECT reads (CTE names excluded), lower-cased."""
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name.lower() for t in tree.find_all(exp.Table) if t.name) - ctes


def for_engine(engine: Engine, sql: str) -> str:
    """The model's SQL in the engine's dialect."""
    dialect = "sqlite" if engine.dialect.name == "sqlite" else "postgres"
    statements = sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect)
    if len(statements) != 1:
        raise ValueError(f"a SQL model holds exactly one SELECT, found {len(statements)}")
    return statements[0]


def rebuild_table(engine: Engine, name: str, select_sql: str) -> int:
    """Drop and recreate ``name`` as ``select_sql`` in one transaction; returns its row count."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"mart name {name!r} must be a lower-case SQL identifier")
    query = for_engine(engine, select_sql)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite opens transactions only before DML; DDL would autocommit without this.
            dbapi = conn.connection.dbapi_connection
            if not dbapi.in_transaction:
                conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE TABLE {name} AS {query}")
        return conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()

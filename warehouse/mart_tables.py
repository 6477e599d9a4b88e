"""Mart tables: build a model's table on SQLite or PostgreSQL, fully or for some periods.

- A full build drops and recreates the table in one transaction.
- An incremental build deletes the rows of the tenants and months in scope (of the days in
  scope for an ``incremental_by_day`` model) and inserts them again from the model, in one
  transaction (a model whose columns changed is rebuilt fully).
- The model's declared tests run inside that transaction, over the rows just written: a failed
  test rolls everything back, so readers see the previous mart, never a half-built or a wrong
  one (SQLite in WAL mode and PostgreSQL both give readers the last committed state).
- Indexes declared in the header are created with the table. On PostgreSQL (15 and later) the
  index that starts with the model's grain is unique (NULLS NOT DISTINCT, the rest of its
  columns INCLUDEd): it enforces the grain, so the ``unique`` test needs no scan of its own
  there, and a duplicate fails the build as that test would. On PostgreSQL the new table is
  analyzed in the same transaction (the next marts and the first readers plan with its real
  size), and a build plans as a batch aggregate (hash joins and hash aggregates, ``work_mem``
  256MB, no JIT); a full build writes its rows in tenant and period order there.
- Two builds of the same mart never interleave (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a
  transaction-scoped advisory lock per mart).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, CursorResult, Engine, Table, delete, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from warehouse.locks import begin_exclusive
from warehouse.sql_models import EVERYTHING, ColumnTest, Scope, SqlModel


class MartTestFailed(RuntimeError):
    """A declared test found bad rows; the build was rolled back."""

    def __init__(self, model: str, failures: dict[str, int]):
        self.model = model
        self.failures = failures
        detail = ", ".join(f"{name} ({n} rows)" for name, n in sorted(failures.items()))
        super().__init__(f"{model}: declared tests failed, build rolled back: {detail}")


@dataclass(frozen=True)
class BuildResult:
    rows: int  # rows written (in scope)
    full: bool  # True when the whole table was rebuilt
    tests: dict[str, int]  # test name -> failing rows (all 0 on success)
    scope: Scope = EVERYTHING  # what was recomputed (widened to the months after, if any)


def dialect_of(engine: Engine | Connection) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def _begin_exclusive(conn: Connection, name: str) -> None:
    """Start the build's transaction holding the right to write ``name``: two builds of one
    mart (a sync's refresh and the automation sensor's) run one after the other. On SQLite
    the transaction begins IMMEDIATE (pysqlite would let DDL autocommit, and a deferred one
    fails at once with "database is locked" when it writes after reading)."""
    begin_exclusive(conn, f"aispend:mart:{name}")
    if conn.dialect.name != "sqlite":
        # Right after a sync the planner's statistics lag (measured: 2 rows estimated for
        # 18,000), and it nests loops over the account join; a mart is a batch aggregate,
        # where hash joins are right.
        conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        # With the default 4 MB the planner sorts (on disk) to group a year of facts;
        # measured: member_daily's full rebuild 6.2 s with it, 3.4 s with hash aggregates. An
        # estimate only: a hash aggregate that outgrows it spills to disk (PostgreSQL ≥ 13).
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        # Marts are not worth JIT-compiling. A year of facts costs enough for the compiler to
        # step in, and it compiled for longer than the query then ran (member_daily at 1,000
        # members × 365 days: 3.5 s of JIT in a 6.7 s build); unnesting activity_days' JSON
        # can only loop, and the disabled loop's cost (1e10) made a query of milliseconds
        # compile for ~1 s (100 members × 60 days).
        conn.exec_driver_sql("SET LOCAL jit = off")
        # Grouping a year of facts by member and day, the planner expects as many groups as
        # facts, reckons a hash table would spill and sorts instead, on disk (measured,
        # member_daily at 1,000 members × 365 days: 4.7 s of CPU sorting, 3.0 s hashing).
        conn.exec_driver_sql("SET LOCAL enable_sort = off")


def _where_scope(model: SqlModel, scope: Scope, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    parts = []
    if scope.tenant_ids is not None:
        ids = ", ".join(str(int(t)) for t in sorted(scope.tenant_ids)) or "NULL"
        parts.append(f"{prefix}tenant_id IN ({ids})")
    if scope.days is not None and model.kind == "incremental_by_day":
        col = prefix + model.time_column
        first_day, end = scope.days[0], scope.days[1] + dt.timedelta(days=1)
        parts.append(f"{col} >= '{first_day.isoformat()}' AND {col} < '{end.isoformat()}'")
    elif scope.months is not None and model.time_column:
        col = prefix + model.time_column
        first, last = scope.months
        if model.time_column_type == "month":
            parts.append(f"{col} >= '{first}' AND {col} <= '{last}'")
        else:
            year, mon = int(last[:4]), int(last[5:7])
            end = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01"
            parts.append(f"{col} >= '{first}-01' AND {col} < '{end}'")
    return " AND ".join(parts) or "1 = 1"


def _failing(test: ColumnTest) -> str:
    """A row-level test as the condition a failing row meets."""
    c = test.column
    if test.kind == "not_null":
        return f"{c} IS NULL"
    if test.kind == "non_negative":
        return f"{c} < 0"
    values = ", ".join(test.values)
    return f"{c} IS NOT NULL AND {c} NOT IN ({values})"


def run_tests(conn: Connection, model: SqlModel, scope: Scope = EVERYTHING) -> dict[str, int]:
    """Failing rows per declared test, over the rows in ``scope``."""
    return _tests_and_count(conn, model, scope)[0]


def _tests_and_count(
    conn: Connection, model: SqlModel, scope: Scope, grain_enforced: bool = False
) -> tuple[dict[str, int], int]:
    """(failing rows per declared test, rows in ``scope``) in one statement and one pass over
    the rows (the unique test groups them once more, unless ``grain_enforced``: a unique index
    holds the grain, and the test counts 0): a round trip per test cost more than the tests of
    a one-day refresh, and a scan per test 1.5 s of member_daily's full build.
    A row test counts with a FILTER: SQLite then steps no aggregate for a passing row
    (measured: member_daily's 15 row tests over 365,000 rows, 0.24 s summing CASEs, 0.14 s)."""
    where = _where_scope(model, scope)
    parts = []
    for t in model.tests:
        if t.kind == "unique":
            parts.append("0" if grain_enforced else f"({_duplicates(model.name, t.column, where)})")
        else:
            parts.append(f"COUNT(*) FILTER (WHERE {_failing(t)})")
    parts.append("COUNT(*)")
    values = conn.execute(text(f"SELECT {', '.join(parts)} FROM {model.name} WHERE {where}")).one()
    return {t.name: int(v) for t, v in zip(model.tests, values, strict=False)}, int(values[-1])


def _duplicates(rows: str, grain: str, where: str = "1 = 1") -> str:
    """The query counting the groups of ``rows`` (a table, or a query with its alias) that repeat
    a ``grain`` value (NULLs alike, as GROUP BY has them)."""
    return (
        f"SELECT COUNT(*) FROM (SELECT {grain} FROM {rows} WHERE {where} "
        f"GROUP BY {grain} HAVING COUNT(*) > 1) dup"
    )


def _grain_index(model: SqlModel) -> int | None:
    """The position of the declared index whose first columns are the grain (in any order)."""
    n = len(model.grain)
    for i, columns in enumerate(model.indexes):
        if n and len(set(columns[:n])) == n and set(columns[:n]) == set(model.grain):
            return i
    return None


def _enforces_grain(conn: Connection, model: SqlModel) -> bool:
    """True when this build's table holds its grain with a unique index: PostgreSQL 15 or later
    (NULLS NOT DISTINCT: an unlinked row's NULL member is a value like any other, as in the
    unique test) and a declared index that starts with the grain."""
    return (
        conn.dialect.name == "postgresql"
        and conn.dialect.server_version_info >= (15,)
        and _grain_index(model) is not None
    )


def _grain_index_is_unique(conn: Connection, model: SqlModel) -> bool:
    """Whether the stored table's grain index enforces the grain as the unique test reads it:
    unique, NULLs alike (one built before this was is plain). ``unique_keys.enforces_unique``
    answers a wider question through the inspector: it counts a unique index whose NULLs are
    distinct, and costs several catalog queries per incremental build; this is one."""
    name = f"ix_{model.name}_{_grain_index(model)}"
    enforced = conn.execute(
        text(
            "SELECT indisunique AND indnullsnotdistinct FROM pg_index "
            "WHERE indexrelid = to_regclass(:name)"
        ),
        {"name": name},
    ).scalar()
    return bool(enforced)


def _unique_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "23505"


def _create_indexes(conn: Connection, model: SqlModel, grain_enforced: bool = False) -> None:
    grain_index = _grain_index(model) if grain_enforced else None
    n = len(model.grain)
    for i, columns in enumerate(model.indexes):
        name = f"ix_{model.name}_{i}"
        if i == grain_index:
            include = f" INCLUDE ({', '.join(columns[n:])})" if columns[n:] else ""
            conn.exec_driver_sql(
                f"CREATE UNIQUE INDEX {name} ON {model.name} ({', '.join(columns[:n])})"
                f"{include} NULLS NOT DISTINCT"
            )
        else:
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {model.name} ({', '.join(columns)})")


def _run(conn: Connection, sql: str) -> CursorResult:
    """Run a rendered model's statement as written: psycopg reads every '%' of a statement as
    a placeholder, even with no parameters (a '%' in a model's comment or a LIKE pattern broke
    every PostgreSQL build), so it is doubled there."""
    if conn.dialect.name == "postgresql":
        sql = sql.replace("%", "%%")
    return conn.exec_driver_sql(sql)


def _clustered(model: SqlModel, query: str, dialect: str) -> str:
    """A full build's rows, on PostgreSQL in the order of the tenant and the period: a hash
    aggregate writes them in no order, and a month's rows then lay on every page of the table
    (measured, 1,000 members × 365 days: member_period's one-day refresh read 5,219 pages of
    member_daily for a month's 31,000 rows; clustered, its backend CPU went 70 → 40 ms, and the
    sort costs member_daily's full rebuild ~3 %). A refresh appends its periods' rows together
    anyway. SQLite writes a table in its rowid order and reads it through the mart's index: no
    gain there."""
    if dialect != "postgresql" or not model.time_column:
        return query
    return f"SELECT * FROM ({query}) q ORDER BY tenant_id, {model.time_column}"


def _columns(conn: Connection, sql: str) -> list[str]:
    return list(conn.execute(text(f"SELECT * FROM ({sql}) q WHERE 1 = 0")).keys())


def build(engine: Engine, model: SqlModel, scope: Scope = EVERYTHING) -> BuildResult:
    """Build ``model``'s table for ``scope`` in one transaction (see the module docstring).

    A ``full`` model, a first build, a changed column list or a scope of everything rebuild
    the whole table; otherwise the scope's rows are deleted and inserted again.
    """
    dialect = dialect_of(engine)
    scope = model.widen(scope)
    with engine.begin() as conn:
        _begin_exclusive(conn, model.name)
        enforced = _enforces_grain(conn, model)
        exists = inspect(conn).has_table(model.name)
        full = not model.incremental or scope.is_everything or not exists
        if not full:
            query = model.render(dialect, scope)
            # The stored columns from a query that returns no row, not the inspector's catalog
            # query (PostgreSQL: 2-5 ms a mart, a tenth of a small mart's refresh); a table
            # built before its grain index was unique is rebuilt once.
            full = _columns(conn, query) != _columns(conn, f"SELECT * FROM {model.name}") or (
                enforced and not _grain_index_is_unique(conn, model)
            )
        if full:
            scope = EVERYTHING
            query = model.render(dialect, scope)
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {model.name}")
            _run(conn, f"CREATE TABLE {model.name} AS {_clustered(model, query, dialect)}")
            _guarded(
                conn, model, enforced, model.name, lambda: _create_indexes(conn, model, enforced)
            )
            if dialect == "postgresql":
                # A new table has no statistics until autovacuum comes by: the marts built
                # from it and the first readers would be planned for 2 rows (measured: a
                # month of member_period merge-joined 200 × 200 rows).
                conn.exec_driver_sql(f"ANALYZE {model.name}")
        else:
            conn.exec_driver_sql(f"DELETE FROM {model.name} WHERE {_where_scope(model, scope)}")
            # Inputs read a few months back (reads_previous_months): keep only the scope's rows.
            # Only then: PostgreSQL pushes the filter down to every input row (measured: the
            # month's to_char per fact, a third of member_period_models' refresh).
            keep = (
                f" WHERE {_where_scope(model, scope, 'q')}" if model.reads_previous_months else ""
            )
            rows_in = f"(SELECT * FROM ({query}) q{keep})"
            both = f"(SELECT * FROM {model.name} UNION ALL SELECT * FROM {rows_in} n) g"
            _guarded(
                conn,
                model,
                enforced,
                both,
                lambda: _run(conn, f"INSERT INTO {model.name} SELECT * FROM {rows_in} q"),
            )
        tests, rows = _tests_and_count(conn, model, scope, enforced)
        failed = {name: n for name, n in tests.items() if n}
        if failed:
            raise MartTestFailed(model.name, failed)
        return BuildResult(rows, full, tests, scope)


def _guarded(
    conn: Connection, model: SqlModel, enforced: bool, rows: str, step: Callable[[], object]
) -> None:
    """Run ``step``; where the grain index enforces the grain, a duplicate it refuses fails the
    build as the unique test would, with the number of repeated grain values in ``rows`` (what
    the table would have held), counted after the step is undone."""
    if not enforced:
        step()
        return
    savepoint = conn.begin_nested()
    try:
        step()
    except IntegrityError as error:
        if not _unique_violation(error):
            raise
        savepoint.rollback()
        grain = ", ".join(model.grain)
        repeated = _run(conn, _duplicates(rows, grain)).scalar()
        raise MartTestFailed(model.name, {"unique": int(repeated or 1)}) from None
    savepoint.commit()


def rebuild_table(engine: Engine, model: SqlModel) -> int:
    """Rebuild ``model``'s whole table; returns its row count."""
    return build(engine, model, EVERYTHING).rows


def replace_tenant_rows(engine: Engine, table: Table, tenant_id: int, rows: list[dict]) -> int:
    """A Python-built mart's rows of one tenant replaced in one transaction (readers see the
    old rows or the new, never half); two refreshes of one tenant's mart never interleave."""
    with engine.begin() as conn:
        begin_exclusive(conn, f"aispend:mart:{table.name}:{tenant_id}")
        conn.execute(delete(table).where(table.c.tenant_id == tenant_id))
        if rows:
            conn.execute(insert(table), [{"tenant_id": tenant_id, **r} for r in rows])
    return len(rows)

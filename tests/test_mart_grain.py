"""A mart's grain holds on both databases: SQLite's unique test and PostgreSQL's unique index
(NULLS NOT DISTINCT) fail a build that repeats a grain value alike, a NULL included, and leave
the previous rows."""

from __future__ import annotations

import datetime as dt

import pytest
from mart_seed import seed_team, usage, write
from sqlalchemy import inspect, text

from warehouse.mart_tables import MartTestFailed, build
from warehouse.sql_models import Scope, parse_model

HEADER = (
    "/*\ndescription: d\nkind: incremental_by_month\ntime_column: month\n"
    "time_column_type: month\ngrain: [tenant_id, month, initial]\n"
    "indexes: [[month, initial, tenant_id, billed_cost_micros]]\n*/\n"
)


def model(name: str, initial: str):
    """One row per account and month, keyed by ``initial`` (an expression of account_key)."""
    return parse_model(
        name,
        HEADER + f"select tenant_id, @month(charge_period_start) as month, {initial} as initial,\n"
        "  @money_sum(billed_cost_micros) as billed_cost_micros\nfrom usage_facts\n"
        "where @scope_days(tenant_id, charge_period_start)\n"
        "group by tenant_id, @month(charge_period_start), account_key\n",
        f"dbt_like_sql/{name}.sql",
    )


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def has_table(engine, name: str) -> bool:
    return inspect(engine).has_table(name)


def grain_index_unique(engine, name: str) -> bool | None:
    """PostgreSQL: whether the grain index is unique; None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    return rows(
        engine, f"select indisunique from pg_index where indexrelid = 'ix_{name}_0'::regclass"
    )[0][0]


def drop(engine, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"drop table if exists {name}"))


def test_a_repeated_null_in_the_grain_fails_a_full_build(engine):
    seed_team(engine)
    # ada@x.io is 'a'; in January bob@x.io and the unattributed remainder are both NULL, in
    # February bob@x.io and eve@x.io: two repeated grain values.
    bad = model("initials_null", "case when account_key = 'ada@x.io' then 'a' end")
    with pytest.raises(MartTestFailed, match=r"initials_null: .*unique \(2 rows\)"):
        build(engine, bad)
    assert not has_table(engine, "initials_null")


def test_a_duplicate_from_an_incremental_build_keeps_the_previous_rows(engine):
    team = seed_team(engine)
    good = model("initials", "substr(account_key, 1, 1)")
    try:
        assert build(engine, good).full
        assert grain_index_unique(engine, "initials") in (True, None)
        before = rows(
            engine, "select month, initial, billed_cost_micros from initials order by 1, 2"
        )
        assert ("2025-02", "a", 9_500_000) in before
        # amy@x.io in February: a second 'a' that month.
        day = dt.date(2025, 2, 20)
        write(engine, team.tenant.id, "cursor", day, day, [usage(day, "amy@x.io", 42)])
        scope = Scope(frozenset({team.tenant.id}), ("2025-02", "2025-02"))
        with pytest.raises(MartTestFailed, match=r"initials: .*unique \(1 rows\)"):
            build(engine, good, scope)
        assert rows(
            engine, "select month, initial, billed_cost_micros from initials order by 1, 2"
        ) == (before)
    finally:
        drop(engine, "initials")


def test_a_table_built_with_a_plain_grain_index_is_rebuilt_once_with_a_unique_one(engine):
    team = seed_team(engine)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps the unique test: its unique indexes tell NULLs apart")
    good = model("initials_old", "substr(account_key, 1, 1)")
    try:
        build(engine, good)
        with engine.begin() as conn:  # as an earlier aispend built it
            conn.execute(text("drop index ix_initials_old_0"))
            conn.execute(
                text(
                    "create index ix_initials_old_0 on initials_old "
                    "(month, initial, tenant_id, billed_cost_micros)"
                )
            )
        scope = Scope(frozenset({team.tenant.id}), ("2025-02", "2025-02"))
        assert build(engine, good, scope).full
        assert grain_index_unique(engine, "initials_old") is True
        assert not build(engine, good, scope).full
    finally:
        drop(engine, "initials_old")

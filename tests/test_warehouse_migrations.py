"""Migrations on SQLite and PostgreSQL: the data migrations move what the old schema held."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def unmigrated_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("pg_database_factory")("aispend_migration")


def test_the_fake_vendor_total_account_is_moved_to_its_own_table(unmigrated_url):
    """0004 moves control totals stored as the fake ``x_vendor_total`` account's activity into
    vendor_billed_totals, and deletes the fake activities, account and any identity link."""
    from warehouse import migrate
    from warehouse.engine import make_engine

    engine = make_engine(unmigrated_url)
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into tenants (id, slug, name, created_at) values (1, 'a', 'A', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "insert into members (id, tenant_id, display_name, created_at) values (1, 1, 'Ada', CURRENT_TIMESTAMP)"
                )
            )
            for account_id, key in ((1, "x_vendor_total"), (2, "ada@example.com")):
                conn.execute(
                    text(
                        "insert into vendor_accounts (id, tenant_id, source, account_key, kind,"
                        " first_seen_at, last_seen_at) values (:id, 1, 'anthropic', :key, 'user',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"id": account_id, "key": key},
                )
                conn.execute(
                    text(
                        "insert into identity_links (tenant_id, vendor_account_id, member_id,"
                        " linked_at) values (1, :id, 1, CURRENT_TIMESTAMP)"
                    ),
                    {"id": account_id},
                )
            for day, value, key, metric in (
                ("2026-09-01", 1234567, "x_vendor_total", "x_billed_total_micros"),
                ("2026-09-02", 7, "x_vendor_total", "x_billed_total_micros"),
                ("2026-09-01", 3, "ada@example.com", "sessions"),
            ):
                conn.execute(
                    text(
                        "insert into activity_facts (tenant_id, source, account_key, day, metric,"
                        " value) values (1, 'anthropic', :key, :day, :metric, :value)"
                    ),
                    {
                        "key": key,
                        "day": dt.date.fromisoformat(day),
                        "metric": metric,
                        "value": value,
                    },
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            totals = conn.execute(
                text("select day, billed_cost_micros from vendor_billed_totals order by day")
            ).all()
            accounts = conn.execute(text("select account_key from vendor_accounts")).scalars().all()
            links = (
                conn.execute(text("select vendor_account_id from identity_links")).scalars().all()
            )
            metrics = conn.execute(text("select metric from activity_facts")).scalars().all()
        assert [(str(d)[:10], v) for d, v in totals] == [("2026-09-01", 1234567), ("2026-09-02", 7)]
        assert accounts == ["ada@example.com"] and links == [2] and metrics == ["sessions"]
    finally:
        engine.dispose()


def test_the_migrations_form_one_chain_with_one_head() -> None:
    """Branches that each add a migration after the same parent leave two heads, and then
    `db upgrade` fails for everyone: the chain must stay linear, numbered in order."""
    from alembic.script import ScriptDirectory

    from warehouse.engine import make_engine
    from warehouse.migrate import alembic_config

    engine = make_engine("sqlite://")
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert len(script.get_heads()) == 1, script.get_heads()
    chain = [rev.module.__file__.rsplit("/", 1)[1][:4] for rev in script.walk_revisions()]
    assert chain == sorted(chain, reverse=True), chain  # file numbers follow the chain


def test_activity_moves_to_one_row_per_account_day_and_back(unmigrated_url):
    """0017 groups the one-row-per-metric activity into activity_days (integers as JSON
    integers, other values exact) behind an activity_facts view; its downgrade restores them."""
    from decimal import Decimal

    from alembic import command

    from warehouse import migrate
    from warehouse.engine import make_engine

    narrow = [
        ("ada", "2026-09-01", "chat_requests", Decimal("12"), "run-1"),
        ("ada", "2026-09-01", "acceptance_rate", Decimal("0.375"), "run-1"),
        ("ada", "2026-09-02", "lines_added", Decimal("340"), "run-2"),
        ("bob", "2026-09-01", "x_billed_total_micros", Decimal("1234567"), None),
    ]
    select_narrow = text(
        "select account_key, day, metric, value, ingestion_run_id from activity_facts"
        " order by account_key, day, metric"
    )

    def rows(conn):
        return sorted(
            (a, str(d)[:10], m, Decimal(str(v)).normalize(), r)
            for a, d, m, v, r in conn.execute(select_narrow)
        )

    expected = sorted((a, d, m, v.normalize(), r) for a, d, m, v, r in narrow)
    engine = make_engine(unmigrated_url)
    try:
        migrate.upgrade(engine, "0016_idle_seat_index")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into tenants (id, slug, name, created_at) values (1, 'a', 'A', CURRENT_TIMESTAMP)"
                )
            )
            for account, day, metric, value, run in narrow:
                conn.execute(
                    text(
                        "insert into activity_facts (tenant_id, source, account_key, day, metric,"
                        " value, ingestion_run_id) values (1, 'cursor', :a, :d, :m, :v, :r)"
                    ),
                    {
                        "a": account,
                        "d": dt.date.fromisoformat(day),
                        "m": metric,
                        "v": str(value),
                        "r": run,
                    },
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            days = conn.execute(
                text(
                    "select account_key, day, ingestion_run_id from activity_days"
                    " order by account_key, day"
                )
            ).all()
            metrics = conn.execute(
                text("select metrics from activity_days where account_key = 'ada' order by day")
            ).scalars()
            metrics = [m if isinstance(m, dict) else json.loads(m) for m in metrics]
            assert rows(conn) == expected  # the view reads what the table held
        assert [(a, str(d)[:10], r) for a, d, r in days] == [
            ("ada", "2026-09-01", "run-1"),
            ("ada", "2026-09-02", "run-2"),
            ("bob", "2026-09-01", None),
        ]
        assert metrics == [{"chat_requests": 12, "acceptance_rate": 0.375}, {"lines_added": 340}]
        assert all(type(v) is int for v in metrics[1].values())
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0016_idle_seat_index")
        with engine.connect() as conn:
            assert rows(conn) == expected  # the table again, every value as it was
    finally:
        engine.dispose()


def test_the_fact_write_indexes_keep_every_row_and_the_tenant_cascade(unmigrated_url):
    """0018 swaps the fact tables' keys and indexes (rebuilding the tables on SQLite): every row
    keeps its values and id, a record key is still unique in its partition, deleting a tenant
    still deletes its facts (a trigger now); the downgrade restores the old keys."""
    import sqlalchemy.exc
    from alembic import command
    from sqlalchemy import inspect

    from warehouse import migrate
    from warehouse.engine import make_engine

    fact = (
        "insert into usage_facts (tenant_id, source, record_key, account_key, charge_period_start,"
        " charge_period_end, provider, service, sku, charge_category, billed_cost_micros,"
        " currency, consumed_unit, cost_basis, confidence, source_type, ingested_at,"
        " file_import_id) values (:t, :s, :k, 'ada', :d, :e, 'P', 'API', 'm1', 'Usage', :c,"
        " 'USD', :u, 'billed', 'high', 'api', CURRENT_TIMESTAMP, :f)"
    )
    day = dt.date(2026, 9, 1)
    facts = [  # tenant, source, record key, day offset, micros, unit, file import
        (1, "cursor", "a1", 0, 10, None, None),
        (1, "copilot", "a2", 1, 20, "seat_days", None),
        (1, "file", "a3", 0, 30, None, 1),
        (2, "cursor", "a1", 0, 40, None, None),  # another tenant's fact, the same key
    ]
    select_facts = text(
        "select id, tenant_id, source, record_key, charge_period_start, billed_cost_micros,"
        " consumed_unit, file_import_id from usage_facts order by id"
    )
    select_days = text("select id, tenant_id, account_key, day from activity_days order by id")

    def stored(conn):
        rows = conn.execute(select_facts).all() + conn.execute(select_days).all()
        return [tuple(str(v)[:10] if isinstance(v, dt.date) else v for v in r) for r in rows]

    engine = make_engine(unmigrated_url)
    try:
        migrate.upgrade(engine, "0017_activity_days")
        with engine.begin() as conn:
            for tenant in (1, 2):
                conn.execute(
                    text(
                        "insert into tenants (id, slug, name, created_at)"
                        " values (:t, :s, :s, CURRENT_TIMESTAMP)"
                    ),
                    {"t": tenant, "s": f"t{tenant}"},
                )
                conn.execute(
                    text(
                        "insert into activity_days (tenant_id, source, account_key, day,"
                        " metrics) values (:t, 'cursor', 'ada', :d, '{\"chat_requests\": 1}')"
                    ),
                    {"t": tenant, "d": day},
                )
            conn.execute(
                text(
                    "insert into file_imports (id, tenant_id, content_hash, filename, file_format,"
                    " detected, rows, facts, billed_cost_micros, imported_by, imported_at)"
                    " values (1, 1, 'h', 'f.csv', 'csv', '{}', 1, 1, 30, 'me', CURRENT_TIMESTAMP)"
                )
            )
            for t, s, k, offset, c, u, f in facts:
                d = day + dt.timedelta(days=offset)
                conn.execute(
                    text(fact),
                    {"t": t, "s": s, "k": k, "d": d, "e": d, "c": c, "u": u, "f": f},
                )
        with engine.connect() as conn:
            before = stored(conn)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert stored(conn) == before
            assert conn.execute(text("select count(*) from activity_facts")).scalar() == 2
        indexes = {i["name"] for i in inspect(engine).get_indexes("usage_facts")}
        assert {"ix_usage_facts_seat_days", "ix_usage_facts_file_import_id"} <= indexes
        assert not indexes & {"ix_usage_facts_partition", "ix_usage_facts_day"}
        with pytest.raises(sqlalchemy.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                text(fact),
                {
                    "t": 1,
                    "s": "cursor",
                    "k": "a1",
                    "d": day,
                    "e": day,
                    "c": 1,
                    "u": None,
                    "f": None,
                },
            )
        with engine.begin() as conn:  # an import's facts go with it
            conn.execute(text("delete from file_imports where id = 1"))
            assert "file" not in conn.execute(text("select source from usage_facts")).scalars()
            conn.execute(text("delete from tenants where id = 1"))  # and a tenant's
        with engine.connect() as conn:
            after_delete = stored(conn)
        assert {r[1] for r in after_delete} == {2} and len(after_delete) == 2
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0017_activity_days")
        with engine.connect() as conn:
            assert stored(conn) == after_delete
        indexes = {i["name"] for i in inspect(engine).get_indexes("usage_facts")}
        assert {"ix_usage_facts_partition", "ix_usage_facts_day"} <= indexes
        with engine.begin() as conn:  # the foreign key cascades again
            conn.execute(text("delete from tenants where id = 2"))
            assert conn.execute(text("select count(*) from usage_facts")).scalar() == 0
        migrate.upgrade(engine)  # and up again
    finally:
        engine.dispose()

"""Migrations on SQLite and PostgreSQL: the data migrations move what the old schema held."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text


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


def test_activity_days_get_what_the_marts_read_of_their_metrics(unmigrated_url):
    """0019 fills default_seconds_saved and is_active of the rows stored before, the figures
    the writer stores for new ones; its downgrade drops them."""
    from alembic import command
    from sqlalchemy import inspect

    from warehouse import migrate
    from warehouse.activity_measures import day_measures
    from warehouse.engine import make_engine

    stored = {
        "ada": {"lines_added": 10, "chat_requests": 2, "commits": 3, "acceptance_rate": 0.375},
        "bob": {"x_billed_total_micros": 1234567},
        "cy": {"cmdk_usages": 0},
        "dee": {"accepted_lines_added": 2.5, "pull_requests": 1},
    }
    engine = make_engine(unmigrated_url)
    try:
        migrate.upgrade(engine, "0017_activity_days")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "insert into tenants (id, slug, name, created_at)"
                    " values (1, 'a', 'A', CURRENT_TIMESTAMP)"
                )
            )
            for account, metrics in stored.items():
                conn.execute(
                    text(
                        "insert into activity_days (tenant_id, source, account_key, day, metrics)"
                        " values (1, 'cursor', :a, :d, :m)"
                    ),
                    {"a": account, "d": dt.date(2026, 9, 1), "m": json.dumps(metrics)},
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            got = conn.execute(
                text(
                    "select account_key, default_seconds_saved, is_active from activity_days"
                    " order by account_key"
                )
            ).all()
        dialect = engine.dialect.name
        assert [tuple(r) for r in got] == [
            (account, *day_measures(metrics, dialect)) for account, metrics in stored.items()
        ]
        assert got[0][1:] == (10 * 6 + 2 * 30, 1) and got[1][1:] == (0, None)
        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0017_activity_days")
        columns = {c["name"] for c in inspect(engine).get_columns("activity_days")}
        assert "default_seconds_saved" not in columns and "is_active" not in columns
    finally:
        engine.dispose()

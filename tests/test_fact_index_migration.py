"""Migration 0018 on SQLite and PostgreSQL: the fact tables' new keys and indexes keep every
row, and a deleted tenant or file import still takes its facts with it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text


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


def test_the_fact_identity_check_reads_the_catalog_without_warnings(warehouse_url):
    """The ingest check asks the catalog whether usage_facts enforces its identity; on SQLite
    the expression index of 0021 made SQLAlchemy warn in the middle of every sync. The answer
    is still yes, and nothing is printed."""
    import warnings

    from warehouse.engine import make_engine
    from warehouse.models import FACT_IDENTITY
    from warehouse.unique_keys import enforces_unique

    engine = make_engine(warehouse_url)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with engine.connect() as conn:
            assert enforces_unique(conn, "usage_facts", FACT_IDENTITY)

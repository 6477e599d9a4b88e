"""fact tables cheaper to write: one unique index leading with the day, partial side indexes,
tenant deletion cascading through a trigger instead of a foreign key checked on every row

Revision ID: 0018_fact_write_indexes
Revises: 0017_activity_days
Create Date: 2026-11-30

Every fact a sync writes maintained six B-trees on ``usage_facts`` (the primary key, the unique
``(tenant_id, record_key)`` at a random place in the table's history, the partition, day and seat
indexes, ``file_import_id``) and a foreign-key check against ``tenants`` (PostgreSQL: a query
per row, ~26 % of the writing backend's CPU). Now:

- ``uq_usage_facts_day_source_key`` ``UNIQUE (tenant_id, charge_period_start, source,
  record_key)`` replaces the unique ``(tenant_id, record_key)`` and the partition and day
  indexes: its prefix serves a partition's delete (a tenant's day range, the source checked in
  the index) and the marts' day ranges; a write inserts into its days' pages, not all over. A
  record key hashes the tenant, source and day (``connectors.records``, file imports), so the
  wider key rejects exactly the duplicates the narrow one did.
- ``record_key`` compares bytewise on PostgreSQL (``COLLATE "C"``): a hex digest nobody reads in
  an order, compared without the locale's routines.
- The seat and file-import indexes hold only their rows: seat fees (``consumed_unit =
  'seat_days'``, what ``warehouse.idle_seats`` reads) and facts of a file import.
- ``activity_days``: its day index takes ``source`` too and serves the partition's delete; the
  partition index goes.
- The foreign keys from the two fact tables to ``tenants`` go, and the one from ``usage_facts``
  to ``file_imports`` (PostgreSQL opened ``file_imports`` for every row written, NULL or not:
  5 % of the backend's CPU). Triggers on ``tenants`` and ``file_imports`` delete a deleted
  tenant's or import's facts, as ``ON DELETE CASCADE`` did.

SQLite cannot drop a constraint in place: both tables are rebuilt (rows copied with their
ids), the ``activity_facts`` view set aside meanwhile. The downgrade restores the old schema.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_fact_write_indexes"
down_revision = "0017_activity_days"
branch_labels = None
depends_on = None

SEAT_ROWS = "consumed_unit = 'seat_days'"
IMPORTED_ROWS = "file_import_id IS NOT NULL"
# SQLite reflects unnamed constraints without a name: a batch rebuild names them by these.
_NAMES = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
}
# trigger (and PostgreSQL function) name -> (the table it is on, what it deletes)
_CASCADES = {
    "tenants_delete_facts": (
        "tenants",
        "DELETE FROM usage_facts WHERE tenant_id = OLD.id;"
        " DELETE FROM activity_days WHERE tenant_id = OLD.id;",
    ),
    "file_imports_delete_facts": (
        "file_imports",
        "DELETE FROM usage_facts WHERE file_import_id = OLD.id;",
    ),
}
_IMPORT_FK = "fk_usage_facts_file_import_id"


def _partial(name: str, table: str, columns: list[str], where: str, **kw) -> None:
    op.create_index(
        name, table, columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where), **kw
    )


def _tenant_fk(table: str) -> str:
    """The name of ``table``'s foreign key to ``tenants`` (PostgreSQL named it)."""
    for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if fk["referred_table"] == "tenants":
            return fk["name"]
    raise LookupError(f"{table} has no foreign key to tenants")


def _set_view_aside() -> str:
    """SQLite: drops ``activity_facts`` (a rebuild renames the table it reads), returning its SQL."""
    sql = op.get_bind().exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'activity_facts'"
    )
    (view,) = sql.one()
    op.execute("DROP VIEW activity_facts")
    return view


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_usage_facts_partition", table_name="usage_facts")
    op.drop_index("ix_usage_facts_day", table_name="usage_facts")
    op.drop_index("ix_usage_facts_seat_days", table_name="usage_facts")
    op.drop_index("ix_usage_facts_file_import_id", table_name="usage_facts")
    op.drop_index("ix_activity_days_partition", table_name="activity_days")
    op.drop_index("ix_activity_days_day", table_name="activity_days")
    unique = ["tenant_id", "charge_period_start", "source", "record_key"]
    if dialect == "postgresql":
        op.drop_constraint(_tenant_fk("usage_facts"), "usage_facts", type_="foreignkey")
        op.drop_constraint(_tenant_fk("activity_days"), "activity_days", type_="foreignkey")
        op.drop_constraint(_IMPORT_FK, "usage_facts", type_="foreignkey")
        op.drop_constraint("usage_facts_tenant_id_record_key_key", "usage_facts", type_="unique")
        op.execute('ALTER TABLE usage_facts ALTER COLUMN record_key TYPE VARCHAR(64) COLLATE "C"')
        op.create_unique_constraint("uq_usage_facts_day_source_key", "usage_facts", unique)
        for name, (table, deletes) in _CASCADES.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS"
                f" $$ BEGIN {deletes} RETURN OLD; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER DELETE ON {table} FOR EACH ROW"
                f" EXECUTE FUNCTION {name}()"
            )
    else:
        view = _set_view_aside()
        with op.batch_alter_table("usage_facts", naming_convention=_NAMES, recreate="always") as b:
            b.drop_constraint("fk_usage_facts_tenant_id_tenants", type_="foreignkey")
            b.drop_constraint(_IMPORT_FK, type_="foreignkey")
            b.drop_constraint("uq_usage_facts_tenant_id_record_key", type_="unique")
            b.create_unique_constraint("uq_usage_facts_day_source_key", unique)
        with op.batch_alter_table(
            "activity_days", naming_convention=_NAMES, recreate="always"
        ) as b:
            b.drop_constraint("fk_activity_days_tenant_id_tenants", type_="foreignkey")
        op.execute(view)
        for name, (table, deletes) in _CASCADES.items():
            op.execute(
                f"CREATE TRIGGER {name} AFTER DELETE ON {table} FOR EACH ROW BEGIN {deletes} END"
            )
    _partial(
        "ix_usage_facts_seat_days", "usage_facts", ["tenant_id", "charge_period_start"], SEAT_ROWS
    )
    _partial("ix_usage_facts_file_import_id", "usage_facts", ["file_import_id"], IMPORTED_ROWS)
    op.create_index("ix_activity_days_day", "activity_days", ["tenant_id", "day", "source"])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_activity_days_day", table_name="activity_days")
    op.drop_index("ix_usage_facts_file_import_id", table_name="usage_facts")
    op.drop_index("ix_usage_facts_seat_days", table_name="usage_facts")
    cascade = {"ondelete": "CASCADE"}
    if dialect == "postgresql":
        for name, (table, _deletes) in _CASCADES.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        op.drop_constraint("uq_usage_facts_day_source_key", "usage_facts", type_="unique")
        op.execute(
            'ALTER TABLE usage_facts ALTER COLUMN record_key TYPE VARCHAR(64) COLLATE "default"'
        )
        op.create_unique_constraint(
            "usage_facts_tenant_id_record_key_key", "usage_facts", ["tenant_id", "record_key"]
        )
        for table in ("usage_facts", "activity_days"):
            op.create_foreign_key(
                f"{table}_tenant_id_fkey", table, "tenants", ["tenant_id"], ["id"], **cascade
            )
        op.create_foreign_key(
            _IMPORT_FK, "usage_facts", "file_imports", ["file_import_id"], ["id"], **cascade
        )
    else:
        for name in _CASCADES:
            op.execute(f"DROP TRIGGER {name}")
        view = _set_view_aside()
        with op.batch_alter_table("usage_facts", naming_convention=_NAMES, recreate="always") as b:
            b.drop_constraint("uq_usage_facts_day_source_key", type_="unique")
            b.create_unique_constraint(
                "uq_usage_facts_tenant_id_record_key", ["tenant_id", "record_key"]
            )
            b.create_foreign_key(
                "fk_usage_facts_tenant_id_tenants", "tenants", ["tenant_id"], ["id"], **cascade
            )
            b.create_foreign_key(_IMPORT_FK, "file_imports", ["file_import_id"], ["id"], **cascade)
        with op.batch_alter_table(
            "activity_days", naming_convention=_NAMES, recreate="always"
        ) as b:
            b.create_foreign_key(
                "fk_activity_days_tenant_id_tenants", "tenants", ["tenant_id"], ["id"], **cascade
            )
        op.execute(view)
    op.create_index("ix_activity_days_day", "activity_days", ["tenant_id", "day"])
    op.create_index("ix_activity_days_partition", "activity_days", ["tenant_id", "source", "day"])
    op.create_index("ix_usage_facts_file_import_id", "usage_facts", ["file_import_id"])
    op.create_index(
        "ix_usage_facts_seat_days",
        "usage_facts",
        ["tenant_id", "consumed_unit", "charge_period_start"],
    )
    op.create_index("ix_usage_facts_day", "usage_facts", ["tenant_id", "charge_period_start"])
    op.create_index(
        "ix_usage_facts_partition", "usage_facts", ["tenant_id", "source", "charge_period_start"]
    )

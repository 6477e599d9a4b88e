"""activity as one row per account and day: activity_days, and the activity_facts view

Revision ID: 0017_activity_days
Revises: 0016_idle_seat_index
Create Date: 2026-11-29

``activity_facts`` held one row per (account, day, metric): ~14 rows per account-day, 80 % of
the rows a sync wrote. ``activity_days`` holds one row per (account, day) with the metrics in
a JSON object (jsonb on PostgreSQL), so a connector still adds a metric without a migration.
The existing rows move over in SQL, integers as JSON integers and other values exactly, and
``activity_facts`` becomes a view unnesting it, with the old columns (no ``id``), for every
reader that wants one row per metric. The downgrade moves the rows back.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017_activity_days"
down_revision = "0016_idle_seat_index"
branch_labels = None
depends_on = None

# activity_days unnested: the columns of the old table, one row per metric.
_UNNESTED = {
    "sqlite": (
        "SELECT d.tenant_id, d.source, d.account_key, d.day, m.key AS metric, m.value AS value,"
        " d.ingestion_run_id FROM activity_days d CROSS JOIN json_each(d.metrics) m"
    ),
    "postgresql": (
        "SELECT d.tenant_id, d.source, d.account_key, d.day, m.key AS metric,"
        " CAST(m.value AS NUMERIC) AS value, d.ingestion_run_id FROM activity_days d"
        " CROSS JOIN LATERAL jsonb_each_text(d.metrics) AS m(key, value)"
    ),
}
# One JSON value per metric: integers as integers, other values exactly (trailing zeros of the
# old numeric(24, 6) dropped).
_AGGREGATE = {
    "sqlite": (
        "json_group_object(metric, CASE WHEN value = CAST(value AS INTEGER)"
        " THEN CAST(value AS INTEGER) ELSE value END)"
    ),
    "postgresql": "jsonb_object_agg(metric, to_jsonb(trim_scale(value)))",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "activity_days",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("account_key", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metrics", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("ingestion_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "account_key", "day"),
    )
    op.create_index("ix_activity_days_partition", "activity_days", ["tenant_id", "source", "day"])
    op.create_index("ix_activity_days_day", "activity_days", ["tenant_id", "day"])
    op.execute(
        "INSERT INTO activity_days (tenant_id, source, account_key, day, metrics,"
        f" ingestion_run_id) SELECT tenant_id, source, account_key, day, {_AGGREGATE[dialect]},"
        " max(ingestion_run_id) FROM activity_facts GROUP BY tenant_id, source, account_key, day"
    )
    op.drop_index("ix_activity_facts_day", table_name="activity_facts")
    op.drop_index("ix_activity_facts_partition", table_name="activity_facts")
    op.drop_table("activity_facts")
    op.execute(f"CREATE VIEW activity_facts AS {_UNNESTED[dialect]}")


def downgrade() -> None:
    op.execute("DROP VIEW activity_facts")
    op.create_table(
        "activity_facts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("account_key", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("ingestion_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "account_key", "day", "metric"),
    )
    op.create_index("ix_activity_facts_partition", "activity_facts", ["tenant_id", "source", "day"])
    op.create_index("ix_activity_facts_day", "activity_facts", ["tenant_id", "day"])
    op.execute(
        "INSERT INTO activity_facts (tenant_id, source, account_key, day, metric, value,"
        f" ingestion_run_id) {_UNNESTED[op.get_bind().dialect.name]}"
    )
    op.drop_index("ix_activity_days_day", table_name="activity_days")
    op.drop_index("ix_activity_days_partition", table_name="activity_days")
    op.drop_table("activity_days")

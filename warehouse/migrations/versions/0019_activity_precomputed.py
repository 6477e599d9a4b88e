"""activity_days.default_seconds_saved and is_active: what member_daily reads of a day's metrics

Revision ID: 0019_activity_precomputed
Revises: 0018_fact_write_indexes
Create Date: 2026-11-30

``member_daily`` read every activity day's JSON object on every rebuild: seven fields for the
default seconds saved and an unnesting for "was anyone active" (measured at 200 members × 365
days of realistic metrics: most of the mart's cost on PostgreSQL). The writer now stores both
figures beside the metrics (``warehouse.activity_measures``); the rows stored before get them
here, computed in SQL exactly as the mart computed them. The downgrade drops the columns.
"""

import sqlalchemy as sa
from alembic import op

from warehouse.activity_measures import measures_sql

revision = "0019_activity_precomputed"
down_revision = "0018_fact_write_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activity_days", sa.Column("default_seconds_saved", sa.BigInteger()))
    op.add_column("activity_days", sa.Column("is_active", sa.SmallInteger()))
    seconds, active = measures_sql(op.get_bind().dialect.name, "metrics")
    op.execute(f"UPDATE activity_days SET default_seconds_saved = {seconds}, is_active = {active}")


def downgrade() -> None:
    # (SQLite ≥ 3.35 drops a column in place; the activity_facts view does not read these.)
    op.drop_column("activity_days", "is_active")
    op.drop_column("activity_days", "default_seconds_saved")

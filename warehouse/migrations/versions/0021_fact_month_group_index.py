"""usage_facts on SQLite: an index of the facts in member_period_models' group order

Revision ID: 0021_fact_month_group_index
Revises: 0020_tagged_facts_index
Create Date: 2026-11-30

``member_period_models`` sums a month's facts per account and model. SQLite groups by sorting:
a month of facts (186,000 at 1,000 members) took 0.45 s of CPU, two thirds of it the sort, and
a sync's one-day refresh recomputes that month. This index holds the facts in the model's group
order after the tenant and the month (``@month_key``: the date's first 7 characters), so the
model reads a month in group order and aggregates as it goes (measured: 0.45 s → 0.22 s of CPU
for the month, and the full rebuild 4.7 s → 2.9 s). It costs every fact written one more
B-tree entry (measured: +15 % CPU inserting facts, +16 % file size).

PostgreSQL hash-aggregates the month instead (an ordered index scan saved a sixth of the
month's time, and only with hash aggregates and bitmap scans turned off): no index there.
"""

from alembic import op

revision = "0021_fact_month_group_index"
down_revision = "0020_tagged_facts_index"
branch_labels = None
depends_on = None

INDEX = "ix_usage_facts_month_group"
# The grouping of dbt_like_sql/member_period_models.sql, after the tenant and @month_key: SQLite
# matches the expression as written there (substr(date, 1, 7)).
COLUMNS = (
    "tenant_id, substr(charge_period_start, 1, 7), account_key, source, sku, provider, service"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX {INDEX} ON usage_facts ({COLUMNS})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP INDEX {INDEX}")

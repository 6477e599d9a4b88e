"""mart indexes: facts by tenant and day

Revision ID: 0015_mart_indexes
Revises: 0013_file_imports
Create Date: 2026-11-29

An incremental mart build reads the facts of a few days or months of one tenant. The
partition indexes lead with ``source`` (a sync replaces one source's days), so a date range
over every source scanned the tenant's whole history; these lead with the day.
"""

from alembic import op

revision = "0015_mart_indexes"
down_revision = "0014_tag_assignments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_usage_facts_day", "usage_facts", ["tenant_id", "charge_period_start"])
    op.create_index("ix_activity_facts_day", "activity_facts", ["tenant_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_activity_facts_day", table_name="activity_facts")
    op.drop_index("ix_usage_facts_day", table_name="usage_facts")

"""an index of the facts carrying vendor tags: "has the tenant any?" without reading every fact

Revision ID: 0020_tagged_facts_index
Revises: 0019_activity_precomputed
Create Date: 2026-11-30

The ``spend_by_tag`` mart (``warehouse.tag_spend``), rebuilt after every sync, first asks
whether any of the tenant's facts carries vendor tags. Most vendors send none, so the answer
was "no" after reading every fact of the tenant (SQLite, 1,000 members × 90 days: ~0.3 s of the
sync's tail). The index holds only the tagged facts (``tags IS NOT NULL``): empty when no
vendor tags, so a fact without tags costs its write nothing, and the question is one lookup.
"""

from alembic import op
from sqlalchemy import text

revision = "0020_tagged_facts_index"
down_revision = "0019_activity_precomputed"
branch_labels = None
depends_on = None

TAGGED_ROWS = "tags IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_usage_facts_tagged",
        "usage_facts",
        ["tenant_id"],
        sqlite_where=text(TAGGED_ROWS),
        postgresql_where=text(TAGGED_ROWS),
    )


def downgrade() -> None:
    op.drop_index("ix_usage_facts_tagged", table_name="usage_facts")

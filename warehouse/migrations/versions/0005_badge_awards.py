"""badge awards: append-only, one per member and badge

Revision ID: 0005_badge_awards
Revises: 0004_vendor_totals
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_badge_awards"
down_revision = "0004_vendor_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "badge_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("badge", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "member_id", "badge"),
    )
    with op.batch_alter_table("badge_awards", schema=None) as batch_op:
        batch_op.create_index("ix_badge_awards_member_id", ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("badge_awards", schema=None) as batch_op:
        batch_op.drop_index("ix_badge_awards_member_id")
    op.drop_table("badge_awards")

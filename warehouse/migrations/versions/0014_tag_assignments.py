"""tag assignments, and the spend_by_tag and vendor_period marts

Revision ID: 0014_tag_assignments
Revises: 0013_file_imports
Create Date: 2026-11-29

Admins attach ``key=value`` tags to a vendor dimension (an account, an API key, a workspace or
a project of a source) in ``tag_assignments``. ``spend_by_tag`` and ``vendor_period`` are
Python-built marts (``pipelines.tag_marts``), rewritten per tenant.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_tag_assignments"
down_revision = "0013_file_imports"
branch_labels = None
depends_on = None


def _tenant_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "tag_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("dimension_value", sa.String(length=320), nullable=False),
        sa.Column("tag_key", sa.String(length=64), nullable=False),
        sa.Column("tag_value", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "dimension", "dimension_value", "tag_key"),
    )
    with op.batch_alter_table("tag_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tag_assignments_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "spend_by_tag",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("tag_key", sa.Text(), nullable=False),
        sa.Column("tag_value", sa.Text(), nullable=False),
        sa.Column("tagged", sa.Boolean(), nullable=False),
        sa.Column("billed_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("estimated_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("list_price_micros", sa.BigInteger(), nullable=True),
        sa.Column("tokens", sa.BigInteger(), nullable=True),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("tenant_id", "period", "source", "tag_key", "tag_value"),
    )
    op.create_table(
        "vendor_period",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("billed_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("estimated_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("idle_seats", sa.Integer(), nullable=False),
        sa.Column("idle_seat_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("tenant_id", "period", "source"),
    )


def downgrade() -> None:
    op.drop_table("vendor_period")
    op.drop_table("spend_by_tag")
    with op.batch_alter_table("tag_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_assignments_tenant_id"))
    op.drop_table("tag_assignments")

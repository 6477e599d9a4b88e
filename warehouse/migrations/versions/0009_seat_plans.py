"""seat plans: a tenant's price per seat and month for a vendor's plan, with validity dates

Revision ID: 0009_seat_plans
Revises: 0008_prices
Create Date: 2026-11-29

A price change closes the previous price (``valid_to``) and adds a new one, so the months
before it keep their price (``warehouse.seat_plans``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_seat_plans"
down_revision = "0008_prices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seat_plan_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("micros_per_seat_month", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "plan", "valid_from"),
    )
    with op.batch_alter_table("seat_plan_prices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seat_plan_prices_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("seat_plan_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_plan_prices_tenant_id"))
    op.drop_table("seat_plan_prices")

"""model savings: the same tokens on the cheapest model of the same provider (list prices)

Revision ID: 0011_model_savings
Revises: 0010_api_tokens
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_model_savings"
down_revision = "0010_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_savings",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("list_micros", sa.BigInteger(), nullable=False),
        sa.Column("cheapest_model", sa.String(length=200), nullable=False),
        sa.Column("cheapest_micros", sa.BigInteger(), nullable=False),
        sa.Column("saving_micros", sa.BigInteger(), nullable=False),
        sa.Column("price_versions", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "period", "member_id", "model"),
    )


def downgrade() -> None:
    op.drop_table("model_savings")

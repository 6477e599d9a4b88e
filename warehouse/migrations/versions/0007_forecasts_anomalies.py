"""vendor month-end forecasts and spend anomalies

Revision ID: 0007_forecasts_anomalies
Revises: 0006_budgets
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_forecasts_anomalies"
down_revision = "0006_budgets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vendor_forecasts",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("realised_micros", sa.BigInteger(), nullable=False),
        sa.Column("daily_rate_micros", sa.BigInteger(), nullable=False),
        sa.Column("days_left", sa.Integer(), nullable=False),
        sa.Column("projected_micros", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "period", "source"),
    )
    op.create_table(
        "spend_anomalies",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("baseline_micros", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "day", "scope", "subject"),
    )


def downgrade() -> None:
    op.drop_table("spend_anomalies")
    op.drop_table("vendor_forecasts")

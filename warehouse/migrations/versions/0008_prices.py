"""model_prices: list prices per model an admin set for a tenant, one row per version

Revision ID: 0008_prices
Revises: 0007_forecasts_anomalies
Create Date: 2026-11-29

The prices aispend ships stay in code (``warehouse.price_defaults``, append-only); this table
holds a tenant's own versions, never updated in place, so a day once priced keeps its price.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_prices"
down_revision = "0007_forecasts_anomalies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    price = sa.Numeric(precision=18, scale=6)
    op.create_table(
        "model_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("input_usd_per_mtok", price, nullable=False),
        sa.Column("output_usd_per_mtok", price, nullable=False),
        sa.Column("cache_read_usd_per_mtok", price, nullable=True),
        sa.Column("cache_write_usd_per_mtok", price, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "model", "valid_from"),
    )
    with op.batch_alter_table("model_prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_prices_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_prices_tenant_id"))
    op.drop_table("model_prices")

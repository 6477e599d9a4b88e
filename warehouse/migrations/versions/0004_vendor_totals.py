"""vendor control totals get their own tables; the fake x_vendor_total account goes

Revision ID: 0004_vendor_totals
Revises: 0003_suggestions
Create Date: 2026-11-29

Until now a connector reported the vendor's billed total per day as an activity metric
(``x_billed_total_micros``) of a fake vendor account ``x_vendor_total`` (kind ``user``), which an
identity-linking screen would offer as a person. Control totals now live in
``vendor_billed_totals`` (and independent period totals in ``vendor_reconciliation_totals``).
This migration moves the totals already stored there, then deletes the fake activities,
identity links and accounts. ``usage_facts.tags`` (FOCUS Tags) is added beside them.

Downgrade drops the new tables and column; it does not recreate the fake account.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_vendor_totals"
down_revision = "0003_suggestions"
branch_labels = None
depends_on = None

FAKE_ACCOUNT = "x_vendor_total"
FAKE_METRIC = "x_billed_total_micros"


def upgrade() -> None:
    op.create_table(
        "vendor_billed_totals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("billed_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ingestion_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "day", "scope"),
    )
    with op.batch_alter_table("vendor_billed_totals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vendor_billed_totals_partition", ["tenant_id", "source", "day"], unique=False
        )
    op.create_table(
        "vendor_reconciliation_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("account_key", sa.String(length=320), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("billed_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("tolerance_micros", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_run_id", sa.String(length=64), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "source", "name", "account_key", "period_start"),
    )
    with op.batch_alter_table("vendor_reconciliation_totals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vendor_reconciliation_totals_tenant_id"), ["tenant_id"], unique=False
        )
    with op.batch_alter_table("usage_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))

    # Data: the control totals stored as a fake account's activity move to their own table.
    bind = op.get_bind()
    params = {"account": FAKE_ACCOUNT, "metric": FAKE_METRIC}
    bind.execute(
        sa.text(
            "insert into vendor_billed_totals"
            " (tenant_id, source, day, scope, billed_cost_micros, currency, ingestion_run_id)"
            " select tenant_id, source, day, '', cast(value as bigint), 'USD', ingestion_run_id"
            " from activity_facts where account_key = :account and metric = :metric"
        ),
        params,
    )
    bind.execute(
        sa.text("delete from activity_facts where account_key = :account"),
        {"account": FAKE_ACCOUNT},
    )
    bind.execute(
        sa.text(
            "delete from identity_links where vendor_account_id in"
            " (select id from vendor_accounts where account_key = :account)"
        ),
        {"account": FAKE_ACCOUNT},
    )
    bind.execute(
        sa.text("delete from vendor_accounts where account_key = :account"),
        {"account": FAKE_ACCOUNT},
    )


def downgrade() -> None:
    with op.batch_alter_table("usage_facts", schema=None) as batch_op:
        batch_op.drop_column("tags")
    with op.batch_alter_table("vendor_reconciliation_totals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendor_reconciliation_totals_tenant_id"))
    op.drop_table("vendor_reconciliation_totals")
    with op.batch_alter_table("vendor_billed_totals", schema=None) as batch_op:
        batch_op.drop_index("ix_vendor_billed_totals_partition")
    op.drop_table("vendor_billed_totals")

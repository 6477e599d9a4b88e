"""file imports: the imported files, the invoices they named, and the facts they wrote

Revision ID: 0013_file_imports
Revises: 0012_sessions_throttle
Create Date: 2026-11-29

``aispend import FILE`` records every imported file (its content hash makes a re-import a
no-op) in ``file_imports`` and the invoices it named with their totals in
``file_import_invoices``. Its facts are ``usage_facts`` rows of source ``file`` carrying the
import's id (``file_import_id``) and, when the file named one (aispend's own FOCUS export),
the source they came from (``origin_source``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_file_imports"
down_revision = "0012_sessions_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("file_format", sa.String(length=32), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("detected", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.Column("billed_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("imported_by", sa.String(length=320), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "content_hash"),
    )
    with op.batch_alter_table("file_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_imports_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "file_import_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("file_import_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("billed_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("stated_total_micros", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["file_import_id"], ["file_imports.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("file_import_id", "invoice_id"),
    )
    with op.batch_alter_table("file_import_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_file_import_invoices_tenant_id"), ["tenant_id"], unique=False
        )
    with op.batch_alter_table("usage_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_import_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("origin_source", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_usage_facts_file_import_id"), ["file_import_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_usage_facts_file_import_id",
            "file_imports",
            ["file_import_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_facts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_usage_facts_file_import_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_usage_facts_file_import_id"))
        batch_op.drop_column("origin_source")
        batch_op.drop_column("file_import_id")
    with op.batch_alter_table("file_import_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_import_invoices_tenant_id"))
    op.drop_table("file_import_invoices")
    with op.batch_alter_table("file_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_imports_tenant_id"))
    op.drop_table("file_imports")

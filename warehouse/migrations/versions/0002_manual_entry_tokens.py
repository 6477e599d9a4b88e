"""manual entries: optional token count

Revision ID: 0002_manual_tokens
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_manual_tokens"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("manual_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tokens", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("manual_entries", schema=None) as batch_op:
        batch_op.drop_column("tokens")

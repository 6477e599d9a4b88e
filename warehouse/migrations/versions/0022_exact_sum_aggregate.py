"""PostgreSQL: aispend_sum(bigint), an exact integer sum that stays a bigint

Revision ID: 0022_exact_sum_aggregate
Revises: 0021_fact_month_group_index
Create Date: 2026-11-30

The marts sum integer micro-dollars and token counts (``@money_sum``, ``@int_sum``).
PostgreSQL's ``sum(bigint)`` returns a numeric: it keeps a 128-bit state per group and builds a
numeric at the end, which the macros then cast back to bigint. ``aispend_sum`` adds with
``int8pl``, the ``+`` of two bigints: a plain bigint state and result, an error (never a wrong
number) past ±9.2e18, NULL when every value is NULL, as ``sum``. Measured, member_daily's full
build at 1,000 members × 365 days (365,000 groups of seven sums): 5-8 % less time. SQLite's
``sum`` of integers is an integer already: nothing to create there.
"""

from alembic import op

revision = "0022_exact_sum_aggregate"
down_revision = "0021_fact_month_group_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE AGGREGATE aispend_sum(bigint) "
            "(SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP AGGREGATE IF EXISTS aispend_sum(bigint)")

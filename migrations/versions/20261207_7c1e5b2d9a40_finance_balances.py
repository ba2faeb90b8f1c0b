"""finance balances: per account, month and department, kept by posting

Revision ID: 7c1e5b2d9a40
Revises: a7b3c1d9e2f4
Create Date: 2026-12-07 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5b2d9a40"
down_revision: str | None = "a7b3c1d9e2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO finance_balances (account_id, year, month, department, debit, credit)
SELECT l.account_id, p.year, p.month, l.department, SUM(l.debit), SUM(l.credit)
FROM finance_entry_lines l
JOIN finance_entries e ON e.id = l.entry_id
JOIN finance_periods p ON p.id = e.period_id
GROUP BY l.account_id, p.year, p.month, l.department
"""


def upgrade() -> None:
    """Apply this revision: the table, filled from the lines already posted."""
    op.create_table(
        "finance_balances",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["finance_accounts.id"],
            name=op.f("fk_finance_balances_account_id_finance_accounts"),
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "year", "month", "department", name=op.f("pk_finance_balances")
        ),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("finance_balances")

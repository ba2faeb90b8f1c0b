"""finance budgets: per department, account and month, with an owner and the alerts sent

Revision ID: a7b3c1d9e2f4
Revises: a7f3c1d2e9b4
Create Date: 2026-12-07 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7b3c1d9e2f4"
down_revision: str | None = "a7f3c1d2e9b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "finance_budgets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("account_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("alerted", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_finance_budgets_owner_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["members.id"], name=op.f("fk_finance_budgets_updated_by_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_budgets")),
        sa.UniqueConstraint(
            "department",
            "account_code",
            "year",
            "month",
            name=op.f("uq_finance_budgets_department_account_code_year_month"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("finance_budgets")

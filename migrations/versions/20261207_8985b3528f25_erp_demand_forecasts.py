"""erp: demand forecasts per product and week or month, for MRP

Revision ID: 8985b3528f25
Revises: 92ada6e3ce39
Create Date: 2026-12-07 19:37:13.218158
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8985b3528f25"
down_revision: str | None = "92ada6e3ce39"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erp_forecasts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_forecasts_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_forecasts")),
        sa.UniqueConstraint(
            "product_id",
            "period_kind",
            "period_start",
            name=op.f("uq_erp_forecasts_product_id_period_kind_period_start"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("erp_forecasts")

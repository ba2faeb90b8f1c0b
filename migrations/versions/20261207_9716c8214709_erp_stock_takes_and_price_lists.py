"""ERP stock takes (blind counts and their books) and price lists with quantity breaks

Revision ID: 9716c8214709
Revises: f50aa9324c56
Create Date: 2026-12-07 14:27:44.367034
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9716c8214709"
down_revision: str | None = "f50aa9324c56"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erp_price_lists",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_price_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_erp_price_lists_name")),
    )
    with op.batch_alter_table("erp_price_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erp_price_lists_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "erp_price_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "price_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("min_qty", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["erp_price_lists.id"],
            name=op.f("fk_erp_price_lines_price_list_id_erp_price_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_price_lines_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_price_lines")),
        sa.UniqueConstraint(
            "price_list_id",
            "product_id",
            "min_qty",
            name=op.f("uq_erp_price_lines_price_list_id_product_id_min_qty"),
        ),
    )
    op.create_table(
        "erp_stock_takes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "open_warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["members.id"], name=op.f("fk_erp_stock_takes_decided_by_members")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["erp_locations.id"],
            name=op.f("fk_erp_stock_takes_location_id_erp_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["open_warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_stock_takes_open_warehouse_id_erp_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["members.id"], name=op.f("fk_erp_stock_takes_started_by_members")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_stock_takes_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_stock_takes")),
        sa.UniqueConstraint("open_warehouse_id", name=op.f("uq_erp_stock_takes_open_warehouse_id")),
    )
    op.create_table(
        "erp_stock_counts",
        sa.Column(
            "stock_take_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["members.id"], name=op.f("fk_erp_stock_counts_counter_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_stock_counts_product_id_erp_products"),
        ),
        sa.ForeignKeyConstraint(
            ["stock_take_id"],
            ["erp_stock_takes.id"],
            name=op.f("fk_erp_stock_counts_stock_take_id_erp_stock_takes"),
        ),
        sa.PrimaryKeyConstraint(
            "stock_take_id", "product_id", "counter_id", name=op.f("pk_erp_stock_counts")
        ),
    )
    op.create_table(
        "erp_stock_take_books",
        sa.Column(
            "stock_take_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("book", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_stock_take_books_product_id_erp_products"),
        ),
        sa.ForeignKeyConstraint(
            ["stock_take_id"],
            ["erp_stock_takes.id"],
            name=op.f("fk_erp_stock_take_books_stock_take_id_erp_stock_takes"),
        ),
        sa.PrimaryKeyConstraint(
            "stock_take_id", "product_id", name=op.f("pk_erp_stock_take_books")
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("erp_stock_take_books")
    op.drop_table("erp_stock_counts")
    op.drop_table("erp_stock_takes")
    op.drop_table("erp_price_lines")
    with op.batch_alter_table("erp_price_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_price_lists_customer_id"))

    op.drop_table("erp_price_lists")

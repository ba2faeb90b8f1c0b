"""the ERP catalog, warehouses and locations, the stock ledger and its balances

Revision ID: f50aa9324c56
Revises: c5e2a9d41f07
Create Date: 2026-12-07 14:11:45.680970
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f50aa9324c56"
down_revision: str | None = "c5e2a9d41f07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erp_products",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("uom", sa.String(length=16), nullable=False),
        sa.Column("purchase_uom", sa.String(length=16), nullable=False),
        sa.Column("purchase_factor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("list_price", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate", sa.BigInteger(), nullable=False),
        sa.Column("safety_stock", sa.BigInteger(), nullable=False),
        sa.Column("reorder_point", sa.BigInteger(), nullable=False),
        sa.Column("reorder_qty", sa.BigInteger(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("default_supplier", sa.String(length=200), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_erp_products_sku")),
    )
    op.create_table(
        "erp_warehouses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_erp_warehouses_code")),
    )
    op.create_table(
        "erp_locations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_locations_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_locations")),
        sa.UniqueConstraint(
            "warehouse_id", "code", name=op.f("uq_erp_locations_warehouse_id_code")
        ),
    )
    op.create_table(
        "erp_safety_watch",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_safety_watch_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_erp_safety_watch")),
    )
    op.create_table(
        "erp_stock_balances",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["erp_locations.id"],
            name=op.f("fk_erp_stock_balances_location_id_erp_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_stock_balances_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("product_id", "location_id", name=op.f("pk_erp_stock_balances")),
    )
    op.create_table(
        "erp_stock_moves",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["members.id"], name=op.f("fk_erp_stock_moves_actor_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["erp_locations.id"],
            name=op.f("fk_erp_stock_moves_from_location_id_erp_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_stock_moves_product_id_erp_products"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["erp_locations.id"],
            name=op.f("fk_erp_stock_moves_to_location_id_erp_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_stock_moves")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_erp_stock_moves_idempotency_key")),
    )
    with op.batch_alter_table("erp_stock_moves", schema=None) as batch_op:
        batch_op.create_index("ix_erp_stock_moves_product", ["product_id", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("erp_stock_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_erp_stock_moves_product")

    op.drop_table("erp_stock_moves")
    op.drop_table("erp_stock_balances")
    op.drop_table("erp_safety_watch")
    op.drop_table("erp_locations")
    op.drop_table("erp_warehouses")
    op.drop_table("erp_products")

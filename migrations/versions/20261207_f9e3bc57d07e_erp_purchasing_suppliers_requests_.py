"""erp purchasing: suppliers, requests, quotes, orders, receipts

Revision ID: f9e3bc57d07e
Revises: 9716c8214709
Create Date: 2026-12-07 14:27:20.767900
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f9e3bc57d07e"
down_revision: str | None = "9716c8214709"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erp_suppliers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contacts", sa.String(length=500), nullable=False),
        sa.Column("payment_terms", sa.String(length=200), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_suppliers")),
        sa.UniqueConstraint("name", name=op.f("uq_erp_suppliers_name")),
    )
    op.create_table(
        "erp_purchase_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approval_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["members.id"],
            name=op.f("fk_erp_purchase_requests_requester_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_purchase_requests")),
        sa.UniqueConstraint("approval_id", name=op.f("uq_erp_purchase_requests_approval_id")),
        sa.UniqueConstraint("number", name=op.f("uq_erp_purchase_requests_number")),
    )
    op.create_table(
        "erp_purchase_orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["members.id"], name=op.f("fk_erp_purchase_orders_created_by_members")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["erp_purchase_requests.id"],
            name=op.f("fk_erp_purchase_orders_request_id_erp_purchase_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp_suppliers.id"],
            name=op.f("fk_erp_purchase_orders_supplier_id_erp_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_purchase_orders_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_purchase_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_erp_purchase_orders_number")),
        sa.UniqueConstraint("request_id", name=op.f("uq_erp_purchase_orders_request_id")),
    )
    op.create_table(
        "erp_purchase_request_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_purchase_request_lines_product_id_erp_products"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["erp_purchase_requests.id"],
            name=op.f("fk_erp_purchase_request_lines_request_id_erp_purchase_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_purchase_request_lines")),
    )
    op.create_table(
        "erp_quotes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_price", sa.BigInteger(), nullable=True),
        sa.Column("lead_days", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["erp_products.id"], name=op.f("fk_erp_quotes_product_id_erp_products")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["erp_purchase_requests.id"],
            name=op.f("fk_erp_quotes_request_id_erp_purchase_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp_suppliers.id"],
            name=op.f("fk_erp_quotes_supplier_id_erp_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_quotes")),
        sa.UniqueConstraint(
            "request_id",
            "supplier_id",
            "product_id",
            name=op.f("uq_erp_quotes_request_id_supplier_id_product_id"),
        ),
    )
    op.create_table(
        "erp_purchase_order_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_purchase_orders.id"],
            name=op.f("fk_erp_purchase_order_lines_order_id_erp_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_purchase_order_lines_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_purchase_order_lines")),
    )
    op.create_table(
        "erp_receipts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_purchase_orders.id"],
            name=op.f("fk_erp_receipts_order_id_erp_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["members.id"], name=op.f("fk_erp_receipts_received_by_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_receipts")),
        sa.UniqueConstraint("key", name=op.f("uq_erp_receipts_key")),
    )
    op.create_table(
        "erp_receipt_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["erp_purchase_order_lines.id"],
            name=op.f("fk_erp_receipt_lines_order_line_id_erp_purchase_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["erp_receipts.id"],
            name=op.f("fk_erp_receipt_lines_receipt_id_erp_receipts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_receipt_lines")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("erp_receipt_lines")
    op.drop_table("erp_receipts")
    op.drop_table("erp_purchase_order_lines")
    op.drop_table("erp_quotes")
    op.drop_table("erp_purchase_request_lines")
    op.drop_table("erp_purchase_orders")
    op.drop_table("erp_purchase_requests")
    op.drop_table("erp_suppliers")

"""the ERP sales: document numbering, quotations and sales orders, their lines, deliveries

Revision ID: 0f6ecaa183fb
Revises: f9e3bc57d07e
Create Date: 2026-12-07 14:29:03.460864
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0f6ecaa183fb"
down_revision: str | None = "f9e3bc57d07e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erp_sequences",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_erp_sequences")),
    )
    op.create_table(
        "erp_sales_documents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quote_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["erp_locations.id"],
            name=op.f("fk_erp_sales_documents_location_id_erp_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_erp_sales_documents_owner_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["erp_sales_documents.id"],
            name=op.f("fk_erp_sales_documents_quote_id_erp_sales_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sales_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_erp_sales_documents_number")),
    )
    with op.batch_alter_table("erp_sales_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erp_sales_documents_customer", ["customer_id", "id"], unique=False
        )

    op.create_table(
        "erp_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tracking", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["members.id"], name=op.f("fk_erp_deliveries_actor_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["erp_sales_documents.id"],
            name=op.f("fk_erp_deliveries_document_id_erp_sales_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_erp_deliveries_key")),
    )
    op.create_table(
        "erp_sales_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["erp_sales_documents.id"],
            name=op.f("fk_erp_sales_lines_document_id_erp_sales_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["erp_products.id"],
            name=op.f("fk_erp_sales_lines_product_id_erp_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sales_lines")),
    )
    with op.batch_alter_table("erp_sales_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erp_sales_lines_product", ["product_id", "document_id"], unique=False
        )

    op.create_table(
        "erp_delivery_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("move_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["erp_deliveries.id"],
            name=op.f("fk_erp_delivery_lines_delivery_id_erp_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["erp_sales_lines.id"],
            name=op.f("fk_erp_delivery_lines_line_id_erp_sales_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["move_id"],
            ["erp_stock_moves.id"],
            name=op.f("fk_erp_delivery_lines_move_id_erp_stock_moves"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_delivery_lines")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("erp_delivery_lines")
    with op.batch_alter_table("erp_sales_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_erp_sales_lines_product")

    op.drop_table("erp_sales_lines")
    op.drop_table("erp_deliveries")
    with op.batch_alter_table("erp_sales_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_erp_sales_documents_customer")

    op.drop_table("erp_sales_documents")
    op.drop_table("erp_sequences")

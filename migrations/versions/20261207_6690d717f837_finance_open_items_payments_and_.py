"""Finance receivables and payables: open items, payments and receipts, and their matches

Revision ID: 6690d717f837
Revises: 8985b3528f25
Create Date: 2026-12-07 19:35:37.127750
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6690d717f837"
down_revision: str | None = "8985b3528f25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "finance_open_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party_kind", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("party_name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("open_amount", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["finance_entries.id"],
            name=op.f("fk_finance_open_items_entry_id_finance_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_open_items")),
        sa.UniqueConstraint("document", name=op.f("uq_finance_open_items_document")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_finance_open_items_entry_id")),
    )
    with op.batch_alter_table("finance_open_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finance_open_items_party", ["party_kind", "party_id", "due_on"], unique=False
        )

    op.create_table(
        "finance_payments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("party_kind", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("party_name", sa.String(length=200), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("unapplied", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["members.id"], name=op.f("fk_finance_payments_actor_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["finance_entries.id"],
            name=op.f("fk_finance_payments_entry_id_finance_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_payments")),
        sa.UniqueConstraint("key", name=op.f("uq_finance_payments_key")),
    )
    with op.batch_alter_table("finance_payments", schema=None) as batch_op:
        batch_op.create_index("ix_finance_payments_party", ["party_kind", "party_id"], unique=False)

    op.create_table(
        "finance_allocations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["finance_open_items.id"],
            name=op.f("fk_finance_allocations_item_id_finance_open_items"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["finance_payments.id"],
            name=op.f("fk_finance_allocations_payment_id_finance_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_allocations")),
    )
    with op.batch_alter_table("finance_allocations", schema=None) as batch_op:
        batch_op.create_index("ix_finance_allocations_item", ["item_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("finance_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_finance_allocations_item")

    op.drop_table("finance_allocations")
    with op.batch_alter_table("finance_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_finance_payments_party")

    op.drop_table("finance_payments")
    with op.batch_alter_table("finance_open_items", schema=None) as batch_op:
        batch_op.drop_index("ix_finance_open_items_party")

    op.drop_table("finance_open_items")

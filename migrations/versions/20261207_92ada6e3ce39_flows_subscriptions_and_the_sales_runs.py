"""flows: subscriptions and the sales runs

Revision ID: 92ada6e3ce39
Revises: 54e5423d08a7
Create Date: 2026-12-07 19:48:03.063988
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "92ada6e3ce39"
down_revision: str | None = "54e5423d08a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "flow_subscriptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("condition", sa.String(length=500), nullable=False),
        sa.Column("wording", sa.String(length=500), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("conversation", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["members.id"], name=op.f("fk_flow_subscriptions_created_by_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_subscriptions")),
    )
    with op.batch_alter_table("flow_subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_flow_subscriptions_topic", ["topic", "active"], unique=False)

    op.create_table(
        "flow_sales_runs",
        sa.Column("deal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["crm_deals.id"], name=op.f("fk_flow_sales_runs_deal_id_crm_deals")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_sales_documents.id"],
            name=op.f("fk_flow_sales_runs_order_id_erp_sales_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_flow_sales_runs_owner_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["erp_sales_documents.id"],
            name=op.f("fk_flow_sales_runs_quote_id_erp_sales_documents"),
        ),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_flow_sales_runs")),
        sa.UniqueConstraint("request_id", name=op.f("uq_flow_sales_runs_request_id")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("flow_sales_runs")
    with op.batch_alter_table("flow_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_subscriptions_topic")

    op.drop_table("flow_subscriptions")

"""flow subscriptions: conversations told of business events

Revision ID: 92ada6e3ce39
Revises: 54e5423d08a7
Create Date: 2026-12-07 19:36:11.811560
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


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("flow_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_subscriptions_topic")

    op.drop_table("flow_subscriptions")

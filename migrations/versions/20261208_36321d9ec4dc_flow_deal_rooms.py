"""flow deal rooms: one conversation per deal in the sales flow, recorded before it is opened

Revision ID: 36321d9ec4dc
Revises: 7c1e5b2d9a40
Create Date: 2026-12-08 00:19:11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "36321d9ec4dc"
down_revision: str | None = "7c1e5b2d9a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "flow_deal_rooms",
        sa.Column("deal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("conversation", sa.String(length=255), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["crm_deals.id"], name=op.f("fk_flow_deal_rooms_deal_id_crm_deals")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_flow_deal_rooms_owner_id_members")
        ),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_flow_deal_rooms")),
        sa.UniqueConstraint("name", name=op.f("uq_flow_deal_rooms_name")),
    )
    with op.batch_alter_table("flow_deal_rooms", schema=None) as batch_op:
        batch_op.create_index("ix_flow_deal_rooms_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("flow_deal_rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_deal_rooms_due")

    op.drop_table("flow_deal_rooms")

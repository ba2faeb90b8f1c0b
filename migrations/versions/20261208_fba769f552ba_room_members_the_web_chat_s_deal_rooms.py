"""room members: who is in the web chat's deal rooms (a channel that keeps its rooms itself)

Revision ID: fba769f552ba
Revises: 851143a230a0
Create Date: 2026-12-08 01:22:06.018455
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fba769f552ba"
down_revision: str | None = "851143a230a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: the table."""
    op.create_table(
        "room_members",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("conversation", sa.String(length=256), nullable=False),
        sa.Column("member", sa.String(length=256), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "conversation", "member", name=op.f("pk_room_members")),
    )
    op.create_index("ix_room_members_member", "room_members", ["channel", "member"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_room_members_member", table_name="room_members")
    op.drop_table("room_members")

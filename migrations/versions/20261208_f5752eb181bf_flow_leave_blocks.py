"""flow leave blocks: an approved leave's block on the member's calendar, one per request

Revision ID: f5752eb181bf
Revises: 36321d9ec4dc
Create Date: 2026-12-08 00:53:01.835989
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f5752eb181bf"
down_revision: str | None = "36321d9ec4dc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: the table."""
    op.create_table(
        "flow_leave_blocks",
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_flow_leave_blocks_event_id_calendar_events"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_flow_leave_blocks_member_id_members")
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_flow_leave_blocks")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("flow_leave_blocks")

"""the outbox's open rows by conversation, for the relay's claim of each queue's head

Revision ID: 851143a230a0
Revises: f5752eb181bf
Create Date: 2026-12-08 00:15:15.608749
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "851143a230a0"
down_revision: str | None = "f5752eb181bf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ROWS = "status IN ('pending', 'sending')"  # on SQLite "+status": bot.pipeline.tables


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_open",
            ["conversation_key", "id"],
            unique=False,
            sqlite_where=sa.text(f"+{OPEN_ROWS}"),
            postgresql_where=sa.text(OPEN_ROWS),
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_open")

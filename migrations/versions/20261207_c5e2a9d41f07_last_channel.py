"""the channel a member last wrote from

Revision ID: c5e2a9d41f07
Revises: a3c91e5d7b20
Create Date: 2026-12-07 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5e2a9d41f07"
down_revision: str | None = "a3c91e5d7b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_channel", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("last_channel")

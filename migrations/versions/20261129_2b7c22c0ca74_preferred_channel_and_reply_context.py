"""preferred channel and reply context

Revision ID: 2b7c22c0ca74
Revises: 47e91d8270f7
Create Date: 2026-11-29 11:19:44.781624
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b7c22c0ca74"
down_revision: str | None = "47e91d8270f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_channel", sa.String(length=32), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("context")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("preferred_channel")

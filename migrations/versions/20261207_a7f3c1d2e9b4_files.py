"""files: the bytes of files sent and received in chat

Revision ID: a7f3c1d2e9b4
Revises: 6690d717f837
Create Date: 2026-12-07 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.shared.db

revision: str = "a7f3c1d2e9b4"
down_revision: str | None = "6690d717f837"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_key", sa.String(length=400), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", domain.shared.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index("ix_files_conversation", ["conversation_key", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_created_at"))
        batch_op.drop_index("ix_files_conversation")
    op.drop_table("files")

"""external contacts

Revision ID: 15f483a80b3a
Revises: 0678e18aef14
Create Date: 2026-11-29 11:28:51.713667
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "15f483a80b3a"
down_revision: str | None = "0678e18aef14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "external_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("external_user_id", sa.String(length=128), nullable=False),
        sa.Column("staff_user_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_contacts")),
        sa.UniqueConstraint(
            "channel",
            "workspace",
            "external_user_id",
            "staff_user_id",
            name="uq_external_contacts_account",
        ),
    )
    with op.batch_alter_table("external_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_contacts_external_user_id"), ["external_user_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("external_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_contacts_external_user_id"))

    op.drop_table("external_contacts")

"""urgent notices and digest settings

Revision ID: 0f77fb4aa023
Revises: f3b4259a6475
Create Date: 2026-11-29 12:13:52.368921
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0f77fb4aa023"
down_revision: str | None = "f3b4259a6475"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "digest_settings",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("last_sent_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_digest_settings_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_digest_settings")),
    )
    op.create_table(
        "notices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("max_repings", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["members.id"], name=op.f("fk_notices_sender_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_sender", ["sender_id", "id"], unique=False)

    op.create_table(
        "notice_recipients",
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pings", sa.Integer(), nullable=False),
        sa.Column("last_pinged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_notice_recipients_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_recipients_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("notice_id", "member_id", name=op.f("pk_notice_recipients")),
    )
    with op.batch_alter_table("notice_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_notice_recipients_member", ["member_id", "status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("notice_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_recipients_member")

    op.drop_table("notice_recipients")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_sender")

    op.drop_table("notices")
    op.drop_table("digest_settings")

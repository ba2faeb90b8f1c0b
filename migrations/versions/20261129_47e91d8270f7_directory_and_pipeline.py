"""directory and pipeline

Revision ID: 47e91d8270f7
Revises:
Create Date: 2026-11-29 11:08:15.223960
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "47e91d8270f7"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["departments.id"], name=op.f("fk_departments_parent_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correlation_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("channel", "event_id", name=op.f("uq_inbox_channel_event_id")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_conversation", ["conversation_key", "id"], unique=False)
        batch_op.create_index("ix_inbox_status", ["status", "id"], unique=False)

    op.create_table(
        "org",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_members_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["members.id"], name=op.f("fk_members_manager_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("handle", name=op.f("uq_members_handle")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_departments_head_id_members", "members", ["head_id"], ["id"]
        )

    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("conversation", sa.String(length=256), nullable=False),
        sa.Column("conversation_key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("edit_of", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("platform_message_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("cause_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cause_id"], ["inbox.id"], name=op.f("fk_outbox_cause_id_inbox")),
        sa.ForeignKeyConstraint(["edit_of"], ["outbox.id"], name=op.f("fk_outbox_edit_of_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_cause", ["cause_id"], unique=False)
        batch_op.create_index("ix_outbox_conversation", ["conversation_key", "id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_subject", ["subject"], unique=False)

    op.create_table(
        "action_tokens",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("allowed", sa.JSON(), nullable=True),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_action_tokens_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_action_tokens")),
    )
    with op.batch_alter_table("action_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_tokens_outbox_id"), ["outbox_id"], unique=False)

    op.create_table(
        "chat_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("platform_user_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_chat_identities_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_identities")),
        sa.UniqueConstraint(
            "channel",
            "workspace",
            "platform_user_id",
            name=op.f("uq_chat_identities_channel_workspace_platform_user_id"),
        ),
    )
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_identities_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "member_roles",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_roles_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", "role", name=op.f("pk_member_roles")),
    )
    op.create_table(
        "member_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_tokens_member_id_members")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_member_tokens")),
    )
    with op.batch_alter_table("member_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_tokens_member_purpose", ["member_id", "purpose"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("member_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_member_tokens_member_purpose")

    op.drop_table("member_tokens")
    op.drop_table("member_roles")
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_identities_member_id"))

    op.drop_table("chat_identities")
    with op.batch_alter_table("action_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_tokens_outbox_id"))

    op.drop_table("action_tokens")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_subject")
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_conversation")
        batch_op.drop_index("ix_outbox_cause")

    op.drop_table("outbox")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_departments_head_id_members", type_="foreignkey")

    op.drop_table("members")
    op.drop_table("org")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_status")
        batch_op.drop_index("ix_inbox_conversation")

    op.drop_table("inbox")
    op.drop_table("departments")

"""calendar events, attendees and shares

Revision ID: 40340fd9797b
Revises: 0f77fb4aa023
Create Date: 2026-11-29 12:12:36.088897
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "40340fd9797b"
down_revision: str | None = "0f77fb4aa023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "calendar_shares",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_calendar_shares_owner_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["members.id"], name=op.f("fk_calendar_shares_viewer_id_members")
        ),
        sa.PrimaryKeyConstraint("owner_id", "viewer_id", name=op.f("pk_calendar_shares")),
    )
    op.create_table(
        "calendar_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("recurrence", sa.String(length=300), nullable=True),
        sa.Column("alarm_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "alarm_timer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "organiser_card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_timer_id"], ["timers.id"], name=op.f("fk_calendar_events_alarm_timer_id_timers")
        ),
        sa.ForeignKeyConstraint(
            ["organiser_id"], ["members.id"], name=op.f("fk_calendar_events_organiser_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
    )
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calendar_events_organiser", ["organiser_id", "starts_at"], unique=False
        )
        batch_op.create_index("ix_calendar_events_time", ["status", "starts_at"], unique=False)

    op.create_table(
        "calendar_attendees",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_calendar_attendees_event_id_calendar_events"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_calendar_attendees_member_id_members")
        ),
        sa.PrimaryKeyConstraint("event_id", "member_id", name=op.f("pk_calendar_attendees")),
    )
    with op.batch_alter_table("calendar_attendees", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calendar_attendees_member", ["member_id", "response"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("calendar_attendees", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_attendees_member")

    op.drop_table("calendar_attendees")
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_events_time")
        batch_op.drop_index("ix_calendar_events_organiser")

    op.drop_table("calendar_events")
    op.drop_table("calendar_shares")

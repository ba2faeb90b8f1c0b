"""durable timers and periodic job claims

Revision ID: 0678e18aef14
Revises: 2b7c22c0ca74
Create Date: 2026-11-29 11:24:14.290315
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0678e18aef14"
down_revision: str | None = "2b7c22c0ca74"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "period", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "timers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late_policy", sa.String(length=16), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("recurrence", sa.String(length=300), nullable=True),
        sa.Column("fire_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_timers_owner_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_timers_owner", ["owner_id", "status"], unique=False)
        batch_op.create_index("ix_timers_subject", ["subject"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_subject")
        batch_op.drop_index("ix_timers_owner")
        batch_op.drop_index("ix_timers_due")

    op.drop_table("timers")
    op.drop_table("job_runs")

"""Timer rows and once-per-period job claims."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime

RowId = BigInteger().with_variant(Integer, "sqlite")


class TimerStatus(StrEnum):
    """Where a timer is in its life; only ``pending`` timers fire."""

    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"  # its handler raised on every attempt; the last error is kept


class LatePolicy(StrEnum):
    """What a timer does when it is claimed after its grace period (e.g. after downtime)."""

    FIRE = "fire"  # fire anyway, saying how late it is
    EXPIRE = "expire"  # do not fire; tell the owner it was missed


class Timer(Base):
    """Something to do at a moment (remind, escalate, alarm); ``subject`` names the record."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "status", "due_at"),
        Index("ix_timers_subject", "subject"),
        Index("ix_timers_owner", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=TimerStatus.PENDING)
    late_policy: Mapped[str] = mapped_column(String(16), default=LatePolicy.FIRE)
    grace_seconds: Mapped[int] = mapped_column(default=300)
    recurrence: Mapped[str | None] = mapped_column(String(300))
    fire_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # failed attempts at this occurrence; a pending timer is not claimed before next_attempt_at
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobRun(Base):
    """A claim that a periodic job ran for one period; the primary key makes it once per period."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""The per-member digest setting."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime


class DigestSetting(Base):
    """Whether and when (local ``HH:MM``) a member gets the daily digest.

    A missing row means the default: on, at 09:00. ``last_sent_on`` is the member's local date of
    the last digest sent, so that at most one goes out per day whatever the timers do.
    """

    __tablename__ = "digest_settings"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    at: Mapped[str] = mapped_column(String(5), default="09:00")
    last_sent_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

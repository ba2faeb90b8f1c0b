"""Tables of urgent notices and their recipients."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime

RowId = BigInteger().with_variant(Integer, "sqlite")


class RecipientStatus(StrEnum):
    """Whether a recipient has acknowledged a notice."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"


class Notice(Base):
    """An urgent notice: who sent what, and how often to re-ping those who have not acknowledged.

    ``card_id`` is the outbox row of the sender's card (no foreign key: old outbox rows are
    pruned, the notice stays).
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_sender", "sender_id", "id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    interval_seconds: Mapped[int]
    max_repings: Mapped[int]
    card_id: Mapped[int | None] = mapped_column(RowId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NoticeRecipient(Base):
    """One recipient of a notice: how many cards they were sent, and whether they acknowledged."""

    __tablename__ = "notice_recipients"
    __table_args__ = (Index("ix_notice_recipients_member", "member_id", "status"),)

    notice_id: Mapped[int] = mapped_column(RowId, ForeignKey("notices.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=RecipientStatus.PENDING)
    pings: Mapped[int] = mapped_column(default=0)
    last_pinged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

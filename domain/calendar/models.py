"""Tables of the calendar: events, their attendees, and who may read whose calendar."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime

RowId = BigInteger().with_variant(Integer, "sqlite")


class EventStatus(StrEnum):
    """Whether an event still takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Response(StrEnum):
    """An attendee's answer to an invitation (RFC 5545 PARTSTAT, lower case)."""

    NEEDS_ACTION = "needs-action"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"


BUSY_RESPONSES = (Response.ACCEPTED, Response.TENTATIVE)  # an attendee is busy at these events


class CalendarEvent(Base):
    """A meeting (or a block of time) one member organises, once or repeating.

    ``starts_at``/``ends_at`` are the first occurrence in UTC; ``recurrence`` is RFC 5545 text
    (``DTSTART;TZID=…`` and ``RRULE:…``) as ``Recurrence.to_rrule`` writes it. ``organiser_card_id``
    is an opaque reference to the organiser's card, kept for the chat layer to edit it in place.
    """

    __tablename__ = "calendar_events"
    __table_args__ = (
        Index("ix_calendar_events_organiser", "organiser_id", "starts_at"),
        Index("ix_calendar_events_time", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    organiser_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    recurrence: Mapped[str | None] = mapped_column(String(300))
    alarm_minutes: Mapped[int | None] = mapped_column()  # None: no alarm
    alarm_timer_id: Mapped[int | None] = mapped_column(RowId, ForeignKey("timers.id"))
    organiser_card_id: Mapped[int | None] = mapped_column(RowId)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.SCHEDULED)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attendee(Base):
    """A member invited to an event, with their answer and where their invitation card is."""

    __tablename__ = "calendar_attendees"
    __table_args__ = (Index("ix_calendar_attendees_member", "member_id", "response"),)

    event_id: Mapped[int] = mapped_column(RowId, ForeignKey("calendar_events.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    response: Mapped[str] = mapped_column(String(16), default=Response.NEEDS_ACTION)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_id: Mapped[int | None] = mapped_column(RowId)


class CalendarShare(Base):
    """``owner`` lets ``viewer`` read their calendar in full (titles, places, attendees)."""

    __tablename__ = "calendar_shares"

    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

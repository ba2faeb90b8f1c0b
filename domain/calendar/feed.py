"""A member's calendar feed: a secret address (stored only as its SHA-256) that calendar apps
poll for the member's events as iCalendar text."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from domain.calendar.ics import render_calendar
from domain.calendar.models import Attendee, CalendarEvent, Response
from domain.calendar.views import EventView, load_events
from domain.directory.models import Member, MemberToken
from domain.directory.services import token_hash

PURPOSE = "ics_feed"
LIFETIME = timedelta(days=3650)  # until rotated
PAST = timedelta(days=90)  # how far back a feed reaches
SECRET_BYTES = 24


def new_feed_secret(session: Session, member_id: int, now: datetime) -> str:
    """A new feed secret for the member; any earlier one stops working."""
    session.execute(
        update(MemberToken)
        .where(
            MemberToken.member_id == member_id,
            MemberToken.purpose == PURPOSE,
            MemberToken.expires_at > now,
        )
        .values(expires_at=now)
    )
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(
        MemberToken(
            token_hash=token_hash(secret),
            purpose=PURPOSE,
            member_id=member_id,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    session.flush()
    return secret


def has_feed(session: Session, member_id: int, now: datetime) -> bool:
    """Whether the member has a working feed address."""
    return (
        session.scalar(
            select(MemberToken.token_hash).where(
                MemberToken.member_id == member_id,
                MemberToken.purpose == PURPOSE,
                MemberToken.expires_at > now,
            )
        )
        is not None
    )


def feed_owner(session: Session, secret: str, now: datetime) -> Member | None:
    """The active member a feed secret belongs to, or None."""
    token = session.get(MemberToken, token_hash(secret))
    if token is None or token.purpose != PURPOSE or token.expires_at <= now:
        return None
    member = session.get(Member, token.member_id)
    return member if member is not None and member.active else None


def feed_events(session: Session, member_id: int, now: datetime) -> list[EventView]:
    """The member's events for a feed: organised or not declined, from 90 days back on."""
    attending = select(Attendee.event_id).where(
        Attendee.member_id == member_id, Attendee.response != Response.DECLINED
    )
    ids = session.scalars(
        select(CalendarEvent.id)
        .where(
            or_(CalendarEvent.organiser_id == member_id, CalendarEvent.id.in_(attending)),
            or_(CalendarEvent.recurrence.is_not(None), CalendarEvent.ends_at > now - PAST),
        )
        .order_by(CalendarEvent.starts_at, CalendarEvent.id)
    )
    return load_events(session, ids)


def calendar_feed(session: Session, secret: str, now: datetime, host: str) -> str | None:
    """The iCalendar text behind a feed secret, or None when the secret is not (or no longer)
    valid."""
    member = feed_owner(session, secret, now)
    if member is None:
        return None
    events = feed_events(session, member.id, now)
    return render_calendar(events, name=f"{member.name} (Bizbot)", host=host, now=now)

"""Read models of the calendar, loaded a few queries at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.calendar.models import Attendee, CalendarEvent, EventStatus, Response
from domain.directory.models import Member
from domain.shared.errors import NotFound


@dataclass(frozen=True, slots=True)
class Person:
    """A member as an event names them."""

    id: int
    handle: str
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class AttendeeView:
    """An invited member, their answer, and the chat layer's reference to their card."""

    person: Person
    response: str
    card_id: int | None


@dataclass(frozen=True, slots=True)
class EventView:
    """An event with its organiser and attendees."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    notes: str
    organiser: Person
    recurrence: str | None
    alarm_minutes: int | None
    status: str
    version: int
    organiser_card_id: int | None
    attendees: tuple[AttendeeView, ...]
    updated_at: datetime

    @property
    def duration(self) -> timedelta:
        """How long each occurrence lasts."""
        return self.ends_at - self.starts_at

    @property
    def cancelled(self) -> bool:
        """Whether the event was called off."""
        return self.status == EventStatus.CANCELLED

    def attendee(self, member_id: int) -> AttendeeView | None:
        """The attendee entry of a member, if invited."""
        return next((a for a in self.attendees if a.person.id == member_id), None)

    def answered(self, response: Response) -> list[Person]:
        """The attendees who gave this answer."""
        return [a.person for a in self.attendees if a.response == response]

    def participants(self) -> list[Person]:
        """Who should be reminded: the organiser and every attendee who has not declined."""
        going = [a.person for a in self.attendees if a.response != Response.DECLINED]
        return [self.organiser, *going]


def _person(member: Member) -> Person:
    return Person(member.id, member.handle, member.name, member.email)


def load_events(session: Session, ids: Iterable[int]) -> list[EventView]:
    """The events with these ids (missing ones are left out), in the order given."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = {
        e.id: (e, _person(m))
        for e, m in session.execute(
            select(CalendarEvent, Member)
            .join(Member, Member.id == CalendarEvent.organiser_id)
            .where(CalendarEvent.id.in_(wanted))
        )
    }
    invited: dict[int, list[AttendeeView]] = {event_id: [] for event_id in rows}
    for attendee, member in session.execute(
        select(Attendee, Member)
        .join(Member, Member.id == Attendee.member_id)
        .where(Attendee.event_id.in_(list(rows)))
        .order_by(Attendee.event_id, Member.id)
    ):
        invited[attendee.event_id].append(
            AttendeeView(_person(member), attendee.response, attendee.card_id)
        )
    return [_view(*rows[i], tuple(invited[i])) for i in wanted if i in rows]


def _view(
    event: CalendarEvent, organiser: Person, attendees: tuple[AttendeeView, ...]
) -> EventView:
    return EventView(
        id=event.id,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        notes=event.notes,
        organiser=organiser,
        recurrence=event.recurrence,
        alarm_minutes=event.alarm_minutes,
        status=event.status,
        version=event.version,
        organiser_card_id=event.organiser_card_id,
        attendees=attendees,
        updated_at=event.updated_at,
    )


def event_view(session: Session, event_id: int) -> EventView:
    """One event; NotFound if there is none."""
    found = load_events(session, [event_id])
    if not found:
        raise NotFound("There is no meeting #{id}.", id=event_id)
    return found[0]

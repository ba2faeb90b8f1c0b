"""Occurrences of events in a window, members' busy time, clashes and agendas.

A member is busy at the events they organise and at those they accepted or tentatively
accepted; invitations they have not answered, or declined, leave them free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from domain.calendar.models import BUSY_RESPONSES, Attendee, CalendarEvent, EventStatus, Response
from domain.calendar.views import EventView, load_events
from domain.shared.recurrence import Recurrence

MAX_OCCURRENCES = 500  # per event and window; a daily series over a year is 366
ORGANISER = "organiser"
GOING_RESPONSES = (Response.NEEDS_ACTION, *BUSY_RESPONSES)  # on the agenda: not declined


@dataclass(frozen=True, slots=True)
class Slot:
    """A span of time, UTC."""

    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Busy:
    """A member is busy during one occurrence of an event."""

    member_id: int
    event_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class AgendaEntry:
    """One occurrence on a member's agenda; ``role`` is ``organiser`` or their answer."""

    event: EventView
    starts_at: datetime
    ends_at: datetime
    role: str


def occurrences(
    starts_at: datetime,
    ends_at: datetime,
    recurrence: str | None,
    window: Slot,
    limit: int = MAX_OCCURRENCES,
) -> list[Slot]:
    """The occurrences of an event that overlap ``window``."""
    if recurrence is None:
        overlaps = starts_at < window.ends_at and ends_at > window.starts_at
        return [Slot(starts_at, ends_at)] if overlaps else []
    rule, length = Recurrence.from_rrule(recurrence), ends_at - starts_at
    after = max(window.starts_at - length, starts_at) - timedelta(microseconds=1)
    found: list[Slot] = []
    while len(found) < limit:
        start = rule.next_after(after)
        if start >= window.ends_at:
            break
        if start + length > window.starts_at:
            found.append(Slot(start, start + length))
        after = start
    return found


def next_start(starts_at: datetime, recurrence: str | None, after: datetime) -> datetime | None:
    """The first occurrence that starts strictly after ``after`` (None for a past single event)."""
    if recurrence is None:
        return starts_at if starts_at > after else None
    return Recurrence.from_rrule(recurrence).next_after(
        max(after, starts_at - timedelta(seconds=1))
    )


def _in_window(window: Slot) -> ColumnElement[bool]:
    return (
        (CalendarEvent.status == EventStatus.SCHEDULED)
        & (CalendarEvent.starts_at < window.ends_at)
        & or_(CalendarEvent.recurrence.is_not(None), CalendarEvent.ends_at > window.starts_at)
    )


def busy_times(
    session: Session, member_ids: Iterable[int], window: Slot, *, exclude_event: int | None = None
) -> list[Busy]:
    """When each of these members is busy within ``window``, soonest first."""
    ids = set(member_ids)
    attending = select(Attendee.event_id).where(
        Attendee.member_id.in_(ids), Attendee.response.in_(BUSY_RESPONSES)
    )
    events = list(
        session.scalars(
            select(CalendarEvent).where(
                _in_window(window),
                CalendarEvent.id != (exclude_event or 0),
                or_(CalendarEvent.organiser_id.in_(ids), CalendarEvent.id.in_(attending)),
            )
        )
    )
    involved = {e.id: {e.organiser_id} & ids for e in events}
    for event_id, member_id in session.execute(
        select(Attendee.event_id, Attendee.member_id).where(
            Attendee.event_id.in_(list(involved)),
            Attendee.member_id.in_(ids),
            Attendee.response.in_(BUSY_RESPONSES),
        )
    ):
        involved[event_id].add(member_id)
    found = [
        Busy(member_id, e.id, slot.starts_at, slot.ends_at)
        for e in events
        for slot in occurrences(e.starts_at, e.ends_at, e.recurrence, window)
        for member_id in involved[e.id]
    ]
    return sorted(found, key=lambda b: (b.starts_at, b.member_id, b.event_id))


def clashes(session: Session, event: EventView) -> list[Busy]:
    """Who of the organiser and the invited is already busy during the event's first occurrence."""
    people = [event.organiser.id, *(a.person.id for a in event.attendees)]
    window = Slot(event.starts_at, event.ends_at)
    return busy_times(session, people, window, exclude_event=event.id)


def merged(slots: Iterable[Slot]) -> list[Slot]:
    """Overlapping or touching spans joined, soonest first (busy/free without details)."""
    blocks: list[Slot] = []
    for slot in sorted(slots, key=lambda s: s.starts_at):
        if blocks and slot.starts_at <= blocks[-1].ends_at:
            last = blocks[-1]
            blocks[-1] = Slot(last.starts_at, max(last.ends_at, slot.ends_at))
        else:
            blocks.append(slot)
    return blocks


def busy_blocks(session: Session, member_id: int, window: Slot) -> list[Slot]:
    """A member's busy time in a window, without saying at what."""
    return merged(Slot(b.starts_at, b.ends_at) for b in busy_times(session, [member_id], window))


def agenda(session: Session, member_id: int, window: Slot) -> list[AgendaEntry]:
    """The member's events in a window (organised, or invited and not declined), soonest first."""
    rows = session.execute(
        select(CalendarEvent, Attendee.response)
        .outerjoin(
            Attendee,
            (Attendee.event_id == CalendarEvent.id) & (Attendee.member_id == member_id),
        )
        .where(
            _in_window(window),
            or_(
                CalendarEvent.organiser_id == member_id,
                Attendee.response.in_(list(GOING_RESPONSES)),
            ),
        )
    )
    roles: dict[int, str] = {}
    spans: dict[int, list[Slot]] = {}
    for event, response in rows:
        roles[event.id] = ORGANISER if event.organiser_id == member_id else str(response)
        spans[event.id] = occurrences(event.starts_at, event.ends_at, event.recurrence, window)
    entries = [
        AgendaEntry(event, slot.starts_at, slot.ends_at, roles[event.id])
        for event in load_events(session, [i for i, found in spans.items() if found])
        for slot in spans[event.id]
    ]
    return sorted(entries, key=lambda e: (e.starts_at, e.event.id))

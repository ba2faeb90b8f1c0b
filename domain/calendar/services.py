"""Meetings: create, answer, cancel and move them, and keep their alarms on durable timers.

Each meeting has at most one pending alarm timer (kind ``meeting_alarm``, subject
``meeting:ID``) for its next occurrence, due ``alarm_minutes`` before it starts. The alarm's late
policy is ``expire`` with a grace of that lead: an alarm claimed after the meeting started is
not given but reported as missed. A meeting that starts sooner than its alarm lead gets no
alarm for that occurrence: the invitation is the notice. Changes to one meeting lock its row
first, so answers, cancelling and moving are applied one at a time and every card built
afterwards sees them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.calendar.busy import next_start
from domain.calendar.models import Attendee, CalendarEvent, EventStatus, Response
from domain.calendar.views import EventView, event_view
from domain.directory.models import Member
from domain.shared.errors import Conflict, DomainError, Forbidden, NotFound
from domain.timers.models import LatePolicy
from domain.timers.services import cancel, cancel_subject, reschedule, schedule

KIND = "meeting_alarm"
DEFAULT_ALARM_MINUTES = 15
MAX_ALARM_MINUTES = 7 * 24 * 60
MAX_DURATION = timedelta(hours=24)
MAX_ATTENDEES = 100
MAX_TITLE = 200
MAX_PLACE = 200
MIN_GRACE = timedelta(minutes=1)
_SEARCH_LIMIT = 400  # occurrences looked at to find the next alarm still ahead


def subject_of(event_id: int) -> str:
    """What timers and cards about a meeting are filed under."""
    return f"meeting:{event_id}"


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    """A meeting to create; ``recurrence`` is RFC 5545 text whose first occurrence is
    ``starts_at``."""

    title: str
    starts_at: datetime
    duration: timedelta
    organiser_id: int
    attendee_ids: tuple[int, ...] = ()
    place: str = ""
    notes: str = ""
    recurrence: str | None = None
    alarm_minutes: int | None = DEFAULT_ALARM_MINUTES


def create_meeting(session: Session, request: MeetingRequest, now: datetime) -> EventView:
    """Create a meeting, invite the attendees and set its alarm."""
    _check(session, request, now)
    event = CalendarEvent(
        title=request.title.strip(),
        starts_at=request.starts_at,
        ends_at=request.starts_at + request.duration,
        place=request.place.strip(),
        notes=request.notes.strip(),
        organiser_id=request.organiser_id,
        recurrence=request.recurrence,
        alarm_minutes=request.alarm_minutes,
        status=EventStatus.SCHEDULED,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    session.flush()
    invited = dict.fromkeys(i for i in request.attendee_ids if i != request.organiser_id)
    session.add_all(
        Attendee(event_id=event.id, member_id=i, response=Response.NEEDS_ACTION) for i in invited
    )
    due = _next_alarm_due(event, now)
    event.alarm_timer_id = _new_alarm(session, event, due, now) if due else None
    session.flush()
    return event_view(session, event.id)


def block_time(
    session: Session,
    member_id: int,
    title: str,
    span: tuple[datetime, datetime],
    now: datetime,
    *,
    notes: str = "",
) -> int:
    """Mark a member busy for a span of any length (an approved leave): an event they organise,
    without attendees or alarm, shown on their agenda, their busy time and their feed."""
    event = CalendarEvent(
        title=title.strip()[:MAX_TITLE],
        starts_at=span[0],
        ends_at=span[1],
        notes=notes,
        organiser_id=member_id,
        status=EventStatus.SCHEDULED,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    session.flush()
    return event.id


def unblock_time(session: Session, event_id: int, now: datetime) -> None:
    """Take a block off the calendar (the leave was withdrawn); nothing if it is gone already."""
    event = session.get(CalendarEvent, event_id)
    if event is not None and event.status == EventStatus.SCHEDULED:
        _transition(session, event, now, status=EventStatus.CANCELLED)


def _check(session: Session, request: MeetingRequest, now: datetime) -> None:
    if not request.title.strip():
        raise DomainError("Give the meeting a title.")
    if len(request.title) > MAX_TITLE or len(request.place) > MAX_PLACE:
        raise DomainError("The title and the place are limited to {max} characters.", max=MAX_TITLE)
    if not timedelta(minutes=1) <= request.duration <= MAX_DURATION:
        raise DomainError("A meeting lasts from 1 minute to 24 hours.")
    if request.starts_at <= now:
        raise DomainError("That time has already passed.")
    if request.alarm_minutes is not None and not 0 <= request.alarm_minutes <= MAX_ALARM_MINUTES:
        raise DomainError("An alarm can be at most 7 days before the meeting.")
    if len(request.attendee_ids) > MAX_ATTENDEES:
        raise DomainError("A meeting can have at most {max} attendees.", max=MAX_ATTENDEES)
    people = {request.organiser_id, *request.attendee_ids}
    active = set(
        session.scalars(select(Member.id).where(Member.id.in_(people), Member.active.is_(True)))
    )
    if active != people:
        raise NotFound("Some of the attendees are not active members.")


def record_cards(
    session: Session, event_id: int, organiser_card: int | None, attendee_cards: Mapping[int, int]
) -> None:
    """Remember where the organiser's card and each attendee's invitation card are."""
    if organiser_card is not None:
        session.execute(
            update(CalendarEvent)
            .where(CalendarEvent.id == event_id)
            .values(organiser_card_id=organiser_card)
        )
    for member_id, card_id in attendee_cards.items():
        session.execute(
            update(Attendee)
            .where(Attendee.event_id == event_id, Attendee.member_id == member_id)
            .values(card_id=card_id)
        )


def respond(
    session: Session, event_id: int, member_id: int, response: Response, now: datetime
) -> tuple[EventView, bool]:
    """Record an attendee's answer; ``False`` when it was their answer already (a double tap).

    Anyone else is refused before anything is said of the meeting (whether it is cancelled or
    over is the attendees' business)."""
    event = _locked(session, event_id)
    if session.get(Attendee, (event_id, member_id)) is None:
        raise Forbidden("You are not invited to meeting #{id}.", id=event_id)
    if event.status != EventStatus.SCHEDULED:
        raise Conflict("Meeting #{id} was cancelled.", id=event_id)
    if event.recurrence is None and event.ends_at <= now:
        raise Conflict("Meeting #{id} is over.", id=event_id)
    changed = session.execute(
        update(Attendee)
        .where(
            Attendee.event_id == event_id,
            Attendee.member_id == member_id,
            Attendee.response != response,
        )
        .values(response=response, responded_at=now)
    )
    return event_view(session, event_id), changed.rowcount == 1  # type: ignore[attr-defined]


def cancel_meeting(session: Session, event_id: int, actor_id: int, now: datetime) -> EventView:
    """Call a meeting off (organiser only) and cancel its alarm."""
    event = _organised(session, event_id, actor_id)
    _transition(session, event, now, status=EventStatus.CANCELLED)
    cancel_subject(session, subject_of(event_id), KIND)
    return event_view(session, event_id)


def move_meeting(
    session: Session,
    event_id: int,
    actor_id: int,
    starts_at: datetime,
    recurrence: str | None,
    now: datetime,
) -> EventView:
    """Move a meeting (organiser only); answers start over and the alarm follows the meeting."""
    event = _organised(session, event_id, actor_id)
    if starts_at <= now:
        raise DomainError("That time has already passed.")
    length = event.ends_at - event.starts_at
    _transition(
        session,
        event,
        now,
        starts_at=starts_at,
        ends_at=starts_at + length,
        recurrence=recurrence,
    )
    session.execute(
        update(Attendee)
        .where(Attendee.event_id == event_id)
        .values(response=Response.NEEDS_ACTION, responded_at=None)
    )
    _move_alarm(session, event, now)
    return event_view(session, event_id)


def _locked(session: Session, event_id: int) -> CalendarEvent:
    """The event row, locked until the transaction ends (PostgreSQL; SQLite holds the writer)."""
    event = session.scalars(
        select(CalendarEvent)
        .where(CalendarEvent.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if event is None:
        raise NotFound("There is no meeting #{id}.", id=event_id)
    return event


def _organised(session: Session, event_id: int, actor_id: int) -> CalendarEvent:
    event = _locked(session, event_id)
    if event.organiser_id != actor_id:
        raise Forbidden("Only the organiser can change meeting #{id}.", id=event_id)
    if event.status != EventStatus.SCHEDULED:
        raise Conflict("Meeting #{id} is already cancelled.", id=event_id)
    return event


def _transition(session: Session, event: CalendarEvent, now: datetime, **values: object) -> None:
    """Compare-and-set on status and version: one change wins, a stale one is refused."""
    changed = session.execute(
        update(CalendarEvent)
        .where(
            CalendarEvent.id == event.id,
            CalendarEvent.status == EventStatus.SCHEDULED,
            CalendarEvent.version == event.version,
        )
        .values(version=event.version + 1, updated_at=now, **values)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("Meeting #{id} was changed meanwhile; try again.", id=event.id)
    session.refresh(event)


def _next_alarm_due(
    event: CalendarEvent, now: datetime, after: datetime | None = None
) -> datetime | None:
    """When the alarm of the next occurrence (after ``after``) is due, if still ahead of now."""
    if event.alarm_minutes is None:
        return None
    lead = timedelta(minutes=event.alarm_minutes)
    start = next_start(event.starts_at, event.recurrence, after or now)
    for _ in range(_SEARCH_LIMIT):
        if start is None or start - lead > now:
            break
        start = next_start(event.starts_at, event.recurrence, start)
    return start - lead if start is not None and start - lead > now else None


def _new_alarm(session: Session, event: CalendarEvent, due: datetime, now: datetime) -> int:
    lead = timedelta(minutes=event.alarm_minutes or 0)
    return schedule(
        session,
        kind=KIND,
        due_at=due,
        now=now,
        subject=subject_of(event.id),
        owner_id=event.organiser_id,
        payload={"event_id": event.id},
        late_policy=LatePolicy.EXPIRE,
        grace=max(lead, MIN_GRACE),
    )


def _move_alarm(session: Session, event: CalendarEvent, now: datetime) -> None:
    """Reschedule the pending alarm timer, or set a new one if it has gone off already."""
    due = _next_alarm_due(event, now)
    if event.alarm_timer_id is not None:
        if due is None:
            cancel(session, event.alarm_timer_id)
            return
        try:
            reschedule(session, event.alarm_timer_id, due)
            return
        except Conflict:
            pass  # it fired or expired already: the new time gets a timer of its own
    if due is not None:
        event.alarm_timer_id = _new_alarm(session, event, due, now)


def schedule_next_alarm(session: Session, event_id: int, after: datetime, now: datetime) -> None:
    """After a repeating meeting's alarm, set the alarm of its next occurrence."""
    event = session.get(CalendarEvent, event_id)
    if event is None or event.status != EventStatus.SCHEDULED or event.recurrence is None:
        return
    due = _next_alarm_due(event, now, after)
    if due is not None:
        event.alarm_timer_id = _new_alarm(session, event, due, now)


def alarm_occurrence(event: EventView, due_at: datetime) -> datetime:
    """The start of the occurrence an alarm due at ``due_at`` is for."""
    return due_at + timedelta(minutes=event.alarm_minutes or 0)

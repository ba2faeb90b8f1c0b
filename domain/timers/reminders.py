"""Reminders: timers of kind ``reminder`` for a member or a conversation, optionally bound to a
business record so that they cancel themselves once the record has moved on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from domain.shared.errors import Conflict, DomainError, Forbidden, NotFound
from domain.timers.models import LatePolicy, Timer, TimerStatus
from domain.timers.services import TimerView, cancel, pending_for, schedule, view_of

KIND = "reminder"
LIMIT_PER_MEMBER = 200

# (session, record id, member asking) -> the record's state; None if it is gone or the member may
# not see it (a reminder must not tell anyone the state of a record they may not see)
RecordState = Callable[[Session, str, int], str | None]


@dataclass(frozen=True, slots=True)
class Guard:
    """Fire only while a record is still in a state, e.g. approval 42 still ``pending``."""

    record_type: str
    record_id: str
    state: str

    def to_payload(self) -> dict[str, str]:
        """The guard as stored in the timer's payload."""
        return {"type": self.record_type, "id": self.record_id, "state": self.state}


@dataclass(frozen=True, slots=True)
class ReminderRequest:
    """What to remind, of what, when, and to whom (a member, or a whole conversation)."""

    text: str
    due_at: datetime
    set_by: int
    for_member: int | None
    recurrence: str | None = None
    conversation: Mapping[str, str] | None = None  # an address, for "#here"
    guard: Guard | None = None


def set_reminder(
    session: Session, request: ReminderRequest, now: datetime, states: Mapping[str, RecordState]
) -> int:
    """Schedule a reminder; the guard's record must exist and be in the state now."""
    owner = request.for_member if request.for_member is not None else request.set_by
    if len(pending_for(session, owner, KIND)) >= LIMIT_PER_MEMBER:
        raise Conflict("You have too many reminders; cancel some first.")
    if request.guard is not None:
        _check_guard(session, request.guard, states, request.set_by)
    payload: dict[str, Any] = {"text": request.text, "set_by": request.set_by}
    if request.conversation is not None:
        payload["conversation"] = dict(request.conversation)
    if request.guard is not None:
        payload["guard"] = request.guard.to_payload()
    return schedule(
        session,
        kind=KIND,
        due_at=request.due_at,
        now=now,
        subject=_subject(request.guard),
        owner_id=owner,
        payload=payload,
        late_policy=LatePolicy.FIRE,
        grace=timedelta(minutes=2),
        recurrence=request.recurrence,
    )


def _subject(guard: Guard | None) -> str:
    return f"{guard.record_type}:{guard.record_id}" if guard else ""


def _check_guard(
    session: Session, guard: Guard, states: Mapping[str, RecordState], setter: int
) -> None:
    reader = states.get(guard.record_type)
    if reader is None:
        raise DomainError("I can't watch records of type {type}.", type=guard.record_type)
    state = reader(session, guard.record_id, setter)
    if state is None:
        raise NotFound("There is no {type} {id}.", type=guard.record_type, id=guard.record_id)
    if state != guard.state:
        raise Conflict(
            "{type} {id} is {state} already, not {expected}.",
            type=guard.record_type,
            id=guard.record_id,
            state=state,
            expected=guard.state,
        )


def guard_holds(
    session: Session, payload: Mapping[str, Any], states: Mapping[str, RecordState]
) -> bool:
    """Whether a reminder should still fire: no guard, or its record is still in the state
    (as the member who set the reminder sees it)."""
    guard = payload.get("guard")
    if not guard:
        return True
    reader, setter = states.get(guard["type"]), payload.get("set_by")
    return (
        reader is not None
        and setter is not None
        and reader(session, guard["id"], int(setter)) == guard["state"]
    )


def reminders_of(session: Session, member_id: int) -> list[TimerView]:
    """A member's pending reminders, soonest first."""
    return pending_for(session, member_id, KIND)


def cancel_reminder(session: Session, member_id: int, timer_id: int) -> TimerView:
    """Cancel one of the member's reminders (or one they set for someone else)."""
    timer = _own(session, member_id, timer_id)
    if not cancel(session, timer_id):
        raise Conflict("That reminder has already gone off or was cancelled.")
    return timer


def snooze(session: Session, member_id: int, timer_id: int, until: datetime, now: datetime) -> int:
    """Remind again at ``until``: a fired reminder is copied, a pending one is moved."""
    timer = _own(session, member_id, timer_id)
    row = session.get(Timer, timer_id)
    assert row is not None
    if row.status == TimerStatus.PENDING and not row.recurrence:
        row.due_at, row.attempts, row.last_error, row.next_attempt_at = until, 0, None, None
        return row.id
    payload = {k: v for k, v in timer.payload.items() if k != "guard"} | {"snoozed": True}
    return schedule(
        session, kind=KIND, due_at=until, now=now, owner_id=timer.owner_id, payload=payload
    )


def _own(session: Session, member_id: int, timer_id: int) -> TimerView:
    row = session.get(Timer, timer_id)
    if row is None or row.kind != KIND:
        raise NotFound("There is no reminder {id}.", id=timer_id)
    if member_id not in (row.owner_id, row.payload.get("set_by")):
        raise Forbidden("That reminder is not yours.")
    return view_of(row)

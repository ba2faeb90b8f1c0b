"""Scheduling, rescheduling, cancelling and claiming timers.

State changes are compare-and-set on ``status = 'pending'``: a cancel racing a claim gives one
outcome. On PostgreSQL a claim holds its rows (``FOR UPDATE SKIP LOCKED``) until its transaction
ends, so a concurrent cancel waits and then finds the timer fired; on SQLite the write lock
serialises them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.shared.errors import Conflict, NotFound
from domain.timers.models import JobRun, LatePolicy, Timer, TimerStatus

NextDue = Callable[[str, datetime], datetime]  # (recurrence, after) -> next due time


@dataclass(frozen=True, slots=True)
class TimerView:
    """A timer as callers see it."""

    id: int
    kind: str
    subject: str
    owner_id: int | None
    due_at: datetime
    payload: dict[str, Any]
    status: str
    recurrence: str | None
    fire_count: int
    attempts: int  # failed attempts at this occurrence
    last_error: str | None
    next_attempt_at: datetime | None  # a failed timer's retry; not claimed before


def view_of(timer: Timer) -> TimerView:
    """The read model of a timer row."""
    return TimerView(
        timer.id,
        timer.kind,
        timer.subject,
        timer.owner_id,
        timer.due_at,
        dict(timer.payload),
        timer.status,
        timer.recurrence,
        timer.fire_count,
        timer.attempts,
        timer.last_error,
        timer.next_attempt_at,
    )


def schedule(
    session: Session,
    *,
    kind: str,
    due_at: datetime,
    now: datetime,
    subject: str = "",
    owner_id: int | None = None,
    payload: dict[str, Any] | None = None,
    late_policy: LatePolicy = LatePolicy.FIRE,
    grace: timedelta = timedelta(minutes=5),
    recurrence: str | None = None,
) -> int:
    """Create a pending timer; returns its id."""
    return int(
        session.execute(
            insert(Timer)
            .values(
                kind=kind,
                subject=subject,
                owner_id=owner_id,
                due_at=due_at,
                payload=payload or {},
                status=TimerStatus.PENDING,
                late_policy=late_policy,
                grace_seconds=int(grace.total_seconds()),
                recurrence=recurrence,
                fire_count=0,
                created_at=now,
            )
            .returning(Timer.id)
        ).scalar_one()
    )


def reschedule(session: Session, timer_id: int, due_at: datetime) -> None:
    """Move a pending timer (failed attempts at its old time no longer count); raise Conflict if
    it already fired or was cancelled."""
    moved = session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == TimerStatus.PENDING)
        .values(due_at=due_at, attempts=0, last_error=None, next_attempt_at=None)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("That has already happened or was cancelled.")


def cancel(session: Session, timer_id: int) -> bool:
    """Cancel a pending timer; False if it already fired or was cancelled (never both)."""
    cancelled = session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == TimerStatus.PENDING)
        .values(status=TimerStatus.CANCELLED)
    )
    return bool(cancelled.rowcount == 1)  # type: ignore[attr-defined]


def cancel_subject(session: Session, subject: str, kind: str | None = None) -> int:
    """Cancel every pending timer about a record (e.g. when the record is decided)."""
    query = update(Timer).where(Timer.subject == subject, Timer.status == TimerStatus.PENDING)
    if kind is not None:
        query = query.where(Timer.kind == kind)
    return int(session.execute(query.values(status=TimerStatus.CANCELLED)).rowcount)  # type: ignore[attr-defined]


def get_timer(session: Session, timer_id: int) -> TimerView:
    """One timer."""
    timer = session.get(Timer, timer_id)
    if timer is None:
        raise NotFound("No such timer.")
    return view_of(timer)


def pending_for(session: Session, owner_id: int, kind: str) -> list[TimerView]:
    """A member's pending timers of a kind, soonest first."""
    rows = session.scalars(
        select(Timer)
        .where(Timer.owner_id == owner_id, Timer.kind == kind, Timer.status == TimerStatus.PENDING)
        .order_by(Timer.due_at, Timer.id)
    )
    return [view_of(t) for t in rows]


def pending_between(
    session: Session, owner_id: int, kind: str, start: datetime, end: datetime
) -> list[TimerView]:
    """A member's pending timers of a kind due in ``[start, end)``, soonest first."""
    rows = session.scalars(
        select(Timer)
        .where(
            Timer.owner_id == owner_id,
            Timer.kind == kind,
            Timer.status == TimerStatus.PENDING,
            Timer.due_at >= start,
            Timer.due_at < end,
        )
        .order_by(Timer.due_at, Timer.id)
    )
    return [view_of(t) for t in rows]


def due_query(now: datetime, limit: int, *, skip_locked: bool) -> Select[Timer]:
    """The claim statement: due pending timers, oldest first (served by ix_timers_due), except
    those whose retry after a failed attempt is not due yet."""
    query = (
        select(Timer)
        .where(
            Timer.status == TimerStatus.PENDING,
            Timer.due_at <= now,
            or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now),
        )
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if skip_locked else query


def claim_due(session: Session, now: datetime, limit: int, *, skip_locked: bool) -> list[Timer]:
    """Due pending timers, oldest first, held by this transaction until it ends."""
    return list(session.scalars(due_query(now, limit, skip_locked=skip_locked)))


def is_late(timer: Timer, now: datetime) -> bool:
    """Whether a timer is past its grace period."""
    return now - timer.due_at > timedelta(seconds=timer.grace_seconds)


def settled(timer: Timer, now: datetime, *, expired: bool, next_due: NextDue) -> dict[str, Any]:
    """The new state of a claimed timer that fired (or expired): a recurring one moves to its
    next time, where no attempt has failed yet. ``record_settled`` writes a batch of them."""
    state: dict[str, Any] = {
        "id": timer.id,
        "fire_count": timer.fire_count + (0 if expired else 1),
        "fired_at": now,
        "next_attempt_at": None,
    }
    if timer.recurrence:  # stays pending (unless its handler cancelled it): only moves
        state["due_at"] = next_due(timer.recurrence, max(now, timer.due_at))
        state |= {"attempts": 0, "last_error": None}
    else:
        state["status"] = TimerStatus.EXPIRED if expired else TimerStatus.FIRED
    return state


def record_settled(session: Session, states: list[dict[str, Any]]) -> None:
    """Write the new states of a batch of claimed timers in one statement (by primary key)."""
    if states:
        session.execute(update(Timer), states)


def count_pending(session: Session) -> int:
    """How many timers wait to fire."""
    return int(
        session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == TimerStatus.PENDING)
        )
        or 0
    )


def claim_period(session: Session, job: str, period: str, claimer: str, now: datetime) -> bool:
    """Claim one run of a periodic job for a period ('2026-11-29', '2026-11-29T09'); True once."""
    insert_ = (
        postgresql.insert
        if session.bind and session.bind.dialect.name == "postgresql"
        else sqlite.insert
    )
    result = session.execute(
        insert_(JobRun)
        .values(job=job, period=period, claimed_by=claimer, claimed_at=now)
        .on_conflict_do_nothing()
        .returning(JobRun.job)
    )
    return result.first() is not None

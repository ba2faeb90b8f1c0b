"""What operators do with timers (``bizbot timers``): list them, re-arm failed ones, cancel them.

Changes are all or nothing: when one of the ids cannot be changed, nothing is, and the error
names each such id with its status.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain.shared.errors import Conflict, NotFound
from domain.timers.models import Timer, TimerStatus
from domain.timers.services import TimerView, view_of


def list_timers(session: Session, *, failed: bool, limit: int) -> list[TimerView]:
    """Pending timers, soonest first; or, with ``failed``, failed ones, newest failure first."""
    query = select(Timer).limit(limit)
    if failed:
        query = query.where(Timer.status == TimerStatus.FAILED).order_by(
            Timer.fired_at.desc(), Timer.id.desc()
        )
    else:
        query = query.where(Timer.status == TimerStatus.PENDING).order_by(Timer.due_at, Timer.id)
    return [view_of(t) for t in session.scalars(query)]


def count_by_status(session: Session) -> dict[str, int]:
    """How many timers are in each status."""
    rows = session.execute(select(Timer.status, func.count()).group_by(Timer.status))
    return {str(status): int(count) for status, count in rows}


def retry_failed(session: Session, ids: Collection[int]) -> int:
    """Re-arm failed timers: due at the next tick (each still at its own occurrence, so its late
    policy applies), attempts start over; the last error stays until the next attempt."""
    allowed = {TimerStatus.FAILED}
    problems = _refused(session, ids, allowed)
    if problems:
        raise Conflict(
            "Only failed timers can be retried ({problems}); nothing was changed.",
            problems=problems,
        )
    values = {"status": TimerStatus.PENDING, "attempts": 0, "next_attempt_at": None}
    return _change(session, ids, allowed, values | {"fired_at": None})


def cancel_timers(session: Session, ids: Collection[int]) -> int:
    """Cancel pending or failed timers (a recurring one stops for good)."""
    allowed = {TimerStatus.PENDING, TimerStatus.FAILED}
    problems = _refused(session, ids, allowed)
    if problems:
        raise Conflict(
            "Only pending or failed timers can be cancelled ({problems}); nothing was changed.",
            problems=problems,
        )
    return _change(
        session, ids, allowed, {"status": TimerStatus.CANCELLED, "next_attempt_at": None}
    )


def _refused(session: Session, ids: Collection[int], allowed: set[TimerStatus]) -> str:
    """The ids not in an allowed status, each with its status (``#3 fired, #5 cancelled``);
    NotFound if any id is not a timer."""
    rows = session.execute(select(Timer.id, Timer.status).where(Timer.id.in_(ids)))
    statuses = {int(timer_id): str(status) for timer_id, status in rows}
    missing = sorted(set(ids) - set(statuses))
    if missing:
        raise NotFound("There is no timer {ids}.", ids=", ".join(f"#{i}" for i in missing))
    return ", ".join(f"#{i} {s}" for i, s in sorted(statuses.items()) if s not in allowed)


def _change(
    session: Session, ids: Collection[int], allowed: set[TimerStatus], values: dict[str, object]
) -> int:
    """Compare-and-set on the status: every timer changes, or (one moved meanwhile) none."""
    changed = session.execute(
        update(Timer).where(Timer.id.in_(ids), Timer.status.in_(allowed)).values(**values)
    )
    if changed.rowcount != len(set(ids)):  # type: ignore[attr-defined]
        raise Conflict("A timer changed meanwhile; nothing was changed. Try again.")
    return len(set(ids))

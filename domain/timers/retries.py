"""A timer whose handler failed is tried again later, a bounded number of times.

A failed attempt leaves the timer pending with the attempt counted, the error kept and
``next_attempt_at`` set: the claim skips it until then (exponential backoff with jitter, capped).
A recurring timer's attempts and error are those of its current occurrence.
After the last attempt a one-off timer is ``failed``; a recurring one gives up on this occurrence
only, keeping it as a ``failed`` one-off copy (for ``bizbot timers retry``), and moves on to its
next occurrence, which it never loses: a retry that would come after the next occurrence is not
made.

Lateness is measured from the occurrence's ``due_at`` on every attempt, so the late policy applies
to retries as to a first attempt: a timer that fires late says how late, and one that expires
once past its grace (a meeting alarm after the meeting started) gives its "missed" notice
instead of a stale alarm.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from domain.timers.models import Timer, TimerStatus
from domain.timers.services import NextDue

ERROR_CHARS = 500  # of the last error kept on the row


class AttemptOutcome(StrEnum):
    """What became of a timer whose handler raised."""

    RETRY = "retry"  # tried again after a backoff
    FAILED = "failed"  # the last attempt at this occurrence


@dataclass(frozen=True, slots=True)
class Retries:
    """How many attempts a timer gets, and how far apart."""

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after ``attempts`` failed attempts: doubling from ``base``, capped, ±20 %."""
        seconds = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** (attempts - 1))
        return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter


def record_failure(
    session: Session,
    timer: Timer,
    now: datetime,
    error: str,
    *,
    retries: Retries,
    next_due: NextDue,
) -> AttemptOutcome:
    """Count a failed attempt on a claimed timer: retry it later, or give up on this occurrence."""
    attempts = timer.attempts + 1
    timer.last_error = error[:ERROR_CHARS]
    retry_at = now + retries.delay(attempts)
    if attempts < retries.max_attempts and not _after_next_occurrence(timer, retry_at, next_due):
        timer.attempts, timer.next_attempt_at = attempts, retry_at
        return AttemptOutcome.RETRY
    if timer.recurrence:
        session.add(_failed_occurrence(timer, attempts, now))
        timer.due_at = next_due(timer.recurrence, max(now, timer.due_at))
        timer.attempts, timer.last_error, timer.next_attempt_at = 0, None, None
    else:
        timer.status, timer.fired_at = TimerStatus.FAILED, now
        timer.attempts, timer.next_attempt_at = attempts, None
    return AttemptOutcome.FAILED


def _after_next_occurrence(timer: Timer, retry_at: datetime, next_due: NextDue) -> bool:
    """Whether a retry would come once the recurring timer's next occurrence is due."""
    return timer.recurrence is not None and retry_at >= next_due(timer.recurrence, timer.due_at)


def _failed_occurrence(timer: Timer, attempts: int, now: datetime) -> Timer:
    """A one-off ``failed`` copy of a recurring timer's occurrence, to be retried by hand."""
    return Timer(
        kind=timer.kind,
        subject=timer.subject,
        owner_id=timer.owner_id,
        due_at=timer.due_at,
        payload=dict(timer.payload),
        status=TimerStatus.FAILED,
        late_policy=timer.late_policy,
        grace_seconds=timer.grace_seconds,
        recurrence=None,
        fire_count=0,
        created_at=now,
        fired_at=now,
        attempts=attempts,
        last_error=timer.last_error,
        next_attempt_at=None,
    )

"""The timer tick: claim due timers, run their handlers, and commit them with their messages."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.context import BatchMemo, Policies, TimerContext, TimerHandler
from bot.faults import TIMER_BATCH_BEFORE_COMMIT, crash_point
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.backoff import FailureStreak
from bot.pipeline.outbox import OutboxWriter
from domain.shared.clock import Clock
from domain.shared.db import Database
from domain.timers.models import LatePolicy, Timer
from domain.timers.retries import AttemptOutcome, Retries, record_failure
from domain.timers.services import NextDue, claim_due, is_late, record_settled, settled, view_of

log = get_logger("bizbot.timers")

BATCH = 200
TICK_SECONDS = 1.0  # how often the scheduler runs the tick (scheduler.runner)
BUDGET_SECONDS = 0.8  # one tick stops claiming after this, so ticks do not pile up


class TimerTick:
    """Fires due timers exactly once: handler effects, outbox messages and the timer's new state
    share one transaction, which holds the claimed rows until it ends.

    A batch first runs under one savepoint, without a savepoint per timer. If a handler raises,
    that savepoint is rolled back (nothing any handler did is kept, no message goes out) and the
    batch runs again, still holding its claims: the failed attempt is recorded without running
    the handler again, and the other timers fire, each under a savepoint of its own (a handler
    failing there has its savepoint rolled back and its attempt recorded too). A failed attempt
    is retried after a backoff, up to ``retries.max_attempts`` (``domain.timers.retries``).
    Because the failure is recorded while the claim still holds the row, no other process can
    run the timer between the failure and its record: the retry is claimed once, when it is due.
    Each timer's new state is written for the whole batch in one statement, so a handler sees
    the other timers of its batch as they were when the batch was claimed.

    A tick that fails as a whole (the database is down) makes the next ticks wait, longer
    after each failure in a row (see ``FailureStreak``); the timers stay due meanwhile.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, TimerHandler],
        policies: Policies,
        metrics: Metrics,
        *,
        action_ttl: timedelta,
        next_due: NextDue,
        on_messages: Callable[[], None],
        retries: Retries = Retries(),  # noqa: B008 - frozen
        batch: int = BATCH,
        crash_at: str = "",
    ) -> None:
        self._db = db
        self._clock = clock
        self._handlers = handlers
        self._policies = policies
        self._metrics = metrics
        self._action_ttl = action_ttl
        self._next_due = next_due
        self._on_messages = on_messages
        self._retries = retries
        self._batch = batch
        self._crash_at = crash_at
        self._failures = FailureStreak(log, "timers.tick", first_wait=TICK_SECONDS)
        self._resume_at: datetime | None = None

    async def run(self) -> int:
        """Fire every due timer, unless the tick is waiting after failures; how many fired."""
        now = self._clock.now()
        if self._resume_at is not None and now < self._resume_at:
            return 0
        try:
            fired = await self._fire_due()
        except Exception as exc:  # noqa: BLE001 - logged once per streak
            self._metrics.errors.labels("tick").inc()
            self._resume_at = now + timedelta(seconds=self._failures.failed(exc))
            return 0
        self._failures.succeeded()
        self._resume_at = None
        return fired

    async def _fire_due(self) -> int:
        """Fire every due timer, batch by batch, within the tick's time budget."""
        fired = 0
        started = time.monotonic()
        while time.monotonic() - started < BUDGET_SECONDS:
            batch = await self._db.run(self._fire_batch)
            self._count(batch)
            fired += batch.claimed
            if batch.wrote:
                self._on_messages()
            if batch.claimed < self._batch:
                break
        return fired

    def _count(self, batch: Batch) -> None:
        """Metrics, once the batch is committed (a retried transaction must not count twice)."""
        for kind, result in batch.outcomes:
            if result in (AttemptOutcome.RETRY, AttemptOutcome.FAILED):
                self._metrics.timer_failures.labels(kind, result).inc()
                self._metrics.errors.labels("timer").inc()
            if result != AttemptOutcome.RETRY:
                self._metrics.timers.labels(kind, result).inc()

    def _fire_batch(self, session: Session) -> Batch:
        """Claim a batch and fire it: first under one savepoint, and if a handler fails, again
        with that failure recorded and a savepoint per timer."""
        now = self._clock.now()
        timers = claim_due(session, now, self._batch, skip_locked=self._db.dialect == "postgresql")
        try:
            with session.begin_nested():
                results, outbox = self._fire_all(session, timers, now, None)
        except HandlerFailed as failed:  # its savepoint is undone; the claims are still held
            results, outbox = self._fire_all(session, timers, now, failed)
        record_settled(session, [state for _, state in results if state is not None])
        if timers:
            crash_point(self._crash_at, TIMER_BATCH_BEFORE_COMMIT)
        outcomes = [(t.kind, result) for t, (result, _) in zip(timers, results, strict=True)]
        return Batch(len(timers), outbox.written > 0, outcomes)

    def _fire_all(
        self, session: Session, timers: list[Timer], now: datetime, failed: HandlerFailed | None
    ) -> tuple[list[Outcome], OutboxWriter]:
        """Each timer's outcome, and the outbox their messages went to."""
        outbox = OutboxWriter(session, now, None, self._action_ttl)
        memo = BatchMemo()
        memo.preload(session, self._policies, {t.owner_id for t in timers if t.owner_id})
        if failed is None:
            return [self._fire(session, t, now, outbox, memo) for t in timers], outbox
        return [self._fire_isolated(session, t, now, outbox, memo, failed) for t in timers], outbox

    def _context(
        self, session: Session, timer: Timer, now: datetime, outbox: OutboxWriter, memo: BatchMemo
    ) -> TimerContext:
        expired = timer.late_policy == LatePolicy.EXPIRE and is_late(timer, now)
        return TimerContext(session, now, outbox, self._policies, now - timer.due_at, expired, memo)

    def _handler(self, timer: Timer) -> TimerHandler:
        handler = self._handlers.get(timer.kind)
        if handler is None:
            raise LookupError(f"no handler for timer kind {timer.kind!r}")
        return handler

    def _fire(
        self, session: Session, timer: Timer, now: datetime, outbox: OutboxWriter, memo: BatchMemo
    ) -> Outcome:
        """Run one timer's handler under the batch's savepoint; its result and new state."""
        context = self._context(session, timer, now, outbox, memo)
        try:
            self._handler(timer)(context, view_of(timer))
        except Exception as exc:
            log.exception("timer.failed", timer_id=timer.id, kind=timer.kind)
            raise HandlerFailed(timer.id, repr(exc)) from exc
        return _fired(context), settled(
            timer, now, expired=context.expired, next_due=self._next_due
        )

    def _fire_isolated(
        self,
        session: Session,
        timer: Timer,
        now: datetime,
        outbox: OutboxWriter,
        memo: BatchMemo,
        failed: HandlerFailed,
    ) -> Outcome:
        """Record the attempt that undid the first run, or run the handler in a savepoint."""
        if failed.timer_id == timer.id:
            return self._record_failure(session, timer, now, failed.error), None
        context = self._context(session, timer, now, outbox, memo)
        try:
            handler = self._handler(timer)
            with session.begin_nested():
                handler(context, view_of(timer))
        except Exception as exc:
            log.exception("timer.failed", timer_id=timer.id, kind=timer.kind)
            return self._record_failure(session, timer, now, repr(exc)), None
        return _fired(context), settled(
            timer, now, expired=context.expired, next_due=self._next_due
        )

    def _record_failure(self, session: Session, timer: Timer, now: datetime, error: str) -> str:
        attempt = timer.attempts + 1
        outcome = record_failure(
            session, timer, now, error, retries=self._retries, next_due=self._next_due
        )
        log.warning(
            "timer.retry" if outcome == AttemptOutcome.RETRY else "timer.gave_up",
            timer_id=timer.id,
            kind=timer.kind,
            attempt=attempt,
            next_attempt_at=timer.next_attempt_at,
        )
        return outcome


class HandlerFailed(Exception):
    """A handler raised under the batch's savepoint: the savepoint is undone."""

    def __init__(self, timer_id: int, error: str) -> None:
        super().__init__(timer_id, error)
        self.timer_id, self.error = timer_id, error


Outcome = tuple[str, dict[str, Any] | None]  # (fired | expired | retry | failed, new state)


@dataclass(frozen=True, slots=True)
class Batch:
    """What one batch did: timers claimed, whether messages were written, (kind, result) each."""

    claimed: int
    wrote: bool
    outcomes: list[tuple[str, str]]


def _fired(context: TimerContext) -> str:
    """fired, or expired when the late policy said so."""
    return "expired" if context.expired else "fired"

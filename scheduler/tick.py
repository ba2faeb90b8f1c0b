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
from domain.timers.models import LatePolicy, Timer, TimerStatus
from domain.timers.services import NextDue, claim_due, is_late, record_settled, settled, view_of

log = get_logger("bizbot.timers")

BATCH = 200
TICK_SECONDS = 1.0  # how often the scheduler runs the tick (scheduler.runner)
BUDGET_SECONDS = 0.8  # one tick stops claiming after this, so ticks do not pile up


class TimerTick:
    """Fires due timers exactly once: handler effects, outbox messages and the timer's new state
    share one transaction.

    A batch first runs without a savepoint per timer; if a handler raises, the whole batch is
    rolled back and run again with savepoints, where the failing timer is marked ``failed`` and
    the others fire. Each timer's new state is written for the whole batch in one statement, so
    a handler sees the other timers of its batch as they were when the batch was claimed.

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
            try:
                batch = await self._db.run(lambda s: self._fire_batch(s, careful=False))
            except HandlerFailed:  # undone; again with a savepoint per timer to isolate it
                batch = await self._db.run(lambda s: self._fire_batch(s, careful=True))
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
            self._metrics.timers.labels(kind, result).inc()
            if result == "failed":
                self._metrics.errors.labels("timer").inc()

    def _fire_batch(self, session: Session, *, careful: bool) -> Batch:
        """Claim a batch and fire it. Without ``careful``, handlers run without savepoints (two
        statements fewer per timer) and the first failure undoes the whole batch."""
        now = self._clock.now()
        timers = claim_due(session, now, self._batch, skip_locked=self._db.dialect == "postgresql")
        outbox = OutboxWriter(session, now, None, self._action_ttl)
        memo = BatchMemo()
        memo.preload(session, self._policies, {t.owner_id for t in timers if t.owner_id})
        fire = self._fire_isolated if careful else self._fire
        states = [fire(session, timer, now, outbox, memo) for timer in timers]
        outcomes = [_outcome(t, state) for t, state in zip(timers, states, strict=True)]
        record_settled(session, [state for state in states if state is not None])
        if timers:
            crash_point(self._crash_at, TIMER_BATCH_BEFORE_COMMIT)
        return Batch(len(timers), outbox.written > 0, outcomes)

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
    ) -> dict[str, Any]:
        """Run one timer's handler in the batch's transaction; its new state."""
        context = self._context(session, timer, now, outbox, memo)
        try:
            self._handler(timer)(context, view_of(timer))
        except Exception as exc:
            log.info("timer.batch_undone", timer_id=timer.id, kind=timer.kind, error=repr(exc))
            raise HandlerFailed(timer.id) from exc
        return settled(timer, now, expired=context.expired, next_due=self._next_due)

    def _fire_isolated(
        self, session: Session, timer: Timer, now: datetime, outbox: OutboxWriter, memo: BatchMemo
    ) -> dict[str, Any] | None:
        """Run one timer's handler in a savepoint; its new state, or None if it failed."""
        context = self._context(session, timer, now, outbox, memo)
        try:
            handler = self._handler(timer)
            with session.begin_nested():
                handler(context, view_of(timer))
        except Exception:
            log.exception("timer.failed", timer_id=timer.id, kind=timer.kind)
            timer.status = TimerStatus.FAILED
            timer.fired_at = now
            return None
        return settled(timer, now, expired=context.expired, next_due=self._next_due)


class HandlerFailed(Exception):
    """A handler raised while its batch ran without savepoints: the batch is undone."""


@dataclass(frozen=True, slots=True)
class Batch:
    """What one batch did: timers claimed, whether messages were written, (kind, result) each."""

    claimed: int
    wrote: bool
    outcomes: list[tuple[str, str]]


def _outcome(timer: Timer, state: dict[str, Any] | None) -> tuple[str, str]:
    """(kind, fired | expired | failed) for the metrics."""
    if state is None:
        return timer.kind, "failed"
    return timer.kind, "expired" if state["fire_count"] == timer.fire_count else "fired"

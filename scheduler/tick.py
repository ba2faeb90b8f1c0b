"""The timer tick: claim due timers, run their handlers, and commit them with their messages."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.context import Policies, TimerContext, TimerHandler
from bot.faults import TIMER_BATCH_BEFORE_COMMIT, crash_point
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.outbox import OutboxWriter
from domain.shared.clock import Clock
from domain.shared.db import Database
from domain.timers.models import LatePolicy, Timer, TimerStatus
from domain.timers.services import NextDue, claim_due, is_late, settle, view_of

log = get_logger("bizbot.timers")

BATCH = 200
BUDGET_SECONDS = 0.8  # one tick stops claiming after this, so ticks do not pile up


class TimerTick:
    """Fires due timers exactly once: handler effects, outbox messages and the timer's new state
    share one transaction."""

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

    async def run(self) -> int:
        """Fire every due timer, batch by batch, within the tick's time budget."""
        fired = 0
        started = time.monotonic()
        while time.monotonic() - started < BUDGET_SECONDS:
            count, wrote = await self._db.run(self._fire_batch)
            fired += count
            if wrote:
                self._on_messages()
            if count < self._batch:
                break
        return fired

    def _fire_batch(self, session: Session) -> tuple[int, bool]:
        now = self._clock.now()
        timers = claim_due(session, now, self._batch, skip_locked=self._db.dialect == "postgresql")
        outbox = OutboxWriter(session, now, None, self._action_ttl)
        for timer in timers:
            self._fire(session, timer, now, outbox)
        if timers:
            crash_point(self._crash_at, TIMER_BATCH_BEFORE_COMMIT)
        return len(timers), outbox.written > 0

    def _fire(self, session: Session, timer: Timer, now: datetime, outbox: OutboxWriter) -> None:
        expired = timer.late_policy == LatePolicy.EXPIRE and is_late(timer, now)
        handler = self._handlers.get(timer.kind)
        view = view_of(timer)
        context = TimerContext(session, now, outbox, self._policies, now - timer.due_at, expired)
        try:
            if handler is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            with session.begin_nested():
                handler(context, view)
        except Exception:
            log.exception("timer.failed", timer_id=timer.id, kind=timer.kind)
            self._metrics.errors.labels("timer").inc()
            timer.status = TimerStatus.FAILED
            timer.fired_at = now
            return
        settle(timer, now, expired=expired, next_due=self._next_due)
        self._metrics.timers.labels(timer.kind, "expired" if expired else "fired").inc()

"""Workers: claim inbox events, handle them, and commit the answers to the outbox."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.dispatch import Dispatcher, Handled
from bot.faults import AFTER_COMMIT_BEFORE_SEND, crash_point
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.backoff import FailureStreak
from bot.pipeline.inbox import claim_pending
from domain.shared.clock import Clock
from domain.shared.db import Database
from domain.shared.domain_events import recorded_any

log = get_logger("bizbot.worker")


class Workers:
    """A pool of worker loops; each claims a batch, handles it, commits, and wakes the relay."""

    def __init__(
        self,
        db: Database,
        dispatcher: Dispatcher,
        clock: Clock,
        metrics: Metrics,
        *,
        batch: int,
        poll_interval: float,
        crash_at: str,
        on_replies: Callable[[], None],
        on_progress: Callable[[], None] = lambda: None,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._dispatcher = dispatcher
        self._clock = clock
        self._metrics = metrics
        self._batch = batch
        self._poll = poll_interval
        self._crash_at = crash_at
        self._on_replies = on_replies
        self._on_progress = on_progress
        self._on_domain_events: Callable[[], None] = lambda: None
        self._recorded = False  # a committed batch recorded domain events
        self._pause = pause
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._idle_loops: set[int] = set()
        self.idle = asyncio.Event()  # every loop found nothing to do since the last wake

    def on_domain_events(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` after a batch that recorded domain events commits."""
        self._on_domain_events = wake

    def wake(self) -> None:
        """New events were committed."""
        self._wake.set()
        self._idle_loops.clear()
        self.idle.clear()

    def start(self, count: int) -> None:
        """Start ``count`` loops (one is enough on SQLite, where writes are serial anyway)."""
        self._tasks = [asyncio.create_task(self._loop(i), name=f"worker-{i}") for i in range(count)]

    async def stop(self) -> None:
        """Stop the loops; a batch being handled rolls back and stays pending."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def run_once(self) -> list[Handled]:
        """Handle one batch now; returns what was handled."""
        handled = await self._db.run(self._process_batch)
        if self._recorded:
            self._recorded = False
            self._on_domain_events()
        self._observe(handled)
        return handled

    async def _loop(self, index: int) -> None:
        failures = FailureStreak(log, "worker", first_wait=self._poll)
        while True:
            self._wake.clear()
            try:
                handled = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - logged once per streak
                self._metrics.errors.labels("worker").inc()
                await self._pause(failures.failed(exc))  # new events do not cut it short
                continue
            failures.succeeded()
            if handled:
                continue
            self._idle_loops.add(index)
            if len(self._idle_loops) >= len(self._tasks):
                self.idle.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):  # not wait_for: it can drop a cancel
                    await self._wake.wait()

    def _process_batch(self, session: Session) -> list[Handled]:
        now = self._clock.now()
        claimed = claim_pending(
            session, limit=self._batch, skip_locked=self._db.dialect == "postgresql", now=now
        )
        handled = self._dispatcher.handle_batch(session, claimed, now)
        self._recorded = recorded_any(session) or self._recorded
        if self._crash_at and any(h.replies for h in handled):
            # Fire in the committing thread, the instant the answers are durable: nothing
            # (not even the relay's next claim) can run between the commit and the crash.
            event.listen(session, "after_commit", self._crash_after_commit, once=True)
        return handled

    def _crash_after_commit(self, _session: Session) -> None:
        crash_point(self._crash_at, AFTER_COMMIT_BEFORE_SEND)

    def _observe(self, handled: list[Handled]) -> None:
        if not handled:
            return
        now = self._clock.now()
        for h in handled:
            self._metrics.commands.labels(h.command or "message", h.outcome).inc()
            self._metrics.command_latency.observe((now - h.received_at).total_seconds())
            if h.outcome == "error":
                self._metrics.errors.labels("command").inc()
        if any(h.replies for h in handled):
            self._on_replies()
        self._on_progress()

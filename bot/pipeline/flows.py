"""The consumers' loop: runs every registered consumer of domain events in this process.

It is woken when a worker batch that recorded domain events commits (a batch that recorded
none costs nothing more), and looks on its own every ``poll_interval`` seconds for events
recorded elsewhere (the CLI, the timer tick, another process) and for retries coming due.
Each pass of a consumer is one transaction (``domain.flows.consumers.consume``): its effects,
its outbox messages and the rows saying which events it applied commit together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial

from sqlalchemy.orm import Session

from bot.context import BatchMemo, Policies, TimerContext
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.loop import WakeableLoop
from bot.pipeline.outbox import OutboxWriter
from domain.flows.consumers import Backoff, Consumer, Pass, consume, pending_count
from domain.shared.clock import Clock
from domain.shared.db import Database

log = get_logger("bizbot.flows")

FlowContext = TimerContext  # what a consumer's handler gets besides the session and the event
FlowConsumer = Consumer[FlowContext]


class Flows(WakeableLoop):
    """Runs the consumers: a loop woken by committed events, with a modest poll as a backstop."""

    def __init__(
        self,
        db: Database,
        consumers: Sequence[FlowConsumer],
        clock: Clock,
        metrics: Metrics,
        policies: Callable[[], Policies],
        *,
        action_ttl: timedelta,
        poll_interval: float,
        backoff: Backoff = Backoff(),  # noqa: B008 - frozen
        on_messages: Callable[[], None] = lambda: None,
        on_progress: Callable[[], None] = lambda: None,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        names = [c.name for c in consumers]
        if len(set(names)) != len(names):
            raise ValueError(f"two consumers share a name (a name is a position): {names}")
        super().__init__("flows", metrics, poll_interval, pause)  # woken: events committed
        self.consumers = list(consumers)
        self._db = db
        self._clock = clock
        self._policies = policies
        self._action_ttl = action_ttl
        self._backoff = backoff
        self._on_messages = on_messages
        self._on_progress = on_progress

    def has_work(self) -> bool:
        """Nothing to do without consumers."""
        return bool(self.consumers)

    async def run_once(self) -> int:
        """One pass of every consumer, each in its own transaction; events given an outcome."""
        touched = 0
        for consumer in self.consumers:
            done = await self._db.run(partial(self._pass, consumer=consumer))
            touched += done.touched
            self._count(consumer.name, done)
        if touched:
            self._on_progress()
        return touched

    def backlog(self, session: Session) -> int:
        """Events the consumers have still to apply now (in the caller's transaction)."""
        if not self.consumers:
            return 0
        return pending_count(session, self.consumers, self._clock.now())

    def _pass(self, session: Session, *, consumer: FlowConsumer) -> Pass:
        now = self._clock.now()
        outbox = OutboxWriter(session, now, None, self._action_ttl)
        context = TimerContext(
            session, now, outbox, self._policies(), timedelta(0), False, BatchMemo()
        )
        done = consume(
            session,
            consumer,
            context,
            now,
            backoff=self._backoff,
            skip_locked=self._db.dialect == "postgresql",
        )
        return done

    def _count(self, name: str, done: Pass) -> None:
        if done.failed or done.parked:
            log.warning("flows.failed", consumer=name, retry=done.failed, parked=done.parked)
            self._metrics.errors.labels("flow").inc()
        if done.applied:
            self._on_messages()

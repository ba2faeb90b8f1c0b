"""The delivery relay: claims outbox rows, sends them through channel clients, records outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.faults import AFTER_SEND_BEFORE_MARK, crash_point
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.backoff import FailureStreak
from bot.pipeline.batching import GroupCommit
from bot.pipeline.delivery import Delivery, Outcome, claim_due, concealing, record_outcomes
from bot.ports import ChannelClient, PermanentDeliveryError, RetryLater
from domain.shared.clock import Clock
from domain.shared.db import Database

log = get_logger("bizbot.relay")

MAX_INLINE_WAIT = 5.0  # a longer rate-limit wait puts the row back instead of holding a slot
BACKOFF_BASE = 2.0
BACKOFF_CAP = 3600.0
STOP_GRACE = 5.0  # seconds, after the last send in flight must have ended, to record it


def backoff(attempts: int) -> float:
    """Seconds before retry number ``attempts`` (exponential, capped, with ±20 % jitter)."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return float(base * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not security


class Relay:
    """Delivers outbox rows with bounded concurrency; one conversation never holds up another."""

    def __init__(
        self,
        db: Database,
        clients: dict[str, ChannelClient],
        clock: Clock,
        metrics: Metrics,
        *,
        concurrency: int,
        lease: timedelta,
        max_attempts: int,
        poll_interval: float,
        crash_at: str,
        conversations: frozenset[str] | None = None,
        on_progress: Callable[[], None] = lambda: None,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._clients = clients
        self._clock = clock
        self._metrics = metrics
        self._concurrency = concurrency
        self._lease = lease
        self._max_attempts = max_attempts
        self._poll = poll_interval
        self._crash_at = crash_at
        self._conversations = conversations
        self._on_progress = on_progress
        self._pause = pause
        # a send must end well inside its lease, or the row would be claimed again mid-send
        self._send_limit = lease.total_seconds() / 2
        self.claimer = f"relay-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()  # nothing claimable and nothing in flight since the last wake
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._turn = ""  # the conversation claimed last: the next claim starts after it
        self._outcomes = GroupCommit(db, self._record, name="outbox-outcomes")

    def wake(self) -> None:
        """New rows were committed to the outbox."""
        self._wake.set()
        self.idle.clear()

    def start(self) -> None:
        """Start claiming and delivering."""
        self._outcomes.start()
        self._task = asyncio.create_task(self._loop(), name="relay")

    async def stop(self) -> None:
        """Stop claiming, let the sends in flight finish, record their outcomes, then stop.

        Every send ends within the send limit (half the lease), so waiting that long (and a
        little more to record the outcomes) sees each one recorded: a send left unrecorded
        would go out again once its lease expired.
        """
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight:
            _done, late = await asyncio.wait(self._inflight, timeout=self._send_limit + STOP_GRACE)
            if late:  # only recording can take this long: its outcome is still queued
                log.warning("relay.stop_abandoned", deliveries=len(late))
                for task in late:
                    task.cancel()
        await self._outcomes.stop()

    async def _loop(self) -> None:
        failures = FailureStreak(log, "relay", first_wait=self._poll)
        while True:
            self._wake.clear()
            try:
                claimed = await self._claim()
            except Exception as exc:  # noqa: BLE001 - logged once per streak
                self._metrics.errors.labels("relay").inc()
                await self._pause(failures.failed(exc))  # new messages do not cut it short
                continue
            failures.succeeded()
            if claimed:
                continue
            if all(task.done() for task in self._inflight):
                self.idle.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):  # not wait_for: it can drop a cancel
                    await self._wake.wait()

    async def _claim(self) -> int:
        free = self._concurrency - len(self._inflight)
        if free <= 0 or not self._clients:
            return 0
        now = self._clock.now()
        deliveries = await self._db.run(
            lambda s: claim_due(
                s,
                channels=sorted(self._clients),
                now=now,
                limit=free,
                lease=self._lease,
                claimer=self.claimer,
                skip_locked=self._db.dialect == "postgresql",
                conversations=self._conversations,
                after=self._turn,
            )
        )
        if deliveries:
            self._turn = deliveries[-1].address.key
        for delivery in deliveries:
            task = asyncio.create_task(self._deliver(delivery))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(deliveries)

    async def _deliver(self, delivery: Delivery) -> None:
        outcome = concealing(delivery, await self._attempt(delivery))
        crash_point(self._crash_at, AFTER_SEND_BEFORE_MARK)
        try:
            await self._outcomes.submit(outcome)
        except Exception:
            log.exception("relay.record_failed", outbox_id=delivery.id)
        self._on_progress()
        self.wake()

    async def _attempt(self, delivery: Delivery) -> Outcome:
        client = self._clients[delivery.address.channel]
        channel = delivery.address.channel
        wait = client.pace(delivery.address)
        if wait > MAX_INLINE_WAIT:
            retry_at = self._clock.now() + timedelta(seconds=wait)
            return Outcome(
                delivery.id, sent=False, error="paced", retry_at=retry_at, count_attempt=False
            )
        try:
            async with asyncio.timeout(self._send_limit):
                if wait > 0:
                    await asyncio.sleep(wait)
                message_id = await self._send(client, delivery)
        except RetryLater as exc:
            self._metrics.deliveries.labels(channel, "throttled").inc()
            retry_at = self._clock.now() + timedelta(seconds=exc.seconds)
            return Outcome(
                delivery.id, sent=False, error=str(exc), retry_at=retry_at, count_attempt=False
            )
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
            return self._failed(delivery, exc)
        self._metrics.deliveries.labels(channel, "sent").inc()
        latency = (self._clock.now() - delivery.created_at).total_seconds()
        self._metrics.delivery_latency.observe(latency)
        adopted = delivery.edit_of if delivery.kind == "edit" and not delivery.edit_target else None
        return Outcome(delivery.id, sent=True, platform_message_id=message_id, adopted_by=adopted)

    async def _send(self, client: ChannelClient, delivery: Delivery) -> str:
        if delivery.kind == "edit" and delivery.edit_target:
            target, message = delivery.edit_target, delivery.message
            await client.edit(delivery.address, target, message, delivery.context)
            return delivery.edit_target
        return await client.send(delivery.address, delivery.message, delivery.context)

    def _failed(self, delivery: Delivery, exc: Exception) -> Outcome:
        channel = delivery.address.channel
        error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, PermanentDeliveryError)
        if permanent or delivery.attempts + 1 >= self._max_attempts:
            self._metrics.deliveries.labels(channel, "dead").inc()
            log.warning("relay.dead_letter", outbox_id=delivery.id, channel=channel, error=error)
            return Outcome(delivery.id, sent=False, error=error)
        self._metrics.deliveries.labels(channel, "retry").inc()
        retry_at = self._clock.now() + timedelta(seconds=backoff(delivery.attempts + 1))
        return Outcome(delivery.id, sent=False, error=error, retry_at=retry_at)

    def _record(self, session: Session, outcomes: list[Outcome]) -> list[int]:
        now: datetime = self._clock.now()
        record_outcomes(session, outcomes, now, self.claimer)
        return [o.id for o in outcomes]

"""Stopping the pipeline: a stop right after a wake-up is not lost (Python 3.11's
``asyncio.wait_for`` returns the woken result and drops a cancel that arrives with it), and a
send in flight is waited for and recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from datetime import timedelta

from sqlalchemy import select

from adapters.memory.client import MemoryClient
from bot.app import build_runtime
from bot.config import Settings
from bot.events import Address
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import OutboxRow
from bot.replies import Message, Reply

BOUND = 30.0  # seconds; a lost stop never ends, a working one takes milliseconds
ROUNDS = 20


async def ends(stop: Awaitable[None]) -> bool:
    """Whether a stop finishes within the bound (a lost one would hang the test instead)."""
    task = asyncio.ensure_future(stop)
    done, _pending = await asyncio.wait({task}, timeout=BOUND)
    return bool(done)


async def test_a_stop_right_after_a_wake_up_still_stops(settings: Settings) -> None:
    runtime = build_runtime(settings, [MemoryClient("memory")])
    await runtime.start()
    for _round in range(ROUNDS):
        await runtime.settle()
        runtime.relay.wake()
        assert await ends(runtime.relay.stop()), "the relay missed its stop"
        runtime.workers.wake()
        assert await ends(runtime.workers.stop()), "the workers missed their stop"
        runtime.relay.start()
        runtime.workers.start(1)
    assert await ends(runtime.stop())
    await runtime.db.dispose()


class SlowPlatform(MemoryClient):
    """A platform whose sends take as long as the test says."""

    def __init__(self) -> None:
        super().__init__("memory")
        self.sending = asyncio.Event()
        self.answer = asyncio.Event()

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        self.sending.set()
        await self.answer.wait()
        return await super().send(address, message, context)


async def yield_to_loop(rounds: int = 50) -> None:
    """Let the event loop run everything that is ready, a few rounds deep."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class LoopClock:
    """The event loop's clock, moved by the test: asyncio timeouts fall due without waiting."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._real = self._loop.time
        self._ahead = 0.0
        self._loop.time = self.time  # type: ignore[method-assign]

    def time(self) -> float:
        return self._real() + self._ahead

    def advance(self, seconds: float) -> None:
        self._ahead += seconds

    def restore(self) -> None:
        del self._loop.time


async def test_a_send_in_flight_at_shutdown_is_recorded_and_not_sent_again(
    sqlite_settings: Settings,
) -> None:
    platform = SlowPlatform()
    runtime = build_runtime(sqlite_settings, [platform])  # a 30 s lease: sends may take 15 s
    await runtime.start()
    now = runtime.clock.now()
    await runtime.db.run(
        lambda s: OutboxWriter(s, now, None, timedelta(hours=1)).send(
            Address("memory", "alice"), Reply("hello"), recipient_id=None
        )
    )
    runtime.relay.wake()
    await platform.sending.wait()
    stopping = asyncio.ensure_future(runtime.relay.stop())
    await yield_to_loop()  # the stop cancels the relay's loop and waits for the send
    clock = LoopClock()
    try:
        clock.advance(12)  # the send has taken 12 s, within its limit of 15 (half the lease)
        await yield_to_loop()  # whatever fell due has run
        assert not stopping.done()
        platform.answer.set()
        await stopping
    finally:
        clock.restore()
    await runtime.stop()
    rows = await runtime.db.run(
        lambda s: s.execute(select(OutboxRow.status, OutboxRow.attempts)).all()
    )
    assert [tuple(row) for row in rows] == [("sent", 1)]  # not left "sending", to go out again
    assert [p.text for p in platform.conversation("alice")] == ["hello"]
    await runtime.db.dispose()

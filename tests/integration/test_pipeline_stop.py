"""Stopping the pipeline while a loop is being woken: the stop is not lost (Python 3.11's
``asyncio.wait_for`` returns the woken result and drops a cancel that arrives with it)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from adapters.memory.client import MemoryClient
from bot.app import build_runtime
from bot.config import Settings

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

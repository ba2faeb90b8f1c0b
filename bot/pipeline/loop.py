"""A background loop woken when there may be work, polling as a backstop: the flows' consumers
and the room opener run on it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.backoff import FailureStreak


class WakeableLoop:
    """Runs ``run_once`` until a pass finds nothing, then waits for ``wake`` or the poll.

    ``idle`` is set when a pass found nothing and no wake came meanwhile (what
    ``Runtime.settle`` waits on). A pass that raises is logged once per streak of failures,
    counted in the errors metric under ``name``, and tried again after a growing pause.
    """

    def __init__(
        self,
        name: str,
        metrics: Metrics,
        poll_interval: float,
        pause: Callable[[float], Awaitable[None]],
    ) -> None:
        self._name = name
        self._metrics = metrics
        self._poll = poll_interval
        self._pause = pause
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    async def run_once(self) -> int:
        """One pass; how much it did (0: nothing to do)."""
        raise NotImplementedError

    def has_work(self) -> bool:
        """Whether this process runs the loop at all."""
        return True

    def wake(self) -> None:
        """There may be work."""
        self._wake.set()
        self.idle.clear()

    def start(self) -> None:
        """Start the loop (not when this process has nothing for it to do)."""
        if self.has_work():
            self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        """Stop the loop; a pass in progress rolls back and is done again later."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.idle.set()

    async def _loop(self) -> None:
        log = get_logger(f"bizbot.{self._name}")
        failures = FailureStreak(log, self._name, first_wait=self._poll)
        while True:
            self._wake.clear()
            try:
                done = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - logged once per streak
                self._metrics.errors.labels(self._name).inc()
                await self._pause(failures.failed(exc))  # a wake does not cut it short
                continue
            failures.succeeded()
            if done:
                continue
            if not self._wake.is_set():
                self.idle.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

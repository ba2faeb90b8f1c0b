"""Loops whose database fails (a table gone missing stands in for an outage) wait longer after each
failure, log the streak once instead of a traceback at every poll, and recover by themselves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs

from adapters.memory.client import MemoryClient
from adapters.memory.translate import say
from bot.app import Runtime, build_runtime, build_tick
from bot.config import Settings
from bot.pipeline.relay import Relay
from bot.pipeline.worker import Workers
from domain.directory.importer import import_org
from tests.support import ORG_YAML, FakeClock

POLL = 0.05  # sqlite_settings.poll_interval: the first wait
FAILURES = 6
WAITS = [POLL * 2**n for n in range(FAILURES)]


@pytest.fixture
async def runtime(sqlite_settings: Settings) -> AsyncIterator[Runtime]:
    """A pipeline whose loops the test starts itself."""
    rt = build_runtime(sqlite_settings, [MemoryClient("memory")])
    try:
        yield rt
    finally:
        await rt.db.dispose()


def rename(table: str, to: str) -> Callable[..., object]:
    return lambda session: session.execute(text(f"ALTER TABLE {table} RENAME TO {to}"))


def outage(
    rt: Runtime, table: str, waits: list[float], failures: int, over: asyncio.Event | None = None
) -> Callable[[float], Awaitable[None]]:
    """A pause that records each wait, and ends the outage after ``failures`` of them."""

    async def pause(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == failures:
            await rt.db.run(rename(f"{table}_away", table))
            if over is not None:
                over.set()

    return pause


def streaks(logs: list[MutableMapping[str, Any]], place: str) -> list[tuple[str, object]]:
    return [
        (str(e["event"]), e.get("failures") or type(e.get("exc_info")).__name__)
        for e in logs
        if str(e["event"]).startswith(f"{place}.")
    ]


async def test_a_failing_worker_backs_off_logs_once_and_recovers(runtime: Runtime) -> None:
    waits: list[float] = []
    workers = Workers(
        runtime.db, runtime.dispatcher, runtime.clock, runtime.metrics, batch=8,
        poll_interval=POLL, crash_at="", on_replies=lambda: None,
        pause=outage(runtime, "inbox", waits, FAILURES),
    )  # fmt: skip
    await runtime.db.run(rename("inbox", "inbox_away"))
    with capture_logs() as logs:
        workers.start(1)
        await workers.idle.wait()  # the outage is over and nothing is pending
        await workers.stop()
    assert waits == WAITS  # doubling from the poll interval; new events did not cut them short
    assert streaks(logs, "worker") == [
        ("worker.failing", "OperationalError"),
        ("worker.recovered", FAILURES),
    ]


async def test_a_failing_relay_backs_off_logs_once_and_recovers(runtime: Runtime) -> None:
    waits: list[float] = []
    relay = Relay(
        runtime.db, runtime.clients, runtime.clock, runtime.metrics, concurrency=4,
        lease=timedelta(seconds=30), max_attempts=3, poll_interval=POLL, crash_at="",
        pause=outage(runtime, "outbox", waits, FAILURES),
    )  # fmt: skip
    await runtime.db.run(rename("outbox", "outbox_away"))
    with capture_logs() as logs:
        relay.start()
        await relay.idle.wait()
        await relay.stop()
    assert waits == WAITS
    assert streaks(logs, "relay") == [
        ("relay.failing", "OperationalError"),
        ("relay.recovered", FAILURES),
    ]


async def test_a_failing_tick_waits_longer_each_time_then_fires(
    sqlite_settings: Settings,
) -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    rt = build_runtime(sqlite_settings, [MemoryClient("memory")], clock=clock)
    tick = build_tick(rt)
    try:
        await rt.db.run(rename("timers", "timers_away"))
        with capture_logs() as logs:
            for wait in (1, 2, 4):
                assert await tick.run() == 0  # fails, and waits ``wait`` seconds
                clock.advance(timedelta(seconds=wait - 0.5))
                assert await tick.run() == 0  # still waiting: the database is not asked
                clock.advance(timedelta(seconds=0.5))
            assert (
                rt.metrics.registry.get_sample_value("bizbot_errors_total", {"where": "tick"}) == 3
            )
            await rt.db.run(rename("timers_away", "timers"))
            assert await tick.run() == 0  # nothing was due, but it ran
        assert streaks(logs, "timers.tick") == [
            ("timers.tick.failing", "OperationalError"),
            ("timers.tick.recovered", 3),
        ]
    finally:
        await rt.db.dispose()


async def test_after_an_outage_the_pipeline_answers_as_before(runtime: Runtime) -> None:
    """The pipeline as a whole: after the worker's outage, events are answered as usual."""
    waits: list[float] = []
    over = asyncio.Event()
    runtime.workers = Workers(
        runtime.db, runtime.dispatcher, runtime.clock, runtime.metrics, batch=8,
        poll_interval=POLL, crash_at="", on_replies=runtime.relay.wake,
        on_progress=runtime.progress.moved, pause=outage(runtime, "inbox", waits, 3, over),
    )  # fmt: skip
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, runtime.clock.now()))
    await runtime.db.run(rename("inbox", "inbox_away"))
    await runtime.start()
    try:
        await over.wait()
        await runtime.ingest(say("alice", "/ping"))
        await runtime.settle()
        memory = runtime.clients["memory"]
        assert isinstance(memory, MemoryClient)
        assert [p.text for p in memory.conversation("alice")] == ["pong"]
    finally:
        await runtime.stop()

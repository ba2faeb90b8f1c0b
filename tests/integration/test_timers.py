"""Durable timers fire exactly once, with their messages, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.context import TimerContext
from bot.pipeline.tables import OutboxRow
from bot.replies import Reply
from domain.directory.importer import import_org
from domain.directory.services import find_member
from domain.shared.db import open_database
from domain.timers.models import LatePolicy, Timer, TimerStatus
from domain.timers.services import TimerView, cancel, count_pending, reschedule, schedule
from scheduler.jobs import JobRunner, PeriodicJob, daily
from scheduler.tick import TimerTick
from tests.support import ORG_YAML, FakeClock

START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def remind(ctx: TimerContext, timer: TimerView) -> None:
    assert timer.owner_id is not None
    note = f" ({int(ctx.late.total_seconds())}s late)" if ctx.late > timedelta(minutes=1) else ""
    text = f"missed: {timer.payload['text']}" if ctx.expired else f"{timer.payload['text']}{note}"
    ctx.notify(timer.owner_id, Reply(text), subject=f"timer:{timer.id}")


def broken(_ctx: TimerContext, _timer: TimerView) -> None:
    raise RuntimeError("handler bug")


def every_day(_rule: str, after: datetime) -> datetime:
    return after + timedelta(days=1)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    clock = FakeClock(START)
    rt = build_runtime(settings, [MemoryClient("memory")], clock=clock)
    await rt.db.run(lambda s: import_org(s, ORG_YAML, START))
    yield rt
    await rt.db.dispose()


def clock(rt: Runtime) -> FakeClock:
    assert isinstance(rt.clock, FakeClock)
    return rt.clock


def ticker(rt: Runtime, batch: int = 200) -> TimerTick:
    return TimerTick(
        rt.db,
        rt.clock,
        {"remind": remind, "broken": broken},
        rt.dispatcher.policies,
        rt.metrics,
        action_ttl=timedelta(hours=1),
        next_due=every_day,
        on_messages=lambda: None,
        batch=batch,
    )


async def add_timers(rt: Runtime, count: int, **kwargs: object) -> list[int]:
    def work(session: Session) -> list[int]:
        bob = find_member(session, "bob")
        assert bob is not None
        return [
            schedule(
                session,
                kind=str(kwargs.get("kind", "remind")),
                due_at=START + timedelta(minutes=10, seconds=i % 50),
                now=START,
                owner_id=bob.id,
                payload={"text": f"note {i}"},
                late_policy=kwargs.get("late_policy", LatePolicy.FIRE),  # type: ignore[arg-type]
                recurrence=kwargs.get("recurrence"),  # type: ignore[arg-type]
            )
            for i in range(count)
        ]

    return await rt.db.run(work)


async def messages_per_timer(rt: Runtime) -> dict[str, int]:
    rows = await rt.db.run(
        lambda s: s.execute(
            select(OutboxRow.subject, func.count()).group_by(OutboxRow.subject)
        ).all()
    )
    return {str(subject): count for subject, count in rows}


async def test_due_timers_fire_once_with_their_message(runtime: Runtime) -> None:
    ids = await add_timers(runtime, 450)
    tick = ticker(runtime)
    assert await tick.run() == 0  # not due yet
    clock(runtime).advance(timedelta(minutes=11))
    fired = 0
    for _ in range(10):  # each run stops after its time budget
        fired += await tick.run()
    assert fired == 450
    assert await tick.run() == 0
    per_timer = await messages_per_timer(runtime)
    assert per_timer == {f"timer:{i}": 1 for i in ids}
    assert await runtime.db.run(count_pending) == 0


async def test_cancel_racing_the_tick_gives_one_outcome(runtime: Runtime) -> None:
    ids = await add_timers(runtime, 100)
    clock(runtime).advance(timedelta(minutes=11))
    tick = ticker(runtime, batch=10)

    async def cancel_all() -> list[bool]:
        return [await runtime.db.run(lambda s, i=i: cancel(s, i)) for i in ids]  # type: ignore[misc]

    _, cancelled = await asyncio.gather(tick.run(), cancel_all())
    while await tick.run():
        pass
    per_timer = await messages_per_timer(runtime)
    statuses = await runtime.db.run(
        lambda s: {i: status for i, status in s.execute(select(Timer.id, Timer.status))}
    )
    for timer_id, was_cancelled in zip(ids, cancelled, strict=True):
        fired = per_timer.get(f"timer:{timer_id}", 0)
        assert (was_cancelled, fired, statuses[timer_id]) in {
            (True, 0, TimerStatus.CANCELLED),
            (False, 1, TimerStatus.FIRED),
        }


async def test_late_timers_fire_late_or_expire_as_their_policy_says(runtime: Runtime) -> None:
    await add_timers(runtime, 1)
    await add_timers(runtime, 1, late_policy=LatePolicy.EXPIRE)
    clock(runtime).advance(timedelta(hours=3))  # the server was down
    await ticker(runtime).run()
    texts = await runtime.db.run(
        lambda s: sorted(p["text"] for p in s.scalars(select(OutboxRow.payload)))
    )
    assert texts[0].startswith("missed: note 0")
    assert texts[1].startswith("note 0 (") and texts[1].endswith("s late)")


async def test_a_failing_handler_does_not_stop_the_others(runtime: Runtime) -> None:
    broken_ids = await add_timers(runtime, 3, kind="broken")
    good = await add_timers(runtime, 3)
    clock(runtime).advance(timedelta(minutes=11))
    assert await ticker(runtime).run() == 6
    rows = await runtime.db.run(
        lambda s: {t.id: (t.status, t.attempts, t.last_error) for t in s.scalars(select(Timer))}
    )
    retrying = (TimerStatus.PENDING, 1, "RuntimeError('handler bug')")
    assert [rows[i] for i in broken_ids] == [retrying] * 3  # each tried again later
    assert {rows[i][0] for i in good} == {TimerStatus.FIRED}
    assert set(await messages_per_timer(runtime)) == {f"timer:{i}" for i in good}


async def test_recurring_timers_move_to_their_next_time(runtime: Runtime) -> None:
    (timer_id,) = await add_timers(runtime, 1, recurrence="FREQ=DAILY")
    tick = ticker(runtime)
    for _ in range(3):
        clock(runtime).advance(timedelta(days=1))
        assert await tick.run() == 1
    timer = await runtime.db.run(lambda s: s.get(Timer, timer_id))
    assert timer is not None
    assert (timer.status, timer.fire_count) == (TimerStatus.PENDING, 3)
    assert timer.due_at > clock(runtime).now()


async def test_reschedule_and_cancel_refuse_finished_timers(runtime: Runtime) -> None:
    (timer_id,) = await add_timers(runtime, 1)
    await runtime.db.run(lambda s: reschedule(s, timer_id, START + timedelta(minutes=30)))
    clock(runtime).advance(timedelta(minutes=11))
    assert await ticker(runtime).run() == 0
    clock(runtime).advance(timedelta(minutes=20))
    assert await ticker(runtime).run() == 1
    assert await runtime.db.run(lambda s: cancel(s, timer_id)) is False


async def test_a_periodic_job_runs_once_per_period_across_processes(db_url: str) -> None:
    clock = FakeClock(START)
    runs: list[str] = []
    job = PeriodicJob("digest", {"hour": 1}, daily, lambda _s, now: runs.append(daily(now)))
    databases = [open_database(db_url) for _ in range(3)]
    try:
        results = await asyncio.gather(
            *(JobRunner(db, clock).run(job) for db in databases for _ in range(3))
        )
        clock.advance(timedelta(days=1))
        again = await JobRunner(databases[0], clock).run(job)
    finally:
        for db in databases:
            await db.dispose()
    assert sum(results) == 1
    assert again
    assert runs == ["2026-11-30", "2026-12-01"]

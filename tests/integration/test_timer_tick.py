"""The tick's batches: a failing handler undoes only its own batch's first run, and every
timer is counted once in the metrics whichever run committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from bot.app import build_runtime
from bot.config import Settings
from bot.context import TimerContext
from bot.pipeline.tables import OutboxRow
from bot.replies import Reply
from domain.directory.importer import import_org
from domain.directory.services import find_member
from domain.timers.models import LatePolicy, Timer
from domain.timers.retries import Retries
from domain.timers.services import TimerView, schedule
from scheduler.tick import TimerTick
from tests.support import ORG_YAML, FakeClock

START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def say(ctx: TimerContext, timer: TimerView) -> None:
    assert timer.owner_id is not None
    owner = ctx.member(timer.owner_id)
    ctx.notify(owner.id, Reply(f"{owner.handle}: {timer.payload['n']}"), subject=f"t:{timer.id}")


def broken(ctx: TimerContext, timer: TimerView) -> None:
    say(ctx, timer)  # its message must not survive
    raise RuntimeError("handler bug")


def add(session: Session) -> None:
    handles = ["alice", "bob", "carol"]
    for n in range(9):
        member = find_member(session, handles[n % 3])
        assert member is not None
        schedule(
            session,
            kind="broken" if n in (2, 5) else "say",
            due_at=START + timedelta(seconds=n),
            now=START,
            owner_id=member.id,
            payload={"n": n},
            late_policy=LatePolicy.EXPIRE if n == 0 else LatePolicy.FIRE,
            grace=timedelta(seconds=30),
        )


async def test_a_failing_handler_is_isolated_and_every_timer_counted_once(
    settings: Settings,
) -> None:
    clock = FakeClock(START)
    runtime = build_runtime(settings, [MemoryClient("memory")], clock=clock)
    try:
        await runtime.db.run(lambda s: import_org(s, ORG_YAML, START))
        await runtime.db.run(add)
        clock.advance(timedelta(minutes=1))
        tick = TimerTick(
            runtime.db,
            clock,
            {"say": say, "broken": broken},
            runtime.dispatcher.policies,
            runtime.metrics,
            action_ttl=timedelta(hours=1),
            next_due=lambda _rule, after: after,
            on_messages=lambda: None,
            retries=Retries(max_attempts=1),  # a failure is final at once
        )
        assert await tick.run() == 9
        statuses = await runtime.db.run(
            lambda s: [t.status for t in s.scalars(select(Timer).order_by(Timer.id))]
        )
        texts = await runtime.db.run(
            lambda s: sorted(p["text"] for p in s.scalars(select(OutboxRow.payload)))
        )
    finally:
        await runtime.db.dispose()
    assert statuses == ["expired", "fired", "failed", "fired", "fired", "failed"] + ["fired"] * 3
    handles = ["alice", "bob", "carol"] * 3
    assert texts == sorted(f"{handles[n]}: {n}" for n in range(9) if n not in (2, 5))
    page = generate_latest(runtime.metrics.registry).decode()
    assert 'bizbot_timers_total{kind="say",result="fired"} 6.0' in page
    assert 'bizbot_timers_total{kind="say",result="expired"} 1.0' in page
    assert 'bizbot_timers_total{kind="broken",result="failed"} 2.0' in page
    assert 'bizbot_timer_failures_total{kind="broken",outcome="failed"} 2.0' in page
    assert 'bizbot_errors_total{where="timer"} 2.0' in page

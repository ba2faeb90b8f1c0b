"""A failing timer is retried with backoff, a recurring one keeps its next occurrence, and the
operator sees and re-arms what failed (``bizbot timers``); on SQLite and PostgreSQL.

The handlers fail for real: the reminder's own handler runs (its card is written) and then the
test's wrapper raises, so the rollback of its work is what keeps the card from going out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.memory.client import Posted
from bot.config import Settings
from bot.context import TimerContext, TimerHandler
from bot.pipeline.tables import OutboxRow
from bot.replies import Card
from commands.reminders import fire_reminder
from domain.shared.db import open_database
from domain.timers.models import LatePolicy, Timer, TimerStatus
from domain.timers.reminders import KIND
from domain.timers.retries import Retries
from domain.timers.services import TimerView, schedule
from scheduler.tick import TimerTick
from tests.processes import bot_env, describe, query, run_cli
from tests.timed import Timed, timed_chat

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # next Monday 09:00 in Shanghai
NEXT_MONDAY = MONDAY + timedelta(days=7)
WIDE = {"COLUMNS": "220"}  # table rows on one line each


@dataclass
class Flaky:
    """A timer handler that does its work and then raises, for its first ``failures`` calls."""

    handler: TimerHandler
    failures: int
    calls: int = 0

    def __call__(self, ctx: TimerContext, timer: TimerView) -> None:
        self.calls += 1
        self.handler(ctx, timer)  # the card is written, and must be undone
        if self.calls <= self.failures:
            raise ConnectionError(f"directory unreachable (call {self.calls})")


@pytest.fixture
async def timed(settings: Settings) -> AsyncIterator[Timed]:
    async with timed_chat(settings, START) as chat:
        yield chat


def flaky_reminders(timed: Timed, failures: int) -> Flaky:
    """Make the chat's tick run the reminder handler through a ``Flaky``."""
    flaky = Flaky(fire_reminder, failures)
    timed.tick = timed.tick_on(timed.runtime.db, {KIND: flaky})
    return flaky


def reminders_shown(timed: Timed, handle: str) -> list[Card]:
    posted: list[Posted] = timed.memory.conversation(handle)
    return [
        p.message
        for p in posted
        if isinstance(p.message, Card) and p.message.title.startswith("⏰")
    ]


async def reminder_timers(timed: Timed) -> list[Timer]:
    def read(session: Session) -> list[Timer]:
        rows = session.scalars(select(Timer).where(Timer.kind == KIND).order_by(Timer.id))
        return list(rows)

    return await timed.runtime.db.run(read)


def metrics(timed: Timed) -> str:
    return generate_latest(timed.runtime.metrics.registry).decode()


async def test_a_reminder_failing_twice_fires_on_the_third_attempt_once(timed: Timed) -> None:
    flaky = flaky_reminders(timed, failures=2)
    await timed.say("alice", "/remind me in 10 minutes call Bob")
    await timed.advance(timedelta(minutes=10))
    assert flaky.calls == 1
    (timer,) = await reminder_timers(timed)
    assert (timer.status, timer.attempts) == (TimerStatus.PENDING, 1)
    assert "directory unreachable (call 1)" in (timer.last_error or "")
    assert timer.next_attempt_at is not None
    wait = timer.next_attempt_at - timed.clock.now()
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=36)  # 30 s, ±20 % jitter

    await timed.advance(timedelta(seconds=20))  # the retry is not due yet: not claimed
    assert flaky.calls == 1
    await timed.advance(timedelta(seconds=20))
    assert flaky.calls == 2
    (timer,) = await reminder_timers(timed)
    assert timer.attempts == 2 and timer.next_attempt_at is not None
    assert timer.next_attempt_at - timed.clock.now() <= timedelta(seconds=72)  # 60 s, ±20 %
    await timed.advance(timedelta(seconds=75))
    await timed.advance(timedelta(hours=2))

    assert flaky.calls == 3
    assert [card.body for card in reminders_shown(timed, "alice")] == ["call Bob"]
    subjects = await timed.runtime.db.run(lambda s: list(s.scalars(select(OutboxRow.subject))))
    assert subjects.count(f"reminder:{timer.id}") == 1  # the failed attempts wrote nothing
    (timer,) = await reminder_timers(timed)
    assert (timer.status, timer.attempts, timer.next_attempt_at) == (TimerStatus.FIRED, 2, None)
    page = metrics(timed)
    assert 'bizbot_timer_failures_total{kind="reminder",outcome="retry"} 2.0' in page
    assert 'outcome="failed"' not in page
    assert 'bizbot_timers_total{kind="reminder",result="fired"} 1.0' in page


async def test_a_recurring_reminder_keeps_its_next_occurrence_when_one_fails_for_good(
    timed: Timed, db_url: str
) -> None:
    flaky = flaky_reminders(timed, failures=5)
    await timed.say("alice", "/remind me every Monday 9am standup")
    await timed.advance(MONDAY - START)
    for _ in range(4):  # every retry falls due within two hours (the backoff is at most 72 min)
        await timed.advance(timedelta(hours=2))
    assert flaky.calls == 5
    standing, failed = await reminder_timers(timed)
    assert (standing.status, standing.due_at) == (TimerStatus.PENDING, NEXT_MONDAY)
    assert (standing.attempts, standing.last_error, standing.recurrence is not None) == (
        0,
        None,
        True,
    )
    assert (failed.status, failed.due_at, failed.recurrence) == (TimerStatus.FAILED, MONDAY, None)
    assert failed.attempts == 5 and "(call 5)" in (failed.last_error or "")
    assert reminders_shown(timed, "alice") == []
    page = metrics(timed)
    assert 'bizbot_timer_failures_total{kind="reminder",outcome="retry"} 4.0' in page
    assert 'bizbot_timer_failures_total{kind="reminder",outcome="failed"} 1.0' in page
    assert 'bizbot_timers_total{kind="reminder",result="failed"} 1.0' in page

    await timed.advance(NEXT_MONDAY - timed.clock.now())
    assert flaky.calls == 6
    (on_time,) = reminders_shown(timed, "alice")
    assert (on_time.body, on_time.footer) == ("standup", "")

    env = bot_env(db_url) | WIDE
    listed = run_cli("timers", "list", "--failed", env=env)
    assert listed.returncode == 0, describe(listed)
    assert any(
        f"│ {failed.id} " in line
        and "reminder" in line
        and "@alice" in line
        and "2026-12-07 01:00:00" in line
        and "directory unreachable" in line
        for line in listed.stdout.splitlines()
    ), listed.stdout
    assert f"│ {standing.id} " not in listed.stdout
    retried = run_cli("timers", "retry", str(failed.id), env=env)
    assert retried.returncode == 0, describe(retried)
    assert "1 timer(s) re-armed" in retried.stdout

    await timed.advance(timedelta(seconds=1))
    assert flaky.calls == 7
    late = reminders_shown(timed, "alice")[-1]
    assert late.body == "standup"  # this Monday's, a week late, saying why
    assert late.footer.startswith("Delayed by 7 days: an earlier attempt to remind you failed")
    standing, failed = await reminder_timers(timed)
    assert (failed.status, failed.attempts) == (TimerStatus.FIRED, 0)
    assert (standing.status, standing.due_at) == (TimerStatus.PENDING, NEXT_MONDAY + timedelta(7))


async def test_a_due_retry_is_claimed_once_across_processes(timed: Timed, db_url: str) -> None:
    flaky = Flaky(fire_reminder, failures=1)
    databases = [open_database(db_url) for _ in range(3)]
    ticks = [timed.tick_on(db, {KIND: flaky}) for db in databases for _ in range(2)]
    try:
        await timed.say("bob", "/remind me in 10 minutes send the report")
        timed.clock.advance(timedelta(minutes=10))
        await asyncio.gather(*(tick.run() for tick in ticks))
        assert flaky.calls == 1  # claimed by one; the failure recorded before anyone else saw it
        timed.clock.advance(timedelta(minutes=5))
        await asyncio.gather(*(tick.run() for tick in ticks))
        await asyncio.gather(*(tick.run() for tick in ticks))
    finally:
        for db in databases:
            await db.dispose()
    await timed.runtime.settle()
    assert flaky.calls == 2
    assert [card.body for card in reminders_shown(timed, "bob")] == ["send the report"]


def broken(_ctx: TimerContext, _timer: TimerView) -> None:
    raise ConnectionError("platform down")


async def test_a_retry_never_comes_after_the_next_occurrence(sqlite_settings: Settings) -> None:
    async with timed_chat(sqlite_settings, START) as timed:
        every_ten_minutes = TimerTick(
            timed.runtime.db,
            timed.clock,
            {"broken": broken},
            timed.runtime.dispatcher.policies,
            timed.runtime.metrics,
            action_ttl=timedelta(hours=1),
            next_due=lambda _rule, after: after + timedelta(minutes=10),
            on_messages=lambda: None,
            retries=Retries(max_attempts=20, base=timedelta(minutes=6)),
        )
        due = START + timedelta(minutes=1)
        await timed.runtime.db.run(
            lambda s: schedule(s, kind="broken", due_at=due, now=START, recurrence="every 10 min")
        )
        timed.clock.advance(timedelta(minutes=1))
        assert await every_ten_minutes.run() == 1  # the retry (about 6 min) comes before 10 min
        timed.clock.advance(timedelta(minutes=7, seconds=30))
        assert await every_ten_minutes.run() == 1  # the next (about 12 min) would come after
        rows = await timed.runtime.db.run(
            lambda s: [(t.status, t.due_at, t.attempts) for t in s.scalars(select(Timer))]
        )
    moved_on = timed.clock.now() + timedelta(minutes=10)
    assert rows == [(TimerStatus.PENDING, moved_on, 0), (TimerStatus.FAILED, due, 2)]


async def test_timers_cli_refuses_what_it_cannot_do_and_changes_nothing(sqlite_url: str) -> None:
    def add(session: Session) -> list[int]:
        ids = [schedule(session, kind="reminder", due_at=START, now=START) for _ in range(3)]
        session.execute(update(Timer).where(Timer.id == ids[1]).values(status="failed"))
        session.execute(update(Timer).where(Timer.id == ids[2]).values(status="fired"))
        return ids

    pending, failed, fired = await query(sqlite_url, add)
    env = bot_env(sqlite_url) | WIDE
    listed = run_cli("timers", "list", env=env)
    assert listed.returncode == 0, describe(listed)
    assert f"│ {pending} " in listed.stdout and f"│ {failed} " not in listed.stdout
    assert "failed: 1  fired: 1  pending: 1" in listed.stdout

    refusals = {
        ("retry", str(pending), str(failed)): f"can be retried (#{pending} pending)",
        ("retry", "999", str(failed)): "There is no timer #999.",
        ("cancel", str(fired), str(pending)): f"or failed timers can be cancelled (#{fired} fired)",
    }
    for args, error in refusals.items():
        result = run_cli("timers", *args, env=env)
        assert result.returncode == 1, describe(result)
        assert error in result.stderr and "Traceback" not in result.stderr, describe(result)
    assert run_cli("timers", "retry", env=env).returncode == 2  # no ids: a usage error
    statuses = await query(
        sqlite_url, lambda s: list(s.scalars(select(Timer.status).order_by(Timer.id)))
    )
    assert statuses == ["pending", "failed", "fired"]  # nothing changed

    cancelled = run_cli("timers", "cancel", str(pending), str(failed), env=env)
    assert "2 timer(s) cancelled" in cancelled.stdout, describe(cancelled)
    statuses = await query(
        sqlite_url, lambda s: list(s.scalars(select(Timer.status).order_by(Timer.id)))
    )
    assert statuses == ["cancelled", "cancelled", "fired"]


async def test_a_retry_past_the_grace_fires_late_or_expires_as_its_policy_says(
    sqlite_settings: Settings,
) -> None:
    seen: list[tuple[str, bool]] = []

    def fails_once(ctx: TimerContext, timer: TimerView) -> None:
        seen.append((timer.payload["policy"], ctx.expired))
        if not timer.attempts:
            raise ConnectionError("platform down")

    def add(session: Session) -> None:
        for policy in (LatePolicy.FIRE, LatePolicy.EXPIRE):
            schedule(session, kind="once", due_at=START, now=START, payload={"policy": policy},
                     late_policy=policy, grace=timedelta(seconds=10))  # fmt: skip

    async with timed_chat(sqlite_settings, START) as timed:
        tick = timed.tick_on(timed.runtime.db, {"once": fails_once})
        await timed.runtime.db.run(add)
        assert await tick.run() == 2  # on time; both fail
        timed.clock.advance(timedelta(minutes=1))  # the retries come after the grace
        assert await tick.run() == 2
        statuses = await timed.runtime.db.run(
            lambda s: list(s.scalars(select(Timer.status).order_by(Timer.id)))
        )
    assert seen == [("fire", False), ("expire", False), ("fire", False), ("expire", True)]
    assert statuses == [TimerStatus.FIRED, TimerStatus.EXPIRED]

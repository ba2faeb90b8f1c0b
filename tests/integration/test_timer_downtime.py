"""Downtime: everything stops, time passes, Bizbot starts again (issue 4, "Must show").

Reminders (late policy ``fire``) that fell due meanwhile fire on restart and say how late they
are; meeting-style alarms (late policy ``expire``) past their grace expire with a notice instead,
and those still within their grace fire normally. The alarm here is a test timer kind: the
calendar's alarms use the same policy and the same tick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from bot.app import build_runtime, next_occurrence
from bot.config import Settings
from bot.context import Policies, TimerContext
from bot.replies import Reply
from commands import timer_handlers
from domain.directory.importer import import_org
from domain.directory.services import find_member
from domain.timers.models import LatePolicy, Timer
from domain.timers.reminders import ReminderRequest, set_reminder
from domain.timers.services import TimerView, schedule
from scheduler.tick import TimerTick
from tests.support import ORG_YAML, FakeClock

START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
DOWN_FOR = timedelta(hours=3)
ALARM = "test-alarm"


def alarm(ctx: TimerContext, timer: TimerView) -> None:
    """A meeting alarm: "starting soon", or, past its grace, a notice that it was missed."""
    assert timer.owner_id is not None
    title = timer.payload["title"]
    text = f"Missed while Bizbot was offline: {title}" if ctx.expired else f"Soon: {title}"
    ctx.notify(timer.owner_id, Reply(text), subject=f"alarm:{timer.id}")


def first_life(session: Session) -> None:
    """Set reminders and alarms; the process then stops before any falls due."""
    bob = find_member(session, "bob")
    alice = find_member(session, "alice")
    assert bob is not None and alice is not None
    for i in range(5):
        due = START + timedelta(minutes=10 + i)
        set_reminder(session, ReminderRequest(f"call {i}", due, bob.id, bob.id), START, {})
        set_reminder(session, ReminderRequest(f"ring {i}", due, alice.id, alice.id), START, {})
    for title, due in (
        ("Board meeting", START + timedelta(minutes=10)),
        ("Standup", START + DOWN_FOR - timedelta(minutes=2)),  # within its grace at restart
    ):
        schedule(
            session,
            kind=ALARM,
            due_at=due,
            now=START,
            owner_id=alice.id,
            payload={"title": title},
            late_policy=LatePolicy.EXPIRE,
            grace=timedelta(minutes=5),
        )


async def test_after_downtime_reminders_fire_late_and_missed_alarms_expire(
    settings: Settings,
) -> None:
    clock = FakeClock(START)
    before = build_runtime(settings, [MemoryClient("memory")], clock=clock)
    await before.db.run(lambda s: import_org(s, ORG_YAML, START))
    await before.db.run(first_life)
    await before.db.dispose()  # everything stops

    clock.advance(DOWN_FOR)
    memory = MemoryClient("memory")
    after = build_runtime(settings, [memory], clock=clock)
    after.dispatcher.policies = Policies(
        notify_channels=frozenset({"memory"}), built_in_channel="memory"
    )
    await after.start()
    try:
        tick = TimerTick(
            after.db,
            clock,
            {**timer_handlers(), ALARM: alarm},
            after.dispatcher.policies,
            after.metrics,
            action_ttl=timedelta(hours=1),
            next_due=next_occurrence,
            on_messages=after.relay.wake,
        )
        while await tick.run():
            pass
        await after.settle()
        statuses = await after.db.run(timer_statuses)
    finally:
        await after.stop()
        await after.db.dispose()

    bob_cards = memory.cards("bob")
    assert [c.body for c in bob_cards] == [f"call {i}" for i in range(5)]
    assert {c.footer for c in bob_cards} <= {
        "晚了 3小时：当时 Bizbot 没有在运行。",
        "晚了 2小时：当时 Bizbot 没有在运行。",
    }
    alice_cards = memory.cards("alice")
    assert [c.body for c in alice_cards] == [f"ring {i}" for i in range(5)]
    assert {c.footer for c in alice_cards} <= {
        "Delayed by 3 hours: Bizbot was not running at the time.",
        "Delayed by 2 hours: Bizbot was not running at the time.",
    }
    notices = [p.text for p in memory.conversation("alice") if isinstance(p.message, Reply)]
    assert sorted(notices) == ["Missed while Bizbot was offline: Board meeting", "Soon: Standup"]
    assert statuses == {
        "reminder": ["fired"] * 10,
        f"{ALARM}:Board meeting": ["expired"],
        f"{ALARM}:Standup": ["fired"],
    }


def timer_statuses(session: Session) -> dict[str, list[str]]:
    """Timer statuses by kind (alarms by title)."""
    found: dict[str, list[str]] = {}
    for timer in session.scalars(select(Timer).order_by(Timer.id)):
        key = f"{ALARM}:{timer.payload['title']}" if timer.kind == ALARM else timer.kind
        found.setdefault(key, []).append(timer.status)
    return found

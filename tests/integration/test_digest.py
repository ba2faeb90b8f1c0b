"""The daily digest: 09:00 in each member's zone, once a day, skipped when empty or too late."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.pipeline.tables import OutboxRow
from bot.replies import Card
from domain.digest.services import KIND, sync_digest_timers
from domain.directory.models import Member
from domain.directory.services import find_member
from domain.shared.db import Database, open_database
from domain.timers.models import Timer, TimerStatus
from tests.support import ORG_YAML
from tests.timed import Timed, timed_chat

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
BEFORE_DST = datetime(2027, 3, 26, 5, 0, tzinfo=UTC)  # Friday 06:00 in Berlin; DST on Sunday 28
HANS = "  - {handle: hans, name: Hans Berger, locale: en, timezone: Europe/Berlin}\n"


@pytest.fixture
async def timed(settings: Settings) -> AsyncIterator[Timed]:
    async with timed_chat(settings, START) as chat:
        await sync(chat)
        yield chat


async def sync(chat: Timed) -> int:
    return await chat.runtime.db.run(lambda s: sync_digest_timers(s, chat.clock.now()))


def digests(chat: Timed, handle: str) -> list[Card]:
    return chat.cards(handle, "☀️")


async def sent_at(chat: Timed, handle: str) -> list[datetime]:
    """When each digest of a member was written to the outbox."""

    def work(session: Session) -> list[datetime]:
        member = find_member(session, handle)
        assert member is not None
        query = select(OutboxRow.created_at).where(OutboxRow.subject == f"digest:{member.id}")
        return list(session.scalars(query.order_by(OutboxRow.id)))

    return await chat.runtime.db.run(work)


async def pending_digest_timers(db: Database) -> dict[str, int]:
    def work(session: Session) -> dict[str, int]:
        rows = session.execute(
            select(Member.handle, Timer.id)
            .join(Timer, Timer.owner_id == Member.id)
            .where(Timer.kind == KIND, Timer.status == TimerStatus.PENDING)
        )
        found: dict[str, int] = {}
        for handle, _timer in rows:
            found[handle] = found.get(handle, 0) + 1
        return found

    return await db.run(work)


async def test_the_digest_comes_at_nine_with_reminders_and_waiting_dings(timed: Timed) -> None:
    await timed.say("bob", "/提醒 我 明天下午3点 给银行打电话")
    await timed.say("alice", "/ding @carol check the backups max 0")
    await timed.advance(timedelta(hours=22, minutes=59))  # Tuesday 08:59
    assert (digests(timed, "bob"), digests(timed, "carol")) == ([], [])
    await timed.advance(timedelta(minutes=1))
    (bob,) = digests(timed, "bob")
    assert bob.title == "☀️ 今日摘要：12月1日周二"
    assert [(f.label, f.value) for f in bob.fields] == [
        ("⏰ 今天的提醒（1）", "15:00 · 给银行打电话")
    ]
    (carol,) = digests(timed, "carol")
    assert carol.fields[0].label == "🔔 Waiting for your Got it (1)"
    assert carol.fields[0].value.startswith("#1 · Alice Admin: check the backups")
    assert digests(timed, "alice") == []  # nothing to say: nothing sent

    await timed.advance(timedelta(days=1))  # Wednesday: bob's reminder is done, carol still waits
    assert (len(digests(timed, "bob")), len(digests(timed, "carol"))) == (1, 2)


async def test_the_digest_follows_the_members_zone_across_dst(settings: Settings) -> None:
    async with timed_chat(settings, BEFORE_DST, ORG_YAML + HANS) as chat:
        await sync(chat)
        await chat.say("hans", "/remind me every day at 12:00 lunch")
        for _ in range(4 * 24):  # Friday to Monday, an hour at a time
            await chat.advance(timedelta(hours=1))
        times = await sent_at(chat, "hans")
    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in times]
    assert [(t.day, t.hour, t.minute) for t in local] == [
        (26, 9, 0),
        (27, 9, 0),
        (28, 9, 0),
        (29, 9, 0),
    ]
    assert [t.hour for t in times] == [8, 8, 7, 7]  # UTC: the offset changed on Sunday


async def test_digest_setting_off_on_and_a_new_time(timed: Timed) -> None:
    shown = await timed.say("alice", "/digest")
    assert shown.text.startswith("Daily digest: every day at 09:00")
    moved = await timed.say("bob", "/摘要 8点半")
    assert moved.text.startswith("每日摘要：每天 08:30")
    assert "12月1日周二 08:30" in moved.text
    bad = await timed.say("bob", "/摘要 25:00")
    assert bad.text.startswith("请说 关、开、现在")
    assert (await timed.say("bob", "/摘要")).text.startswith("每日摘要：每天 08:30")
    await timed.say("carol", "/digest off")
    await timed.say("alice", "/ding @bob @carol quarterly numbers max 0")
    await timed.advance(timedelta(hours=22, minutes=30))  # Tuesday 08:30
    assert len(digests(timed, "bob")) == 1
    assert digests(timed, "carol") == []
    await timed.say("carol", "/digest on")
    await timed.advance(timedelta(hours=1))
    assert len(digests(timed, "carol")) == 1
    assert await pending_digest_timers(timed.runtime.db) == {"alice": 1, "bob": 1, "carol": 1}


async def test_preview_and_the_turn_off_button(timed: Timed) -> None:
    empty = await timed.say("alice", "/digest now")
    assert empty.text == "Nothing for your digest today."
    await timed.say("alice", "/remind me today 5pm send the invoices")
    preview = await timed.say("alice", "/digest now")
    assert "17:00 · send the invoices" in preview.text
    await timed.tap("alice", preview.message.buttons[0].token)  # type: ignore[union-attr]
    assert timed.memory.posted[preview.message_id].text.startswith("Daily digest: off")
    assert await pending_digest_timers(timed.runtime.db) == {"bob": 1, "carol": 1}


async def test_one_digest_a_day_across_processes_and_when_moved(timed: Timed, db_url: str) -> None:
    await timed.say("bob", "/remind me tomorrow 11am expenses")
    timed.clock.advance(timedelta(hours=23))  # Tuesday 09:00
    other = open_database(db_url)
    try:
        ticks = [timed.tick, timed.tick_on(other)]
        await asyncio.gather(*(tick.run() for tick in ticks * 2))
    finally:
        await other.dispose()
    await timed.runtime.settle()
    assert len(digests(timed, "bob")) == 1
    await timed.say("bob", "/digest 10:00")  # moved after today's went out
    await timed.advance(timedelta(hours=1, minutes=30))
    assert len(digests(timed, "bob")) == 1  # not a second one today
    await timed.say("bob", "/remind me tomorrow 11am expenses")
    await timed.advance(timedelta(days=1))
    assert len(digests(timed, "bob")) == 2  # Wednesday at 10:00


async def test_a_digest_too_late_after_downtime_is_skipped(timed: Timed) -> None:
    await timed.say("bob", "/remind me wednesday 6pm timesheet")
    timed.clock.advance(timedelta(hours=22))  # Tuesday 08:00, then the server is down until 12:01
    timed.clock.advance(timedelta(hours=4, minutes=1))
    await timed.advance(timedelta(seconds=1))
    assert digests(timed, "bob") == []
    timed.clock.advance(timedelta(hours=20))  # Wednesday 08:01, down until 10:00
    await timed.advance(timedelta(hours=2))
    assert len(digests(timed, "bob")) == 1  # an hour late is still this morning's digest


async def test_sync_keeps_one_timer_per_active_member(timed: Timed, db_url: str) -> None:
    await timed.runtime.db.run(
        lambda s: s.execute(update(Member).where(Member.handle == "carol").values(active=False))
    )
    others = [open_database(db_url) for _ in range(2)]
    try:
        changed = await asyncio.gather(
            *(db.run(lambda s: sync_digest_timers(s, timed.clock.now())) for db in others)
        )
    finally:
        for db in others:
            await db.dispose()
    assert sorted(changed) == [0, 1]  # one process cancelled carol's; the other found it done
    assert await pending_digest_timers(timed.runtime.db) == {"alice": 1, "bob": 1}
    await timed.runtime.db.run(
        lambda s: s.execute(update(Member).where(Member.handle == "bob").values(timezone="UTC"))
    )
    assert await sync(timed) == 1
    assert await sync(timed) == 0
    assert await pending_digest_timers(timed.runtime.db) == {"alice": 1, "bob": 1}

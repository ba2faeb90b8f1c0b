"""Reminders end to end: set in chat, fired by the tick, snoozed and cancelled with buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.memory.client import Posted
from bot.config import Settings
from bot.replies import Card
from domain.timers.models import Timer
from tests.support import Chat
from tests.timed import Timed, timed_chat

# Monday 2026-11-30 10:00 in Shanghai
START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
async def timed(settings: Settings) -> AsyncIterator[Timed]:
    states = {"approval": lambda _s, record_id, _member: APPROVALS.get(record_id)}
    async with timed_chat(settings, START, record_states=states) as chat:
        yield chat


APPROVALS: dict[str, str] = {}


def fired_reminders(chat: Chat, conversation: str) -> list[Posted]:
    return [
        p
        for p in chat.memory.conversation(conversation)
        if isinstance(p.message, Card) and p.message.title.startswith("⏰")
    ]


def card_of(chat: Chat, conversation: str) -> Card:
    message = chat.memory.last(conversation).message
    assert isinstance(message, Card)
    return message


async def test_remind_me_in_english_then_it_fires_and_snoozes(timed: Timed) -> None:
    confirmation = await timed.say("alice", "/remind me tomorrow 9am call Bob")
    assert "Reminder #" in confirmation.text
    assert "call Bob" in confirmation.text
    assert "Tue, Dec 1 09:00" in confirmation.text  # alice's zone is the org's, Asia/Shanghai
    await timed.advance(timedelta(hours=22, minutes=59))
    assert timed.memory.last("alice").text == confirmation.text  # not yet
    await timed.advance(timedelta(minutes=2))
    reminder = card_of(timed, "alice")
    assert reminder.title == "⏰ Reminder"
    assert reminder.body == "call Bob"
    assert [b.label for b in reminder.buttons] == ["10 min", "1 hour", "Tomorrow"]
    await timed.tap("alice", reminder.buttons[0].token)
    assert timed.memory.conversation("alice")[-1].text.startswith("Snoozed until Tue, Dec 1 09:1")
    await timed.advance(timedelta(minutes=11))
    assert card_of(timed, "alice").body == "call Bob"


async def test_chinese_reminder_without_spaces(timed: Timed) -> None:
    confirmation = await timed.say("bob", "/提醒 我 明天上午9点给张总回电话")
    assert "给张总回电话" in confirmation.text
    await timed.advance(timedelta(days=1))
    reminder = card_of(timed, "bob")
    assert reminder.title == "⏰ 提醒"
    assert reminder.body == "给张总回电话"


async def test_reminding_others_needs_permission_and_shows_who_set_it(timed: Timed) -> None:
    refused = await timed.say("bob", "/remind @carol in 1 hour check stock")
    assert "只能给自己设置提醒" in refused.text
    await timed.say("alice", "/remind @carol in 1 hour check stock")
    await timed.advance(timedelta(minutes=61))
    reminder = card_of(timed, "carol")
    assert ("Set by", "Alice Admin (@alice)") in [(f.label, f.value) for f in reminder.fields]


async def test_unparsable_time_gets_examples_and_nothing_is_set(timed: Timed) -> None:
    reply = await timed.say("alice", "/remind me someday call Bob")
    assert "For example" in reply.text or "for example" in reply.text
    count = await timed.runtime.db.run(lambda s: len(s.scalars(select(Timer)).all()))
    assert count == 0


async def test_list_and_cancel(timed: Timed) -> None:
    await timed.say("alice", "/remind me in 2 hours first")
    await timed.say("alice", "/remind me every Monday 9am standup")
    listed = await timed.say("alice", "/reminders")
    assert "first" in listed.text
    assert "standup" in listed.text
    assert "🔁" in listed.text
    first_id = int(listed.text.split("#")[1].split(" ")[0])
    cancelled = await timed.say("alice", f"/reminders cancel {first_id}")
    assert "cancelled" in cancelled.text
    again = await timed.say("alice", f"/reminders cancel {first_id}")
    assert "already" in again.text
    foreign = await timed.say("bob", f"/reminders cancel {first_id + 1}")
    assert "不是你的" in foreign.text


async def test_record_bound_reminder_cancels_itself_when_the_record_moves_on(timed: Timed) -> None:
    APPROVALS["42"] = "pending"
    await timed.say("alice", "/remind me tomorrow 9am about approval 42 if still pending")
    await timed.say("alice", "/remind me tomorrow 9am about approval 42")  # no condition
    APPROVALS["42"] = "approved"
    await timed.advance(timedelta(days=1))
    bodies = [
        p.message.body
        for p in timed.memory.conversation("alice")
        if isinstance(p.message, Card) and p.message.title == "⏰ Reminder"
    ]
    assert bodies == ["about approval 42"]
    refused = await timed.say("alice", "/remind me tomorrow about approval 42 if still pending")
    assert "approved" in refused.text


async def test_a_reminder_missed_while_offline_fires_late_saying_so(timed: Timed) -> None:
    await timed.say("alice", "/remind me in 10 minutes stand up")
    timed.clock.advance(timedelta(hours=3))  # nothing ran meanwhile
    await timed.advance(timedelta(seconds=1))
    reminder = card_of(timed, "alice")
    assert reminder.footer.startswith("Delayed by 3 hours")


async def test_recurring_reminder_across_days(timed: Timed) -> None:
    await timed.say("bob", "/提醒 我 每天早上8点半 打卡")
    for _ in range(3):
        await timed.advance(timedelta(days=1))
    fired = fired_reminders(timed, "bob")
    assert len(fired) == 3
    stop = fired[-1].message.buttons[-1]  # type: ignore[union-attr]
    await timed.tap("bob", stop.token)
    await timed.advance(timedelta(days=1))
    assert len(fired_reminders(timed, "bob")) == 2  # the stopped one now says it was cancelled

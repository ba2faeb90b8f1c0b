"""Meetings end to end: invitations and answers, the organiser's tally, clashes, alarms on
durable timers (given and missed), cancelling and moving. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs

from adapters.memory.translate import tap
from bot.config import Settings
from bot.replies import Card
from domain.calendar.models import CalendarEvent
from domain.timers.models import Timer, TimerStatus
from tests.integration.calendar_rig import (
    EMMA_CHAT,
    Timed,
    calendar_rig,
    fields,
    labels,
    title,
    tokens,
)

MEETING = "📅 Meeting #1: Budget review"
WAITING_FOR_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
CREATE = "/meeting Budget review tomorrow 3pm for 1h with @bob @carol @emma at Room 5"


@pytest.fixture
async def cal(settings: Settings) -> AsyncIterator[Timed]:
    async with calendar_rig(settings) as rig:
        yield rig


async def timers(cal: Timed) -> list[Timer]:
    return await cal.runtime.db.run(lambda s: list(s.scalars(select(Timer).order_by(Timer.id))))


async def test_invitations_answers_and_the_organisers_tally(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    mine = cal.card("alice", MEETING)
    assert fields(mine)["When"] == "Tue, Dec 1 15:00–16:00"
    assert fields(mine)["No answer (3)"] == "李博 Bob, Carol Chen, Emma Berlin"
    bob = cal.card("bob", "📅 会议邀请：Budget review")
    assert fields(bob)["时间"] == "12月1日周二 15:00–16:00"
    assert fields(bob)["地点"] == "Room 5"
    assert labels(bob) == ["接受", "待定", "拒绝"]
    emma = cal.card("emma", "📅 Invitation: Budget review")  # on her own channel, her zone
    assert fields(emma)["When"] == "Tue, Dec 1 08:00–09:00"
    carol = cal.card("carol", "📅 Invitation")

    await cal.press("bob", bob, "接受")
    await cal.press("carol", carol, "Decline")
    await cal.press("emma", emma, "Tentative")

    tally = fields(cal.card("alice", MEETING))
    assert tally["Accepted (1)"] == "李博 Bob"
    assert tally["Declined (1)"] == "Carol Chen"
    assert tally["Tentative (1)"] == "Emma Berlin"
    assert tally["No answer (0)"] == "—"
    assert len(mine.versions) == 4  # one card, edited in place three times
    assert fields(bob)["你的回复"] == "已接受"  # bob's card too, in place
    assert labels(bob) == ["待定", "拒绝"]
    assert len(cal.cards("alice", "📅")) == 1


async def test_a_double_tap_counts_once_and_an_answer_can_change(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    bob = cal.card("bob", "📅")
    accept = tokens(bob)["接受"]
    await cal.tap_as("bob", accept)
    again = await cal.tap_as("bob", accept)
    assert again.text == "你已经回复过了：已接受。"
    mine = cal.card("alice", MEETING)
    assert len(mine.versions) == 2
    await cal.press("bob", bob, "拒绝")  # changing one's mind works
    assert fields(cal.card("alice", MEETING))["Declined (1)"] == "李博 Bob"
    assert fields(cal.card("alice", MEETING))["Accepted (0)"] == "—"


async def test_someone_elses_button_is_refused_and_logged(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    accept = tokens(cal.card("bob", "📅"))["接受"]
    with capture_logs() as logs:
        refused = await cal.tap_as("carol", accept)
    assert refused.text == "This button is not for you."
    assert [e for e in logs if e["event"] == "refused.token_not_yours"]
    assert fields(cal.card("alice", MEETING))["No answer (3)"]


async def test_answers_at_the_same_moment_all_reach_the_tally(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    taps = []
    for who, label, channel, conversation in (
        ("bob", "接受", "memory", "bob"),
        ("carol", "Decline", "memory", "carol"),
        (EMMA_CHAT, "Tentative", "chat", EMMA_CHAT),
    ):
        card = cal.card("emma" if who == EMMA_CHAT else who, "📅").message
        assert isinstance(card, Card)
        [token] = [b.token for b in card.buttons if b.label == label]
        taps.append(tap(who, token, channel=channel, conversation=conversation))
    await asyncio.gather(*(cal.runtime.ingest(event) for event in taps))
    await cal.runtime.settle()
    tally = fields(cal.card("alice", MEETING))
    assert tuple(label for label in tally if "(" in label) == (
        "Accepted (1)",
        "Tentative (1)",
        "Declined (1)",
        "No answer (0)",
    )


async def test_clashes_with_busy_time_are_warned_and_the_meeting_is_still_made(cal: Timed) -> None:
    await cal.say("bob", "/meeting Sync tomorrow 3pm with @alice @emma")
    await cal.press("alice", cal.card("alice", "📅 Invitation: Sync"), "Accept")
    # emma has not answered: an open invitation leaves her free
    warning = await cal.say("carol", "/meeting Review tomorrow 3:30pm with @alice @bob @emma")
    assert warning.text.splitlines() == [
        "⚠ Some people are busy then:",
        "• Alice Admin (@alice): Tue, Dec 1 15:00–16:00",
        "• 李博 Bob (@bob): Tue, Dec 1 15:00–16:00",
        "The meeting stands; to find another time: /meeting move 2 WHEN",
    ]
    assert cal.card("carol", "📅 Meeting #2: Review")
    assert cal.card("alice", "📅 Invitation: Review")
    quiet = await cal.say("carol", "/meeting Later tomorrow 4:30pm with @alice")
    assert quiet.text.startswith("📅 Meeting #3: Later")  # back to back is no clash


async def test_a_meeting_in_chinese_reaches_each_reader_in_their_language(cal: Timed) -> None:
    line = "/会议 周会 明天下午3点 持续 一个半小时 和 @alice @carol 在 3号会议室 提醒=30分钟"
    mine = await cal.say("bob", line)
    assert mine.text.startswith("📅 会议 #1：周会")
    assert fields(mine)["时长"] == "1小时30分钟"
    assert fields(mine)["提醒"] == "提前30分钟"
    alice = cal.card("alice", "📅 Invitation: 周会")
    assert fields(alice)["When"] == "Tue, Dec 1 15:00–16:30"
    assert fields(alice)["Where"] == "3号会议室"
    assert fields(alice)["Organiser"] == "李博 Bob"
    await cal.advance(timedelta(days=1, hours=4, minutes=30))  # Tue 14:30
    assert cal.card("alice", "🔔 周会 starts in 30 min")
    assert cal.card("bob", "🔔 周会 将在30分钟后开始")


async def test_the_alarm_fires_once_fifteen_minutes_before_for_everyone_going(
    cal: Timed,
) -> None:
    await cal.say("alice", CREATE)
    await cal.press("carol", cal.card("carol", "📅"), "Decline")
    await cal.advance(timedelta(days=1, hours=4, minutes=44))  # Tue 14:44
    assert cal.cards("alice", "🔔") == []
    await cal.advance(timedelta(minutes=1))  # 14:45
    assert title(cal.card("alice", "🔔")) == "🔔 Budget review starts in 15 min"
    assert fields(cal.card("emma", "🔔"))["When"] == "Tue, Dec 1 08:00–09:00"
    assert fields(cal.card("bob", "🔔"))["地点"] == "Room 5"
    assert cal.cards("carol", "🔔") == []  # declined
    await cal.advance(timedelta(hours=2))
    assert [len(cal.cards(who, "🔔")) for who in ("alice", "bob", "emma")] == [1, 1, 1]
    [alarm] = await timers(cal)
    assert (alarm.kind, alarm.status, alarm.fire_count) == ("meeting_alarm", "fired", 1)


async def test_an_alarm_missed_while_offline_expires_with_a_notice(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    cal.clock.advance(timedelta(days=1, hours=5, minutes=5))  # Tue 15:05; nothing ran meanwhile
    await cal.run_tick()
    assert cal.cards("alice", "🔔") == []
    missed = cal.card("alice", "⚠ Missed while offline: Budget review")
    assert isinstance(missed.message, Card)
    assert missed.message.body == (
        "Bizbot was not running when the alarm was due (Tue, Dec 1 14:45); "
        "the meeting started at Tue, Dec 1 15:00."
    )
    assert cal.card("bob", "⚠ 离线期间错过：Budget review")
    assert cal.card("emma", "⚠ Missed while offline")
    [alarm] = await timers(cal)
    assert (alarm.status, alarm.fire_count) == (TimerStatus.EXPIRED, 0)


async def test_an_alarm_late_but_before_the_start_is_still_given(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    cal.clock.advance(timedelta(days=1, hours=4, minutes=55))  # Tue 14:55, ten minutes late
    await cal.run_tick()
    assert title(cal.card("alice", "🔔")) == "🔔 Budget review starts in 5 min"
    assert cal.cards("alice", "⚠") == []


async def test_cancel_updates_every_card_and_cancels_the_alarm(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    bob = cal.card("bob", "📅")
    accept = tokens(bob)["接受"]
    await cal.tap_as("bob", accept)
    with capture_logs() as logs:
        refused = await cal.say("carol", "/meeting cancel 1")
    assert refused.text == "Only the organiser can change meeting #1."
    assert [e for e in logs if e["event"] == "refused.not_organiser"]

    done = await cal.say("alice", "/meeting cancel 1")
    assert done.text == "Meeting #1 is cancelled; the attendees were told."
    assert title(bob) == "❌ 已取消：Budget review"
    assert labels(bob) == []
    assert cal.inbox("bob")[-1].text == (
        "❌ Alice Admin取消了会议 #1（Budget review，12月1日周二 15:00–16:00）。"
    )
    assert cal.card("alice", "❌ Cancelled: Budget review")  # the organiser's card, in place
    assert cal.cards("alice", "📅") == []
    again = await cal.tap_as("bob", accept)
    assert again.text == "会议 #1 已取消。"
    twice = await cal.say("alice", "/meeting cancel 1")
    assert twice.text == "Meeting #1 is already cancelled."
    [alarm] = await timers(cal)
    assert alarm.status == TimerStatus.CANCELLED
    await cal.advance(timedelta(days=2))
    assert cal.cards("bob", "🔔") == []


async def test_the_cancel_button_on_the_organisers_card(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    mine = cal.card("alice", MEETING)
    await cal.press("alice", mine, "Cancel meeting")
    assert title(mine) == "❌ Cancelled: Budget review"
    assert cal.card("carol", "❌ Cancelled: Budget review")


async def test_move_updates_the_cards_and_reschedules_the_same_timer(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    await cal.press("bob", cal.card("bob", "📅"), "接受")
    [before] = await timers(cal)
    refused = await cal.say("bob", "/会议 改期 1 明天下午5点")
    assert refused.text == "只有组织者才能修改会议 #1。"

    moved = await cal.say("alice", "/meeting move 1 tomorrow 5pm")
    assert moved.text == "Meeting #1 moved to Tue, Dec 1 17:00–18:00."
    bob = cal.card("bob", "📅")
    assert fields(bob)["时间"] == "12月1日周二 17:00–18:00"
    assert fields(bob)["你的回复"] == "尚未回复"  # the new time needs a new answer
    assert labels(bob) == ["接受", "待定", "拒绝"]
    assert "改到了" in cal.inbox("bob")[-1].text
    assert fields(cal.card("emma", "📅"))["When"] == "Tue, Dec 1 10:00–11:00"
    assert fields(cal.card("alice", MEETING))["No answer (3)"]
    [after] = await timers(cal)
    assert after.id == before.id
    assert after.due_at == before.due_at + timedelta(hours=2)

    await cal.advance(timedelta(days=1, hours=4, minutes=45))  # Tue 14:45: the old alarm time
    assert cal.cards("bob", "🔔") == []
    await cal.advance(timedelta(hours=2))  # 16:45
    assert cal.card("bob", "🔔")


async def test_moving_after_the_alarm_went_off_sets_a_new_one(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    await cal.advance(timedelta(days=1, hours=4, minutes=50))  # alarm given at 14:50
    await cal.say("alice", "/meeting move 1 5pm")  # today, Tuesday
    first, second = await timers(cal)
    assert (first.status, second.status) == (TimerStatus.FIRED, TimerStatus.PENDING)
    await cal.advance(timedelta(hours=2))  # 16:50
    assert len(cal.cards("alice", "🔔")) == 2


async def test_a_repeating_meeting_has_an_alarm_before_each_occurrence(cal: Timed) -> None:
    reply = await cal.say("alice", "/meeting Standup every weekday 9:30 for 15m with @bob")
    assert fields(reply)["Repeats"] == "every weekday at 09:30"
    await cal.advance(timedelta(hours=23, minutes=15))  # Tue 09:15
    for _day in range(2):  # Wed, Thu 09:15
        await cal.advance(timedelta(days=1))
    assert len(cal.cards("bob", "🔔 Standup")) == 3
    found = await timers(cal)
    assert [t.status for t in found] == ["fired", "fired", "fired", "pending"]


async def test_bad_meetings_are_refused_with_a_reason_and_change_nothing(cal: Timed) -> None:
    answers = [
        (await cal.say("alice", line)).text
        for line in (
            "/meeting Review with @bob",
            "/meeting Review tomorrow with @bob",
            "/meeting Review tomorrow 3pm with @zed",
            "/meeting Review tomorrow 3pm for 30h with @bob",
            "/meeting Review tomorrow 3pm with @bob over there",
            "/meeting Review tomorrow 3pm with @bob alarm=soon",
            "/meeting Review today 9am with @bob",
            "/meeting move 1",
            "/meeting cancel",
        )
    ]
    assert answers == [
        "I can't find when the meeting is. Write the title, then when, for example: "
        '/meeting "Budget review" tomorrow 3pm for 1h with @bob at Room 5',
        "Say at what time the meeting starts, for example: tomorrow 3pm",
        "I don't know zed. Name a colleague as @handle.",
        "A meeting lasts from 1 minute to 24 hours.",
        'I don\'t understand "over there". After the time come only "for DURATION", the '
        '@attendees and "at PLACE".',
        'I can\'t read the alarm "soon". For example: alarm=30m, alarm=1h, alarm=off',
        '"today 9am" (2026-11-30 09:00) has already passed. Give a time ahead, for example: '
        "tomorrow 9am, friday 3pm, in 2 hours, Dec 1 9:30, every Monday 9am",
        *[
            "Which meeting, and (to move it) when? For example: /meeting cancel 12, "
            "/meeting move 12 tomorrow 4pm, /meeting accept 12"
        ]
        * 2,
    ]
    assert await timers(cal) == []
    assert cal.inbox("bob") == []


async def test_a_card_pruned_from_the_outbox_is_sent_anew(cal: Timed) -> None:
    await cal.say("alice", CREATE)
    gone = 10**9  # as if the retention job had deleted the organiser's card
    await cal.runtime.db.run(
        lambda s: s.execute(update(CalendarEvent).values(organiser_card_id=gone))
    )
    await cal.press("bob", cal.card("bob", "📅"), "接受")
    old, new = cal.cards("alice", MEETING)
    assert fields(old)["No answer (3)"]
    assert fields(new)["Accepted (1)"] == "李博 Bob"
    await cal.press("carol", cal.card("carol", "📅"), "Decline")
    assert len(cal.cards("alice", MEETING)) == 2  # the new card is the one edited from now on
    assert fields(new)["Declined (1)"] == "Carol Chen"


async def test_an_answer_waits_for_a_concurrent_change_to_the_meeting(cal: Timed) -> None:
    """PostgreSQL: an answer locks the meeting first, so a change committed meanwhile (here
    Carol's answer, made by another connection holding the lock) is in the tally it builds."""
    if cal.runtime.db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time; there is nothing to interleave")
    await cal.say("alice", CREATE)
    bob_accepts = tokens(cal.card("bob", "📅"))["接受"]
    url = make_url(cal.runtime.settings.database_url.get_secret_value())
    other = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        meanwhile = other.transaction()
        await meanwhile.start()
        await other.execute("SELECT id FROM calendar_events WHERE id = 1 FOR UPDATE")
        await other.execute(
            "UPDATE calendar_attendees SET response = 'declined' WHERE event_id = 1 AND "
            "member_id = (SELECT id FROM members WHERE handle = 'carol')"
        )
        await cal.runtime.ingest(tap("bob", bob_accepts))
        for _ in range(500):  # until bob's answer waits for the lock (bounded: 500 x 20 ms)
            if await other.fetchval(WAITING_FOR_A_LOCK):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the answer did not wait for the meeting's lock")
        await meanwhile.commit()
    finally:
        await other.close()
    await cal.runtime.settle()
    tally = fields(cal.card("alice", MEETING))
    assert (tally["Accepted (1)"], tally["Declined (1)"]) == ("李博 Bob", "Carol Chen")

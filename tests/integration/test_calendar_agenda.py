"""Agendas (own, manager, shared, stranger) and the .ics feed at its secret address.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dateutil.rrule import rrulestr

from adapters.webchat.client import Hub
from bot.app import build_web
from bot.config import Settings
from bot.replies import Card
from tests.ical import components, properties, unfold
from tests.integration.calendar_rig import (
    PUBLIC_URL,
    Timed,
    calendar_rig,
)


@pytest.fixture
async def cal(settings: Settings) -> AsyncIterator[Timed]:
    async with calendar_rig(settings) as rig:
        yield rig


async def two_meetings(cal: Timed) -> None:
    """Bob's 1:1 with Carol at 15:00 (accepted), Alice's review at 11:00 (Bob not answered)."""
    await cal.say("bob", "/meeting 1:1 tomorrow 3pm with @carol at Bob's desk")
    await cal.press("carol", cal.card("carol", "📅 Invitation: 1:1"), "Accept")
    await cal.say("alice", "/meeting Budget review tomorrow 11am with @bob")


def body(cal: Timed, who: str) -> str:
    message = cal.inbox(who)[-1].message
    assert isinstance(message, Card)
    return message.body


async def test_my_agenda_in_my_language_and_zone(cal: Timed) -> None:
    await two_meetings(cal)
    mine = await cal.say("bob", "/日程 明天")
    assert mine.text.startswith("你的日程：明天 · 12月1日周二")
    assert body(cal, "bob").splitlines() == [
        "11:00–12:00 · #2 Budget review · 尚未回复",
        "15:00–16:00 · #1 1:1 · Bob's desk · 组织者",
    ]
    carol = await cal.say("carol", "/agenda tomorrow")
    assert carol.text.startswith("Your agenda: tomorrow · Tue, Dec 1")
    assert body(cal, "carol") == "15:00–16:00 · #1 1:1 · Bob's desk · accepted"
    today = await cal.say("carol", "/agenda")
    assert "Nothing planned." in today.text


async def test_a_week_with_a_repeating_meeting_is_grouped_by_day(cal: Timed) -> None:
    await cal.say("alice", "/meeting Standup every weekday 9:30 for 15m with @bob")
    await two_meetings(cal)
    await cal.say("alice", "/agenda week")
    assert body(cal, "alice").splitlines() == [
        "Tue, Dec 1",
        "  09:30–09:45 · #1 Standup 🔁 · organiser",
        "  11:00–12:00 · #3 Budget review · organiser",
        "Wed, Dec 2",
        "  09:30–09:45 · #1 Standup 🔁 · organiser",
        "Thu, Dec 3",
        "  09:30–09:45 · #1 Standup 🔁 · organiser",
        "Fri, Dec 4",
        "  09:30–09:45 · #1 Standup 🔁 · organiser",
    ]


async def test_who_sees_a_colleagues_agenda_in_full(cal: Timed) -> None:
    await two_meetings(cal)
    full = "15:00–16:00 · #1 1:1 · Bob's desk · organiser"
    await cal.say("carol", "/agenda tomorrow @bob")  # his manager
    assert full in body(cal, "carol")
    await cal.say("alice", "/agenda @bob tomorrow")  # his manager's manager
    assert full in body(cal, "alice")
    await cal.say("hana", "/agenda tomorrow @bob")  # HR reads every calendar
    assert full in body(cal, "hana")

    await cal.say_as("emma", "/agenda tomorrow @bob")
    assert body(cal, "emma") == "busy 08:00–09:00"  # only his own 1:1; Berlin time, no titles
    assert "has not shared their calendar" in cal.inbox("emma")[-1].text

    await cal.say("bob", "/共享 日历 @emma")
    assert cal.inbox("emma")[-1].text == "李博 Bob shared their calendar with you: /agenda @bob"
    await cal.say_as("emma", "/agenda tomorrow @bob")
    assert body(cal, "emma").splitlines() == [
        "04:00–05:00 · #2 Budget review · not answered yet",
        "08:00–09:00 · #1 1:1 · Bob's desk · organiser",
    ]
    listed = await cal.say("bob", "/共享 日历")
    assert listed.text == "你的日历共享给了：@emma"
    await cal.say("bob", "/unshare calendar @emma")
    await cal.say_as("emma", "/agenda tomorrow @bob")
    assert body(cal, "emma") == "busy 08:00–09:00"

    await cal.say("bob", "/agenda tomorrow @alice")  # not her manager
    assert body(cal, "bob") == "忙 11:00–12:00"


async def test_the_ics_feed_at_its_secret_address(cal: Timed) -> None:
    await cal.say("alice", "/meeting Budget review tomorrow 3pm with @bob @carol at Room 5, 2F")
    await cal.press("bob", cal.card("bob", "📅"), "接受")
    await cal.press("carol", cal.card("carol", "📅"), "Decline")
    await cal.say("alice", "/meeting Standup every weekday 9:30 for 15m with @bob")
    await cal.say("alice", "/meeting Dropped tomorrow 5pm with @bob")
    await cal.say("alice", "/meeting cancel 3")
    shown = await cal.say("alice", "/ics")
    url = body(cal, "alice")
    assert url.startswith(f"{PUBLIC_URL}/calendar/") and url.endswith(".ics")
    assert "keep it to yourself" in shown.text
    path = url.removeprefix(PUBLIC_URL)

    async with TestClient(TestServer(build_web(cal.runtime, Hub()))) as http:
        response = await http.get(path)
        assert response.status == 200
        assert response.content_type == "text/calendar"
        calendar = components(unfold(await response.text()))
        assert (await http.get("/calendar/" + "x" * 32 + ".ics")).status == 404
        assert (await http.get("/calendar/short.ics")).status == 404

        again = await cal.say("alice", "/ics")
        assert "can't show it again" in again.text
        await cal.say("alice", "/ics new")
        assert (await http.get(path)).status == 404  # the old address stops working
        assert (await http.get(body(cal, "alice").removeprefix(PUBLIC_URL))).status == 200

    assert calendar["VERSION"] == ["2.0"]
    standup, review, dropped = calendar["VEVENT"]  # by start
    assert review["UID"] == ["meeting-1@chat.example.com"]
    assert review["DTSTART"] == ["20261201T070000Z"]
    assert review["DTEND"] == ["20261201T080000Z"]
    assert review["SUMMARY"] == ["Budget review"]
    assert review["LOCATION"] == ["Room 5\\, 2F"]
    assert review["STATUS"] == ["CONFIRMED"]
    assert review['ORGANIZER;CN="Alice Admin"'] == ["mailto:alice@example.com"]
    assert properties(review, "ATTENDEE") == [
        'CN="Carol Chen";ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED:urn:x-bizbot:member:carol',
        'CN="李博 Bob";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:urn:x-bizbot:member:bob',
    ]
    assert review["VALARM"] == [
        {"ACTION": ["DISPLAY"], "DESCRIPTION": ["Budget review"], "TRIGGER": ["-PT15M"]}
    ]
    rule = "DTSTART;TZID=Asia/Shanghai:20261201T093000\nRRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"
    assert standup["DTSTART;TZID=Asia/Shanghai"] == ["20261201T093000"]
    assert standup["RRULE"] == ["FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"]
    assert standup["DTEND;TZID=Asia/Shanghai"] == ["20261201T094500"]
    assert len(list(rrulestr(rule))[:5]) == 5  # dateutil reads the rule as written
    assert dropped["STATUS"] == ["CANCELLED"]
    [shanghai] = calendar["VTIMEZONE"]
    assert shanghai["TZID"] == ["Asia/Shanghai"]
    assert shanghai["STANDARD"][0]["TZOFFSETTO"] == ["+0800"]


async def test_a_feed_holds_only_what_its_member_attends(cal: Timed) -> None:
    await cal.say("alice", "/meeting Budget review tomorrow 3pm with @bob @carol")
    await cal.press("carol", cal.card("carol", "📅"), "Decline")
    feeds = {}
    async with TestClient(TestServer(build_web(cal.runtime, Hub()))) as http:
        for who in ("bob", "carol"):
            await cal.say(who, "/ics")
            response = await http.get(body(cal, who).removeprefix(PUBLIC_URL))
            feeds[who] = components(unfold(await response.text()))
    assert [e["UID"] for e in feeds["bob"]["VEVENT"]] == [["meeting-1@chat.example.com"]]
    assert "VEVENT" not in feeds["carol"]  # declined


async def test_the_daily_digest_lists_todays_meetings(cal: Timed) -> None:
    await two_meetings(cal)
    cal.clock.advance(timedelta(hours=20))  # Tuesday 06:00 in Shanghai
    digest = await cal.say("bob", "/digest now")
    message = digest.message
    assert isinstance(message, Card)
    section = next(f for f in message.fields if f.label.startswith("📅"))
    assert section.label == "📅 今天的会议（2 个）"
    assert section.value.splitlines() == [
        "11:00–12:00 Budget review",
        "15:00–16:00 1:1 @ Bob's desk",
    ]

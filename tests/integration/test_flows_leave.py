"""Leave approved → the calendar shows it (issue 16 point 5), on SQLite (the calendar is read with
the same ORM queries on either database): an approved leave becomes one all-day block on the
member's calendar, titled in their language, so a colleague's busy-only view and the member's
.ics feed show it; a /meeting that clashes with it says "on leave", not the block's hours; a
withdrawn leave takes the block off. Once per leave: test_flows_every_consumer.py offers the
event ten times."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.calendar.busy import Slot, busy_blocks
from domain.calendar.feed import feed_events
from domain.calendar.ics import render_calendar
from tests.integration.approvals_rig import Office, button, member_id, running_office

LEAVE = Slot(datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 12, 3, 16, tzinfo=UTC))
WEEK = Slot(datetime(2026, 11, 29, 16, tzinfo=UTC), datetime(2026, 12, 6, 16, tzinfo=UTC))


@pytest.fixture
async def office(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings) as opened:
        yield opened


async def test_an_approved_leave_blocks_the_calendar_until_withdrawn(office: Office) -> None:
    bob = await member_id(office, "bob")  # a Chinese reader
    n = await office.submit("bob", "/请假 type=personal dates=2026-12-01..2026-12-03 reason=move")
    await office.say("carol", f"/approve {n}")

    assert await office.run(lambda s: busy_blocks(s, bob, WEEK)) == [LEAVE]

    def feed(s: Session) -> str:
        events = feed_events(s, bob, office.clock.now())
        return render_calendar(events, name="bob", host="bizbot.test", now=office.clock.now())

    ics = await office.run(feed)
    assert ics.count("BEGIN:VEVENT") == 1 and "SUMMARY:🌴 休假中" in ics
    assert "DTSTART:20261130T160000Z" in ics and "DTEND:20261203T160000Z" in ics

    clash = await office.say("dan", "/meeting Sync 2026-12-02 10am for 30m with @bob")
    assert clash.text.splitlines()[1] == "• 李博 Bob (@bob): on leave Dec 1, 2026 – Dec 3, 2026"

    question = await office.say("bob", f"/withdraw {n}")
    assert isinstance(question.message, Card), question.text
    await office.tap("bob", button(question.message, "撤回").token)
    assert await office.run(lambda s: busy_blocks(s, bob, WEEK)) == []
    assert "STATUS:CANCELLED" in await office.run(feed)

"""SLAs on the durable timers, counted in working hours: reminders, one escalation across a
weekend, automatic decisions, and reminders bound to a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config import Settings
from domain.approvals.state import Status
from tests.integration.approvals_rig import Office, member_id, running_office


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        yield opened


def cards_about(office: Office, handle: str, n: int) -> int:
    return sum(f"#{n}" in card.title for card in office.memory.cards(handle))


async def test_an_escalation_fires_once_after_working_hours_skipping_the_weekend(
    office: Office,
) -> None:
    await office.advance(timedelta(days=4, hours=6))  # Friday 4 December, 16:00 in Shanghai
    n = await office.submit(
        "dan", "/apply quick subject=prices"
    )  # remind after 1, escalate after 4
    await office.advance(timedelta(minutes=59))
    assert cards_about(office, "carol", n) == 1
    await office.advance(timedelta(minutes=2))  # 17:01: one working hour has passed
    assert cards_about(office, "carol", n) == 2
    assert "⏰" in office.card("carol", n).body
    assert await office.events(n, "reminded") == 1
    for _day in range(2):  # Saturday and Sunday count nothing
        await office.advance(timedelta(days=1))
    assert await office.events(n, "escalated") == 0
    await office.advance(timedelta(hours=17, minutes=58))  # Monday 10:59: 3h59 working hours
    assert await office.events(n, "escalated") == 0
    await office.advance(timedelta(minutes=2))  # Monday 11:01: Fri 16-18 and Mon 9-11 = 4 hours
    assert await office.events(n, "escalated") == 1
    state = await office.request(n)
    wang, carol = await member_id(office, "wang"), await member_id(office, "carol")
    assert [(t.approver, t.on_behalf_of, t.status) for t in state.tasks] == [
        (carol, None, "transferred"),
        (wang, carol, "pending"),
    ]
    assert "Waiting for you" in office.card("wang", n).body
    assert office.card("carol", n).buttons == ()
    await office.advance(timedelta(days=3))
    assert await office.events(n, "escalated") == 1  # once
    await office.say("wang", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    timeline = (await office.say("dan", f"/approval {n}")).text
    assert "Escalated to Wang Wei CEO: no decision in time" in timeline
    assert "Wang Wei CEO (for Carol Chen, escalated) approved" in timeline


async def test_a_step_decides_itself_when_its_sla_says_so(office: Office) -> None:
    n = await office.submit("dan", "/apply routine subject=stock")  # auto-approve after 2 hours
    await office.advance(timedelta(hours=1, minutes=59))
    assert (await office.request(n)).status == Status.PENDING
    await office.advance(timedelta(minutes=2))
    assert (await office.request(n)).status == Status.APPROVED
    assert "Decided automatically" in (await office.say("dan", f"/approval {n}")).text
    assert "approved" in office.texts("dan")[-2]  # dan was told


async def test_timers_stop_when_the_request_is_decided(office: Office) -> None:
    n = await office.submit("dan", "/apply quick subject=prices")
    await office.say("carol", f"/approve {n}")
    await office.advance(timedelta(days=7))
    assert await office.events(n, "reminded") == 0
    assert await office.events(n, "escalated") == 0


async def test_a_reminder_bound_to_a_request_stays_quiet_once_it_is_decided(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    set_ = await office.say("dan", f"/remind me tomorrow 9am check approval {n} if still pending")
    assert "Reminder #" in set_.text
    m = await office.submit("dan", "/expense amount=200 category=meals reason=y")
    await office.say("dan", f"/remind me tomorrow 9am check approval {m} if still pending")
    await office.say("carol", f"/approve {n}")
    await office.advance(timedelta(days=1))
    fired = [text for text in office.texts("dan") if text.startswith("⏰ Reminder")]
    assert len(fired) == 1 and f"approval {m}" in fired[0]

"""Leave: working days without weekends and holidays, balances exact through submit, approve,
withdraw and reject, absence for calendars, and delegation taken from an approved leave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from adapters.memory.translate import say
from bot.config import Settings
from bot.replies import Card
from domain.approvals.absence import absences_between
from domain.approvals.leave import Balance, allocate, balance, import_allocations
from domain.approvals.models import ApprovalRequest, LeaveEntry
from domain.approvals.state import Status
from domain.shared.domain_events import events_named
from domain.shared.yamlfile import DefinitionInvalid
from domain.worktime.services import import_work_calendar
from tests.integration.approvals_rig import Office, button, member_id, running_office

HOLIDAY = "holidays:\n  - {date: 2026-12-08, name: Company day}\n"


async def withdraw_approved(office: Office, handle: str, n: int) -> None:
    """``/withdraw N`` of an approved request, confirmed with its button."""
    question = await office.say(handle, f"/withdraw {n}")
    assert isinstance(question.message, Card), question.text
    await office.tap(handle, button(question.message, "Withdraw").token)


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        dan = await member_id(opened, "dan")
        now = opened.clock.now()
        await opened.run(lambda s: allocate(s, dan, "annual", 2026, Decimal(10), now))
        await opened.run(lambda s: import_work_calendar(s, HOLIDAY))
        yield opened


async def annual(office: Office, handle: str = "dan") -> Balance:
    member = await member_id(office, handle)
    return await office.run(lambda s: balance(s, member, "annual", 2026))


def days(b: Balance) -> tuple[str, str, str, str]:
    return tuple(format(v.normalize(), "f") for v in (b.allocated, b.held, b.used, b.available))  # type: ignore[return-value]


async def test_balance_is_exact_through_submit_approve_withdraw_and_reject(office: Office) -> None:
    # Mon 7 to Wed 9 December, Tuesday 8 is a holiday: 2 working days
    n = await office.submit("dan", "/leave type=annual from=2026-12-07 to=2026-12-09 reason=family")
    assert (await office.request(n)).fields["days"] == "2"
    assert days(await annual(office)) == ("10", "2", "0", "8")
    await office.tap("carol", button(office.card("carol", n), "Approve").token)
    assert (await office.request(n)).status == Status.APPROVED
    assert days(await annual(office)) == ("10", "0", "2", "8")
    await withdraw_approved(office, "dan", n)
    assert (await office.request(n)).status == Status.WITHDRAWN
    assert days(await annual(office)) == ("10", "0", "0", "10")

    m = await office.submit("dan", "/leave type=annual dates=2026-12-14..2026-12-18 reason=trip")
    assert days(await annual(office)) == ("10", "5", "0", "5")
    await office.say("carol", f"/reject {m} busy week")
    assert days(await annual(office)) == ("10", "0", "0", "10")

    kinds = await office.run(
        lambda s: list(
            s.scalars(
                select(LeaveEntry.kind).where(LeaveEntry.request_id == n).order_by(LeaveEntry.id)
            )
        )
    )
    assert kinds == ["hold", "release", "deduction", "restore"]  # each once
    assert "annual: 10 days left" in (await office.say("dan", "/leave balance")).text


async def test_more_than_the_balance_is_refused_and_nothing_is_created(office: Office) -> None:
    before = await office.run(lambda s: s.scalar(select(func.count()).select_from(ApprovalRequest)))
    answer = await office.say("dan", "/leave type=annual dates=2026-12-01..2026-12-31 reason=long")
    assert "Not enough annual leave" in answer.text
    after = await office.run(lambda s: s.scalar(select(func.count()).select_from(ApprovalRequest)))
    assert after == before
    assert days(await annual(office)) == ("10", "0", "0", "10")


async def test_concurrent_requests_cannot_overdraw(office: Office) -> None:
    ranges = ["2026-12-14..2026-12-18", "2026-12-21..2026-12-25", "2026-12-28..2026-12-31"]
    events = [
        say("dan", f"/leave type=annual dates={r} reason=x", conversation=f"dan-{i}")
        for i, r in enumerate(ranges)
    ]
    await asyncio.gather(*(office.runtime.ingest(e) for e in events))
    await office.runtime.settle()
    b = await annual(office)
    assert b.held == Decimal(10)  # two of 5 days fit, the third was refused
    refused = [office.memory.last(f"dan-{i}").text for i in range(3)]
    assert sum("Not enough annual leave" in text for text in refused) == 1


async def test_untracked_types_have_no_limit_and_approval_records_absence(office: Office) -> None:
    n = await office.submit("dan", "/leave type=sick dates=2026-12-01..2026-12-02 reason=flu")
    await office.say("carol", f"/approve {n}")
    dan = await member_id(office, "dan")
    found = await office.run(
        lambda s: absences_between(s, [dan], date(2026, 12, 1), date(2026, 12, 31))
    )
    assert [(a.first, a.last, a.leave_type) for a in found] == [
        (date(2026, 12, 1), date(2026, 12, 2), "sick")
    ]
    events = await office.run(lambda s: events_named(s, "LeaveApproved"))
    assert [e.source_id for e in events] == [str(n)]
    await withdraw_approved(office, "dan", n)
    assert (
        await office.run(
            lambda s: absences_between(s, [dan], date(2026, 12, 1), date(2026, 12, 31))
        )
        == []
    )
    assert [e.source_id for e in await office.run(lambda s: events_named(s, "LeaveCancelled"))] == [
        str(n)
    ]


async def test_an_approved_leave_with_a_deputy_delegates_the_approvals(office: Office) -> None:
    n = await office.submit(
        "carol", "/leave type=personal dates=2026-12-01..2026-12-03 reason=move deputy=@fiona"
    )
    await office.say("wang", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    away = "🌴 On leave: Dec 1, 2026 – Dec 3, 2026"
    assert away in (await office.say("carol", "/agenda week")).text  # on her calendar
    assert away in (await office.say("dan", "/agenda week @carol")).text  # busy-only view too
    assert away not in (await office.say("dan", "/agenda today @carol")).text  # Monday
    warning = await office.say("dan", "/meeting Sync 2026-12-02 10am for 30m with @carol")
    assert warning.text.splitlines() == [
        "⚠ Some people are busy then:",
        "• Carol Chen (@carol): on leave Dec 1, 2026 – Dec 3, 2026",
        "The meeting stands; to find another time: /meeting move 2 WHEN",  # #1: her leave
    ]
    monday = await office.say("dan", "/meeting Prep today 4pm for 30m with @carol")
    assert "on leave" not in monday.text  # the day before her leave: no warning

    before = await office.submit("dan", "/expense amount=300 category=meals reason=before")
    assert "Waiting for you" in office.card("carol", before).body  # Monday: carol is still in

    await office.advance(timedelta(days=1))  # Tuesday 1 December, carol is away
    during = await office.submit("dan", "/expense amount=300 category=meals reason=during")
    assert "Waiting for you" in office.card("fiona", during).body
    state = await office.request(during)
    carol, fiona = await member_id(office, "carol"), await member_id(office, "fiona")
    assert [(t.approver, t.on_behalf_of) for t in state.tasks] == [(fiona, carol)]
    await office.tap("fiona", button(office.card("fiona", during), "Approve").token)
    assert (await office.request(during)).status == Status.APPROVED
    timeline = (await office.say("dan", f"/approval {during}")).text
    assert "Fiona Finance (for Carol Chen, delegated) approved" in timeline
    assert "from your leave" in (await office.say("carol", "/delegate list")).text

    await office.advance(timedelta(days=3))  # Friday: carol is back
    after = await office.submit("dan", "/expense amount=300 category=meals reason=after")
    assert "Waiting for you" in office.card("carol", after).body


async def test_manual_delegation_and_its_end(office: Office) -> None:
    made = await office.say("carol", "/delegate @hana from 2026-11-30 to 2026-12-01")
    assert "Hana HR approves for you" in made.text
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    assert "Waiting for you" in office.card("hana", n).body
    delegation = made.text.split("/delegate cancel ")[1].split()[0]
    assert "ended" in (await office.say("carol", f"/delegate cancel {delegation}")).text
    m = await office.submit("dan", "/expense amount=300 category=meals reason=y")
    assert "Waiting for you" in office.card("carol", m).body
    again = await office.say("carol", "/delegate @hana from 2026-12-01 to 2026-12-02")
    other = again.text.split("/delegate cancel ")[1].split()[0]
    assert (
        await office.say("dan", f"/delegate cancel {other}")
    ).text == "That delegation is not yours."


async def test_an_allocation_file_lists_unknown_members_with_the_problems_of_shape(
    office: Office,
) -> None:
    broken = """year: 2026
allocations:
  - {member: dan, type: annual, days: lots}
  - {member: zed, type: annual, days: 10}
  - {member: erin, type: "", days: 5}
  - {member: yan, type: sick, days: -1}
"""
    before = await office.count(select(func.count()).select_from(LeaveEntry))
    with pytest.raises(DefinitionInvalid) as raised:
        await office.run(lambda s: import_allocations(s, broken, office.clock.now()))
    assert [str(p).split(":")[0] for p in raised.value.problems] == [
        "line 3, allocations[0].days",
        "line 4, allocations[1].member",
        "line 5, allocations[2].type",
        "line 6, allocations[3].days",
        "line 6, allocations[3].member",
    ]
    assert "unknown member 'zed'" in str(raised.value.problems[1])
    assert await office.count(select(func.count()).select_from(LeaveEntry)) == before

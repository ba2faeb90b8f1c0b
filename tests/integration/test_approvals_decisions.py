"""Deciding under pressure: double taps, racing approvers, quorums, and buttons that are forged,
someone else's, expired or for a finished step (reliability A-01..A-05, security S-01)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import structlog
from sqlalchemy import insert

from adapters.memory.translate import say, tap
from bot.config import Settings
from bot.pipeline.tables import ActionTokenRow
from domain.approvals.state import Status, TaskStatus
from tests.integration.approvals_rig import (
    Office,
    button,
    member_id,
    running_office,
    submit_directly,
)


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        yield opened


async def test_fifty_concurrent_approve_taps_make_one_transition(office: Office) -> None:
    n = await office.submit("bob", '/expense amount=300 category=meals reason="client lunch"')
    approve = button(office.card("carol", n), "Approve")
    notices_before = await office.sends_to("bob")
    taps = [tap("carol", approve.token, conversation=f"carol-tab-{i}") for i in range(50)]
    await asyncio.gather(*(office.runtime.ingest(event) for event in taps))
    await office.runtime.settle()

    state = await office.request(n)
    assert state.status == Status.APPROVED
    assert state.version == 2  # submitted, then one transition
    assert await office.events(n, "approved") == 1
    assert await office.events(n, "finished") == 1
    assert await office.sends_to("bob") == notices_before + 1  # one notice to the initiator
    answers = [p.text for i in range(50) for p in office.memory.conversation(f"carol-tab-{i}")]
    assert len(answers) == 49  # the winning tap is answered by the card itself
    assert all("already approved" in text for text in answers)
    assert office.card("carol", n).buttons == ()  # the card shows the outcome, no buttons


async def test_fifty_concurrent_approve_commands_make_one_transition(office: Office) -> None:
    n = await office.submit("bob", '/expense amount=300 category=meals reason="client lunch"')
    commands = [say("carol", f"/approve {n}", conversation=f"carol-{i}") for i in range(50)]
    await asyncio.gather(*(office.runtime.ingest(event) for event in commands))
    await office.runtime.settle()
    assert (await office.request(n)).status == Status.APPROVED
    assert await office.events(n, "approved") == 1
    answers = [office.memory.last(f"carol-{i}").text for i in range(50)]
    assert sum(text.startswith("You approved #") for text in answers) == 1
    assert sum("already approved" in text for text in answers) == 49


async def test_approve_racing_reject_on_an_or_sign_step_ends_one_way(office: Office) -> None:
    trials = 100
    ids = [
        await submit_directly(office, "bob", "payment", [("amount", "100")]) for _ in range(trials)
    ]
    events = []
    for n in ids:
        events.append(say("fiona", f"/approve {n}", conversation=f"fiona-{n}"))
        events.append(say("frank", f"/reject {n} not this month", conversation=f"frank-{n}"))
    await asyncio.gather(*(office.runtime.ingest(event) for event in events))
    await office.runtime.settle()

    for n in ids:
        state = await office.request(n)
        approved, rejected = await office.events(n, "approved"), await office.events(n, "rejected")
        assert approved + rejected == 1, n  # exactly one decision took effect
        assert state.status == (Status.APPROVED if approved else Status.REJECTED)
        assert await office.events(n, "finished") == 1
        winner = "fiona" if approved else "frank"
        loser = "frank" if approved else "fiona"
        assert office.memory.last(f"{winner}-{n}").text.startswith("You ")
        assert "already" in office.memory.last(f"{loser}-{n}").text
        assert await office.replayed(n) == state  # the audit log leads to the same state


async def test_quorum_two_of_three_with_a_duplicate_counting_once(office: Office) -> None:
    n = await office.submit("bob", "/apply committee subject=budget")
    card = office.card("fiona", n)
    await office.tap("fiona", button(card, "Approve").token)
    await office.tap("fiona", button(card, "Approve").token)  # the same button again
    assert "already approved" in (await office.say("fiona", f"/approve {n}")).text
    state = await office.request(n)
    assert state.status == Status.PENDING
    assert [t.status for t in state.tasks].count(TaskStatus.APPROVED) == 1
    await office.say("hana", f"/approve {n}")
    state = await office.request(n)
    assert state.status == Status.APPROVED
    assert await office.events(n, "approved") == 2
    assert [t.status for t in state.tasks if t.approver == state.tasks[1].approver] == [
        TaskStatus.CANCELLED
    ]  # frank's part is no longer needed


async def test_quorum_concurrent_approvals_both_count(office: Office) -> None:
    n = await office.submit("bob", "/apply committee subject=budget")
    events = [
        tap("fiona", button(office.card("fiona", n), "Approve").token, conversation="f1"),
        say("fiona", f"/approve {n}", conversation="f2"),
        say("frank", f"/approve {n}", conversation="k1"),
    ]
    await asyncio.gather(*(office.runtime.ingest(event) for event in events))
    await office.runtime.settle()
    state = await office.request(n)
    assert state.status == Status.APPROVED
    assert await office.events(n, "approved") == 2


async def test_a_veto_member_rejecting_ends_a_quorum(office: Office) -> None:
    n = await office.submit("bob", "/apply board subject=merger")
    await office.say("fiona", f"/approve {n}")
    await office.say("wang", f"/reject {n} not now")
    state = await office.request(n)
    assert state.status == Status.REJECTED
    assert "not now" in office.texts("bob")[-1]


async def test_forged_foreign_expired_and_finished_buttons_change_nothing_and_are_logged(
    office: Office,
) -> None:
    n = await office.submit("bob", '/expense amount=300 category=meals reason="client lunch"')
    approve = button(office.card("carol", n), "Approve")
    version = (await office.request(n)).version
    with structlog.testing.capture_logs() as logs:
        forged = await office.tap("carol", "forged-token-123")
        foreign = await office.tap("dan", approve.token)
        typed = await office.say("dan", f"/approve {n}")
        peek = await office.say("dan", f"/approval {n}")
    assert forged.text == "This button is not valid."
    assert foreign.text == "This button is not for you."
    assert typed.text == f"There is no approval #{n} that you can see."
    assert peek.text == typed.text  # nothing about the request is echoed back
    assert (await office.request(n)).version == version
    events = [entry["event"] for entry in logs]
    assert "refused.token_unknown" in events
    assert "refused.token_not_yours" in events
    assert events.count("refused.approval_not_yours") == 2

    carol = (await office.request(n)).tasks[0].approver
    stale = "stale-token-for-a-finished-step"
    await office.say("carol", f"/approve {n}")
    await office.run(
        lambda s: s.execute(
            insert(ActionTokenRow).values(
                token=stale,
                action="approval.approve",
                target=str(n),
                args={"tid": 1},
                allowed=[carol],
                single_use=True,
                expires_at=office.clock.now() + timedelta(days=1),
                created_at=office.clock.now(),
            )
        )
    )
    version = (await office.request(n)).version
    with structlog.testing.capture_logs() as logs:
        finished = await office.tap("carol", stale)
    assert "already approved" in finished.text
    assert (await office.request(n)).version == version
    assert "approval.already_decided" in [entry["event"] for entry in logs]

    # A step with no SLA keeps its card, so its buttons simply outlive their lifetime. (The
    # expense step escalates after 24 working hours: its old card would move on, not expire.)
    n2 = await office.submit("dan", "/apply generic title=laptop approver=@carol")
    old = button(office.card("carol", n2), "Approve")
    await office.advance(timedelta(days=31))  # past the buttons' lifetime
    with structlog.testing.capture_logs() as logs:
        expired = await office.tap("carol", old.token)
    assert expired.text == "This button has expired."
    assert (await office.request(n2)).status == Status.PENDING
    assert "refused.token_expired" in [entry["event"] for entry in logs]


async def test_self_approval_is_skipped_or_refused_as_the_template_says(office: Office) -> None:
    n = await office.submit("fiona", "/apply payment amount=100")
    state = await office.request(n)
    assert [t.approver for t in state.tasks] == [await member_id(office, "frank")]  # not fiona
    skipped = await office.submit("carol", "/apply notice subject=prices")
    state = await office.request(skipped)
    assert state.status == Status.APPROVED  # carol was the only approver: the step is skipped
    assert await office.events(skipped, "node_skipped") == 1
    refused = await office.say("dan", "/apply generic title=laptop approver=@dan")
    assert "own request" in refused.text  # the generic template refuses self-approval

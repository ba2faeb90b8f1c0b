"""Everything else a request goes through in chat: questions for missing fields, transfer,
add-sign, return and resubmit, withdraw, urge, lists, who may see what, template versions,
and the event log replaying to the same state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import structlog

from bot.config import Settings
from bot.replies import Card
from domain.approvals.catalog import import_templates
from domain.approvals.state import Status, TaskStatus
from domain.shared.yamlfile import DefinitionInvalid
from tests.integration.approvals_rig import COMMITTEE, Office, button, member_id, running_office


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        yield opened


async def replays(office: Office, n: int) -> bool:
    return await office.replayed(n) == await office.request(n)


async def test_missing_fields_are_asked_one_by_one_with_buttons_for_choices(office: Office) -> None:
    question = await office.say("dan", "/leave reason=family")
    assert isinstance(question.message, Card)
    assert question.message.title == "Leave · Leave type?"
    assert [b.label for b in question.message.buttons][:3] == [
        "Annual leave",
        "Sick leave",
        "Personal leave",
    ]
    await office.tap("dan", button(question.message, "Personal").token)
    assert office.texts("dan")[-1].startswith("Leave · Dates?")
    again = await office.say("dan", "someday")
    assert "must be dates such as 2026-12-01..2026-12-03" in again.text  # asked again
    submitted = await office.say("dan", "2026-12-01..2026-12-02")
    assert "Submitted as #" in submitted.text
    n = int(submitted.text.split("#", 1)[1].split()[0])
    state = await office.request(n)
    assert state.fields["type"] == "personal" and state.fields["days"] == "2"


async def test_cancel_stops_a_form_and_nothing_is_created(office: Office) -> None:
    question = await office.say("dan", "/expense reason=taxi")
    assert "Category?" in question.text
    assert (await office.say("dan", "cancel")).text == "Cancelled."
    assert "Nothing here." in (await office.say("dan", "/approvals mine")).text
    question = await office.say("dan", "/expense")
    await office.tap("dan", button(question.message, "Cancel").token)  # type: ignore[arg-type]
    assert "Nothing here." in (await office.say("dan", "/approvals mine")).text


async def test_bad_values_are_refused_with_the_fields_and_change_nothing(office: Office) -> None:
    answer = await office.say("dan", "/expense amount=lots category=travel colour=red")
    assert 'I can\'t read "lots" as Amount.' in answer.text
    assert "has no field colour" in answer.text
    assert "Nothing here." in (await office.say("dan", "/approvals mine")).text
    assert "There is no approval template" in (await office.say("dan", "/apply holiday")).text


async def test_transfer_by_button_asks_whom(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    await office.tap("carol", button(office.card("carol", n), "Transfer").token)
    assert "to whom" in office.texts("carol")[-1]
    await office.say("carol", "@hana")
    state = await office.request(n)
    hana = await member_id(office, "hana")
    assert [t.status for t in state.tasks] == [TaskStatus.TRANSFERRED, TaskStatus.PENDING]
    assert state.tasks[-1].approver == hana
    assert office.card("carol", n).buttons == ()  # carol's copy no longer acts
    await office.say("hana", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    assert await replays(office, n)


async def test_add_approver_before_and_after(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    await office.tap("carol", button(office.card("carol", n), "Add approver").token)
    await office.tap("carol", button(office.card("carol", n), "Before me").token)
    await office.say("carol", "@hana")
    assert "Waiting for you" in office.card("hana", n).body
    await office.say("hana", f"/approve {n}")
    assert "Waiting for you" in office.card("carol", n).body  # back to carol
    await office.say("carol", f"/addsign {n} after @fiona")
    assert (await office.request(n)).status == Status.PENDING
    await office.say("fiona", f"/approve {n}")
    state = await office.request(n)
    assert state.status == Status.APPROVED
    assert len(state.nodes) == 3
    assert await replays(office, n)


async def test_return_to_the_initiator_then_resubmit(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=8000 category=travel reason=x")
    await office.tap("carol", button(office.card("carol", n), "Return").token)
    await office.tap("carol", button(office.card("carol", n), "To the initiator").token)
    await office.say("carol", "add the receipt")
    state = await office.request(n)
    assert state.status == Status.RETURNED
    assert "add the receipt" in office.texts("dan")[-1]
    assert "/resubmit" in office.texts("dan")[-1]
    receipt = "receipt=https://files.example/r1.pdf"
    answer = await office.say(
        "dan", f'/resubmit {n} amount=3000 category=travel {receipt} reason="ok"'
    )
    assert "submitted again" in answer.text
    state = await office.request(n)
    assert state.status == Status.PENDING
    assert state.fields["amount"] == "3000.00"
    assert [n.status for n in state.nodes] == ["active"]  # 3,000: the manager only now
    await office.say("carol", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    assert await replays(office, n)


async def test_return_to_an_earlier_step(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=8000 category=travel reason=x")
    await office.say("carol", f"/approve {n}")
    await office.say("fiona", f"/return {n} to=1 check the category")
    state = await office.request(n)
    assert state.status == Status.PENDING and state.position == 0
    assert "Waiting for you" in office.card("carol", n).body
    assert await replays(office, n)


async def test_withdraw_and_urge(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    urged = await office.say("dan", f"/urge {n}")
    assert urged.text == f"I reminded the approvers of #{n}."
    assert office.card("carol", n).title.endswith("Dan Deng")
    assert "once an hour" in (await office.say("dan", f"/urge {n}")).text
    await office.advance(timedelta(minutes=61))
    assert (await office.say("dan", f"/urge {n}")).text == urged.text
    assert "Only the initiator" in (await office.say("carol", f"/withdraw {n}")).text
    await office.tap("dan", button(office.card("dan", n), "Withdraw").token)
    assert (await office.request(n)).status == Status.WITHDRAWN
    assert office.card("carol", n).buttons == ()
    assert "already withdrawn" in (await office.say("carol", f"/approve {n}")).text
    assert await replays(office, n)


async def test_lists_and_who_may_see_a_request(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    assert f"#{n}" in (await office.say("carol", "/approvals")).text
    assert f"#{n}" in (await office.say("dan", "/approvals mine")).text
    assert f"#{n}" not in (await office.say("erin", "/approvals")).text
    with structlog.testing.capture_logs() as logs:
        hidden = await office.say("erin", f"/approval {n}")
    assert hidden.text == f"There is no approval #{n} that you can see."
    unknown = (await office.say("erin", "/approval 9999")).text
    assert hidden.text == unknown.replace("9999", str(n))  # the same answer as for no request
    assert any(e["event"] == "refused.approval_not_yours" for e in logs)
    assert "Timeline" in (await office.say("hana", f"/approval {n}")).text  # HR sees every one
    assert "Timeline" in (await office.say("carol", f"/approval {n}")).text


async def test_a_new_template_version_applies_to_new_requests_only(office: Office) -> None:
    old = await office.submit("dan", "/apply committee subject=budget")
    changed = COMMITTEE.replace("quorum: 2\n  - key: board", "quorum: 3\n  - key: board", 1)
    report = await office.run(lambda s: import_templates(s, changed, office.clock.now()))
    assert report.created == [("committee", 2)]
    new = await office.submit("dan", "/apply committee subject=budget")
    assert (await office.request(old)).template_version == 1
    assert (await office.request(new)).template_version == 2
    for n in (old, new):
        await office.say("fiona", f"/approve {n}")
        await office.say("frank", f"/approve {n}")
    assert (await office.request(old)).status == Status.APPROVED  # 2 of 3, as when submitted
    assert (await office.request(new)).status == Status.PENDING  # 3 of 3 now
    again = await office.run(lambda s: import_templates(s, changed, office.clock.now()))
    assert again.created == [] and "committee" in again.unchanged


async def test_an_invalid_template_is_refused_with_every_problem_and_nothing_changes(
    office: Office,
) -> None:
    bad = """key: broken
name: Broken
fields:
  - {key: amount, type: money}
  - {key: amount, type: text}
  - {key: kind, type: choice}
flow:
  - name: Boss
    approvers: {members: [nobody]}
  - branch:
      - {name: Big, when: amont > 5, flow: []}
      - {name: Small, when: amount <, flow: []}
"""
    with pytest.raises(DefinitionInvalid) as raised:
        await office.run(lambda s: import_templates(s, bad, office.clock.now()))
    problems = [str(p) for p in raised.value.problems]
    assert problems == [  # the shape and the meaning of what reads, in one run
        "line 5, fields[1].key: 'amount' is used twice as a key",
        "line 6, fields[2]: a choice field needs options",
        "line 9, flow[0].approvers.members: unknown member 'nobody'",
        "line 10, flow[1]: a branch needs exactly one default route",
    ]
    fixed = (
        bad.replace("  - {key: kind, type: choice}\n", "") + "      - {name: Else, default: true}\n"
    )
    with pytest.raises(DefinitionInvalid) as raised:
        await office.run(lambda s: import_templates(s, fixed, office.clock.now()))
    problems = [str(p) for p in raised.value.problems]
    assert problems == [  # a broken flow item is read once it is whole
        "line 5, fields[1].key: 'amount' is used twice as a key",
        "line 8, flow[0].approvers.members: unknown member 'nobody'",
        "line 10, flow[1].branch[0].when: unknown name 'amont' in the condition",
        "line 11, flow[1].branch[1].when: not a valid condition: invalid syntax",
    ]
    several = """templates:
  - {key: other, name: O, flow: [{name: X, approvers: {members: [zz]}}]}
  - key: other
    name: P
    flow:
      - {name: Y, approvers: {role: wizard}}
      - {name: Z, approvers: {members: [yy]}}
"""
    with pytest.raises(DefinitionInvalid) as raised:
        await office.run(lambda s: import_templates(s, several, office.clock.now()))
    assert [str(p).split(": Input")[0] for p in raised.value.problems] == [
        "line 2, templates[0].flow[0].approvers.members: unknown member 'zz'",
        "line 3, templates[1].key: 'other' appears twice",
        "line 6, templates[1].flow[0].approvers.role",
        "line 7, templates[1].flow[1].approvers.members: unknown member 'yy'",
    ]
    assert "There is no approval template" in (await office.say("dan", "/apply broken")).text

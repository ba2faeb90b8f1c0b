"""Routing by amount, explained by /route and taken by real submissions; steps, copies and the
same approver deciding once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from domain.approvals.labels import text_of
from domain.approvals.state import NodeStatus, Status
from tests.integration.approvals_rig import Office, button, member_id, running_office


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        yield opened


EXPECTED = {
    "3000": ["Manager: Carol Chen"],
    "8000": ["Manager: Carol Chen", "Finance: Frank CFO, Fiona Finance (any one)"],
    "50000": [
        "Manager: Carol Chen",
        "Finance: Frank CFO, Fiona Finance (any one)",
        "CEO and CFO: Wang Wei CEO, Frank CFO (everyone)",
    ],
}
WHY = {
    "3000": "✓ Up to 5,000: no condition above holds",
    "8000": "✓ Over 5,000: amount > 5000 holds (amount = CN¥8,000.00)",
    "50000": "✓ Over 20,000: amount > 20000 holds (amount = CN¥50,000.00)",
}


@pytest.mark.parametrize("amount", ["3000", "8000", "50000"])
async def test_route_explains_the_branch_the_approvers_and_the_sla(
    office: Office, amount: str
) -> None:
    text = (await office.say("dan", f"/route expense amount={amount} category=travel")).text
    steps = [
        line.split(". ", 1)[1]
        for line in text.splitlines()
        if line[:3].rstrip(". ").isdigit() or line.startswith("Approvers: ")
    ]
    assert [s.removeprefix("Approvers: 1. ") for s in steps] == EXPECTED[amount]
    assert WHY[amount] in text
    assert "reminder after 8 working hours" in text
    assert "escalation to the approver's manager after 24 working hours" in text
    if amount == "8000":
        assert "✗ Over 20,000: amount > 20000 does not hold (amount = CN¥8,000.00)" in text


@pytest.mark.parametrize("amount", ["3000", "8000", "50000"])
async def test_real_submissions_take_the_same_route(office: Office, amount: str) -> None:
    n = await office.submit("dan", f"/expense amount={amount} category=travel reason=trip")
    state = await office.request(n)
    names = [text_of(node.name, "en") for node in state.nodes]
    assert names == [step.split(":")[0] for step in EXPECTED[amount]]
    deciders = {
        "3000": ["carol"],
        "8000": ["carol", "fiona"],
        "50000": ["carol", "fiona", "wang", "frank"],
    }
    for handle in deciders[amount]:
        assert (await office.request(n)).status == Status.PENDING
        await office.tap(handle, button(office.card(handle, n), "Approve").token)
    state = await office.request(n)
    assert state.status == Status.APPROVED
    assert all(node.status == NodeStatus.APPROVED for node in state.nodes)
    if amount == "50000":
        last = state.nodes[-1]
        assert last.mode == "all"
        assert sorted(last.approvers) == sorted(
            [await member_id(office, "wang"), await member_id(office, "frank")]
        )


async def test_ceo_and_cfo_countersign_needs_both(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=50000 category=travel reason=fair")
    await office.say("carol", f"/approve {n}")
    await office.say("fiona", f"/approve {n}")
    await office.say("wang", f"/approve {n}")
    assert (await office.request(n)).status == Status.PENDING  # the CFO has not signed
    assert "Waiting for you" in office.card("frank", n).body
    await office.say("frank", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    assert "approved" in office.texts("dan")[-1]


async def test_the_same_approver_twice_in_a_row_decides_once(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=50000 category=travel reason=fair")
    await office.say("carol", f"/approve {n}")
    await office.say("frank", f"/approve {n}")  # frank decides finance, and is the CFO next
    state = await office.request(n)
    frank = await member_id(office, "frank")
    assert [t.status for t in state.tasks if t.approver == frank] == ["approved", "approved"]
    assert state.pending_for(await member_id(office, "wang")) is not None
    assert state.pending_for(frank) is None
    await office.say("wang", f"/approve {n}")
    assert (await office.request(n)).status == Status.APPROVED
    timeline = (await office.say("dan", f"/approval {n}")).text
    assert "Frank CFO approved (they approved the step before)" in timeline


async def test_copies_at_submit_and_at_finish(office: Office) -> None:
    n = await office.submit("dan", "/apply quick subject=prices")
    assert office.card("hana", n).buttons == ()  # a copy at submit, without buttons
    await office.say("carol", f"/approve {n}")
    copies = [c for c in office.memory.cards("hana") if f"#{n}" in c.title]
    assert len(copies) == 2 and all("approved" in c.body for c in copies)
    assert f"#{n}" in (await office.say("hana", "/approvals cc")).text


async def test_chinese_commands_and_route(office: Office) -> None:
    text = (await office.say("bob", "/审批路线 报销 amount=8000 category=travel")).text
    assert "财务" in text and "直属主管" in text
    n = await office.submit("bob", "/报销 金额=300 类别=餐饮 事由=午餐")
    assert "费用报销" in office.card("bob", n).title
    assert (await office.request(n)).fields["lines"] == [{"amount": "300.00", "category": "meals"}]
    m = await office.submit("bob", "/申请 通用 标题=笔记本 审批人=@carol")
    assert (await office.request(m)).template_key == "generic"


async def test_the_daily_digest_lists_what_waits_for_you(office: Office) -> None:
    n = await office.submit("dan", "/expense amount=300 category=meals reason=x")
    digest = (await office.say("carol", "/digest now")).text
    assert "Approvals waiting for you (1)" in digest
    assert f"#{n} Expense reimbursement · Dan Deng" in digest

"""Budgets on approvals (issue 15 point 4): a template names its ``budget_account``; its cards
show the requester's department's budget left this month (to the approvers, finance and the
department's managers, not to a requester without those rights), and its route conditions read
``budget_left``, so an over-budget request goes to finance. Without a budget the field is None,
the card shows nothing and the conditions route as if it were not there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest

from bot.config import Settings
from bot.i18n import t
from bot.replies import Card
from domain.finance.charts import install_chart
from domain.finance.posting import EntryRequest, LineRequest, post_entry
from tests.integration.approvals_rig import EXPENSE, Office, running_office

DAY = date(2026, 11, 30)
OUTLAY = """
key: outlay
name: {en: Department outlay, zh_CN: 部门支出}
kind: expense
budget_account: "5602"
fields:
  - {key: amount, label: {en: Amount, zh_CN: 金额}, type: money, required: true, min: 0.01}
  - {key: reason, label: {en: Reason, zh_CN: 事由}, type: text, required: true}
flow:
  - name: {en: Manager, zh_CN: 直属主管}
    approvers: {manager: 1}
  - branch:
      - name: {en: Over budget, zh_CN: 超预算}
        when: budget_left != None and amount > budget_left
        flow:
          - name: {en: Finance, zh_CN: 财务}
            approvers: {role: finance}
      - name: {en: Within budget, zh_CN: 预算内}
        default: true
"""
LEFT = "Budget left (5602 Administrative expenses, 2026-11)"


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings, extra=(EXPENSE, OUTLAY)) as opened:
        await opened.run(lambda s: install_chart(s, "prc_small"))
        yield opened


async def spent(office: Office, amount: str) -> None:
    lines = [
        LineRequest("5602", debit=Decimal(amount), department="Sales"),
        LineRequest("1001", credit=Decimal(amount)),
    ]
    request = EntryRequest("GJ", DAY, lines)
    await office.run(lambda s: post_entry(s, request, office.clock.now()))


def fields(card: Card) -> dict[str, str]:
    return {f.label: f.value for f in card.fields}


async def steps(office: Office, request_id: int) -> list[str]:
    return [node.name["en"] for node in (await office.request(request_id)).nodes]


async def test_over_budget_goes_to_finance_and_the_card_shows_what_is_left(office: Office) -> None:
    await office.say("fiona", "/budget set Sales 5602 2026-11 1000 owner @carol")
    await spent(office, "800")

    over = await office.submit("dan", "/apply outlay amount=500 reason=printer")
    assert await steps(office, over) == ["Manager", "Finance"]
    assert fields(office.card("carol", over))[LEFT] == "CN¥200.00"  # the approver sees it

    within = await office.submit("dan", "/apply outlay amount=150 reason=paper")
    assert await steps(office, within) == ["Manager"]

    shown = await office.say("carol", f"/approval {over}")  # the full view too
    assert isinstance(shown.message, Card)
    assert fields(shown.message)[LEFT] == "CN¥200.00"
    route = await office.say("dan", "/route outlay amount=500 reason=printer")
    assert "budget_left = not shown" in route.text and "CN¥200" not in route.text
    route = await office.say("carol", "/route outlay amount=500 reason=printer")
    assert "budget_left = CN¥200.00" in route.text  # a manager of Sales sees the figure
    mine = await office.say("dan", f"/approval {over}")  # the requester alone: not shown
    assert isinstance(mine.message, Card)
    assert not any(label.startswith("Budget left") for label in fields(mine.message))


async def test_the_finance_step_sees_it_and_the_requester_does_not(office: Office) -> None:
    await office.say("fiona", "/budget set Sales 5602 2026-11 1000")
    request_id = await office.submit("bob", "/申请 outlay amount=1200 reason=椅子")
    assert await steps(office, request_id) == ["Manager", "Finance"]
    own = office.card("bob", request_id)  # a requester without finance rights
    assert not any("预算" in label or "Budget" in label for label in fields(own))
    await office.say("carol", f"/approve {request_id}")
    card = office.card("fiona", request_id)
    assert fields(card)[LEFT] == "CN¥1,000.00"
    zh = t("zh_CN", "Budget left ({account}, {period})", account="5602 管理费用", period="2026-11")
    assert zh == "剩余预算（5602 管理费用，2026-11）"


async def test_without_a_budget_nothing_is_shown_and_conditions_hold_safely(
    office: Office,
) -> None:
    request_id = await office.submit("dan", "/apply outlay amount=5000 reason=desk")
    assert await steps(office, request_id) == ["Manager"]  # budget_left is None: not over
    card = office.card("carol", request_id)
    assert not any(label.startswith("Budget left") for label in fields(card))
    route = await office.say("dan", "/route outlay amount=5000 reason=desk")
    assert "Within budget" in route.text and "budget_left = no budget" in route.text


async def test_the_bundled_purchase_card_shows_the_budget(office: Office) -> None:
    await office.say("fiona", "/budget set Sales 5602 2026-11 3000")
    await spent(office, "500")
    request_id = await office.submit(
        "dan", "/apply purchase item=toner quantity=2 amount=400 reason=printing"
    )
    assert fields(office.card("carol", request_id))[LEFT] == "CN¥2,500.00"

"""Budgets (issue 15 point 4) through chat on SQLite and PostgreSQL: finance sets a month's
budget with an owner, in English or Chinese; /budget shows budget, spent (the account and its
sub-accounts, the department's lines only), left and % used; a manager sees their own
department only, anyone else is refused and nothing is shown; postings tell the owner once at
80 % and once at 100 % (crossing back and forth repeats nothing, a redelivered event sends
nothing, raising the budget re-arms)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.finance.budget_import import read_budget_file, save_budget_file
from domain.finance.budget_models import Budget
from domain.finance.budgets import budget_left, crossings
from domain.finance.charts import install_chart
from domain.finance.posting import EntryRequest, LineRequest, post_entry, reverse_entry
from domain.flows.models import ConsumedEvent
from tests.integration.approvals_rig import Office, running_office

DAY = date(2026, 11, 30)  # the office's clock: Monday 2026-11-30 in Shanghai


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    quiet = settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet) as opened:
        await opened.run(lambda s: install_chart(s, "prc_small"))
        yield opened


async def spend(
    office: Office, amount: str, *, account: str = "5602", department: str = "Sales", key: str = ""
) -> int:
    """Post an expense paid in cash (as the postings from expense claims will), then settle."""
    request = EntryRequest(
        "GJ",
        DAY,
        [
            LineRequest(account, debit=Decimal(amount), department=department),
            LineRequest("1001", credit=Decimal(amount)),
        ],
        memo="expense",
        source="test.expense" if key else None,
        source_id=key or None,
    )
    posted = await office.run(lambda s: post_entry(s, request, office.clock.now()))
    await office.runtime.settle()
    return posted.entry.id


def alerts(office: Office, handle: str) -> list[Card]:
    cards = [p.message for p in office.posted(handle) if isinstance(p.message, Card)]
    return [c for c in cards if c.title.startswith(("Budget 80%", "Budget used up", "预算"))]


def fields(card: Card) -> dict[str, str]:
    return {f.label: f.value for f in card.fields}


async def test_finance_sets_a_budget_and_everyone_reads_what_they_may(office: Office) -> None:
    said = await office.say("fiona", "/budget set Sales 5602 2026-11 10000 owner @carol")
    set_card = said.message
    assert isinstance(set_card, Card), set_card
    assert set_card.title == "Budget set: Sales 5602 Administrative expenses 2026-11"
    assert "Carol Chen" in set_card.body
    assert fields(set_card)["Left"] == "CN¥10,000.00"

    await spend(office, "2500")
    await spend(office, "1000", department="Finance")  # another department's spending
    await spend(office, "300", account="5601")  # another account

    shown = (await office.say("frank", "/budget Sales 2026-11")).message
    assert isinstance(shown, Card)
    assert "spent CN¥2,500.00, left CN¥7,500.00 (25% used)" in shown.body

    own = (await office.say("carol", "/budget")).message  # a manager: their department
    assert isinstance(own, Card) and "Sales" in own.title and "25% used" in own.body

    with structlog.testing.capture_logs() as logs:
        other = await office.say("carol", "/budget Finance")
        nobody = await office.say("dan", "/budget Sales")
        setter = await office.say("carol", "/budget set Sales 5602 2026-11 99999")
    assert "own department" in other.text
    assert "CN¥" not in nobody.text and "CN¥" not in setter.text
    refused = [e for e in logs if e["event"] == "refused.permission"]
    assert len(refused) == 3
    budgets = await office.run(lambda s: list(s.scalars(select(Budget))))
    assert [b.amount for b in budgets] == [Decimal(10000)]


async def test_chinese_and_sub_accounts_and_bad_input(office: Office) -> None:
    said = await office.say("fiona", "/预算 设置 Sales 应交税费 2026年11月 3万 负责人 @carol")
    assert isinstance(said.message, Card), said.text
    assert said.message.title == "Budget set: Sales 2221 Taxes payable 2026-11"
    await spend(office, "600", account="22210101")  # a sub-account counts
    left = await office.run(lambda s: budget_left(s, "Sales", "22210101", DAY))
    assert left == Decimal("29400.00")  # the parent's budget covers its sub-account
    assert await office.run(lambda s: budget_left(s, "Finance", "5602", DAY)) is None

    for text, problem in (
        ("/budget set Sales 9999 2026-11 100", "9999"),
        ("/budget set Nowhere 5602 2026-11 100", "Nowhere"),
        ("/budget set Sales 5602 2026-13 100", "2026-13"),
        ("/budget set Sales 5602 2026-11 -5", "above 0"),
    ):
        answer = await office.say("fiona", text)
        assert problem in answer.text, (text, answer.text)
    asked = await office.say("fiona", "/budget set Sales 5602 100")
    assert "?" in asked.text or "？" in asked.text  # the month is asked for, nothing guessed
    count = await office.run(lambda s: len(list(s.scalars(select(Budget)))))
    assert count == 1


async def test_alerts_once_per_threshold_and_raising_re_arms(office: Office) -> None:
    await office.say("fiona", "/budget set Sales 5602 2026-11 10000 owner @carol")
    await spend(office, "7000")
    assert alerts(office, "carol") == []
    entry = await spend(office, "1000")  # 80 %
    (first,) = alerts(office, "carol")
    assert first.title == "Budget 80% used: Sales 5602 Administrative expenses 2026-11"
    assert fields(first)["Used"] == "80%"

    await office.run(lambda s: reverse_entry(s, entry, DAY, office.clock.now()))
    await office.runtime.settle()
    await spend(office, "1500")  # back over 80 %: not told again
    assert len(alerts(office, "carol")) == 1

    await spend(office, "2000")  # 105 %
    assert [c.title.split(":")[0] for c in alerts(office, "carol")] == [
        "Budget 80% used",
        "Budget used up",
    ]
    assert fields(alerts(office, "carol")[-1])["Left"] == "-CN¥500.00"

    await office.say("fiona", "/budget set Sales 5602 2026-11 20000")  # 52.5 %: both re-armed
    await spend(office, "6000")  # 82.5 %
    assert len(alerts(office, "carol")) == 3
    assert alerts(office, "carol")[-1].title.startswith("Budget 80% used")


async def test_a_redelivered_event_sends_nothing_more(office: Office) -> None:
    await office.say("fiona", "/budget set Sales 5602 2026-11 1000 owner @bob")
    await spend(office, "900", key="claim-1")
    await spend(office, "900", key="claim-1")  # the same claim again: posted once
    (card,) = alerts(office, "bob")
    assert card.title == "预算已用 80%：Sales 5602 管理费用 2026-11"
    assert list(fields(card)) == ["预算", "已支出", "剩余", "已用"]
    assert card.body == "支出已达到预算的 80%。"

    def forget(s: Session) -> None:  # as if the consumer crashed after sending
        s.execute(delete(ConsumedEvent))

    await office.run(forget)
    await office.runtime.settle()
    applied = await office.run(lambda s: list(s.scalars(select(ConsumedEvent.consumer))))
    assert "finance.budget_alerts" in applied  # the consumer ran the events again
    assert len(alerts(office, "bob")) == 1
    found = await office.run(lambda s: [crossings(s, i) for i in range(1, 5)])
    assert found == [[], [], [], []]  # the level is claimed: nothing crosses twice


BUDGETS_CSV = """\ufeff部门,科目,月份,金额,负责人
Sales,5602,2026-11,10000,carol
Sales,5601,2026-12,"2,500.50",
Finance,5602,2026-11,800,@frank
"""
BROKEN_CSV = """department,account,month,amount,owner
Sales,5602,2026-11,10000,carol
Nowhere,5602,2026-11,100,
Sales,9999,2026-13,-1,zed
Sales,5602,2026-11,500,
"""


async def test_a_budget_file_imports_once_and_a_broken_one_not_at_all(office: Office) -> None:
    async def imported(data: str) -> tuple[list[str], dict[str, int]]:
        def work(s: Session) -> tuple[list[str], dict[str, int]]:
            read = read_budget_file(s, data.encode("utf-8"))
            if read.problems:
                return [str(p) for p in read.problems], {}
            return [], dict(save_budget_file(s, read, office.clock.now()))

        return await office.run(work)

    problems, tally = await imported(BROKEN_CSV)
    assert problems == [
        "line 3, department: there is no department Nowhere",
        "line 4, account: there is no account 9999",
        "line 4, month: 2026-13 is not a month (2026-12)",
        "line 4, amount: -1 is not an amount above 0",
        "line 4, owner: there is no member zed",
        "line 5, department: the same budget as line 2",
    ]
    assert await office.run(lambda s: list(s.scalars(select(Budget)))) == []

    problems, tally = await imported(BUDGETS_CSV)
    assert problems == [] and tally == {"created": 3}
    problems, tally = await imported(BUDGETS_CSV)
    assert tally == {"unchanged": 3}
    shown = (await office.say("frank", "/budget 2026-12")).message
    assert isinstance(shown, Card) and "budget CN¥2,500.50" in shown.body

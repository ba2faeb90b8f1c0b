"""A published textbook month, kept through chat and the import, gives the textbook's trial
balances and the statements they make.

**Source.** Penn State, ACCTG 211 "Financial and Managerial Accounting for Decision Making", an
open educational resource (https://oer.hax.psu.edu/lnm105/sites/acctg211/): the worked example
MM TAX, a tax-services firm M. McGruber starts as a corporation in December 20XX.

- Lesson 2, page 07 ("Double-Entry System: MM TAX Example"), the month's transactions:
  1. Dec 2, the stockholder pays in $20,000 for common stock; 2. Dec 2, 12 months of insurance
  prepaid, $1,200 cash; 3. Dec 3, a computer bought for $500 cash; 4. Dec 4, office supplies
  bought on account, $50; 5. Dec 20, a tax return prepared for a corporate client, billed
  $2,500; 6. Dec 20, the employee paid $200 cash for two weeks' work; 7. Dec 20, a $200
  dividend paid to the stockholder; 8. Dec 20, $2,000 cash received from a client for work
  to be done in December and January.
- Lesson 2, page 09, its answer, the trial balance: cash 19,900, accounts receivable 2,500,
  office supplies 50, prepaid insurance 1,200, computer 500 | accounts payable 50, unearned
  revenue 2,000, common stock 20,000 | dividends 200 (debit) | fees earned 2,500 | salaries
  expense 200; totals 24,550 = 24,550.
- Lesson 3, page 12, the adjusting entries of Dec 31: insurance expired 100; office supplies
  used 30; depreciation of the computer 21; unearned revenue earned 1,200; salaries accrued
  200; fees earned not yet billed 500.
- Lesson 3, page 13, its answer, the adjusted trial balance: cash 19,900, accounts receivable
  3,000, office supplies 20, prepaid insurance 1,100, computer 500, accumulated depreciation
  (21) | accounts payable 50, unearned revenue 800, salaries payable 200, common stock 20,000,
  dividends 200 (debit), fees earned 4,200, salaries expense 400, insurance expense 100, office
  supplies expense 30, depreciation expense 21; totals 25,271 = 25,271.
- The statements are read from that adjusted trial balance (the course's lesson 4 prepares
  them from it): fees earned 4,200 − expenses 551 = net income 3,649; retained earnings
  3,649 − 200 dividends = 3,449; total assets 24,499 = liabilities 1,050 + equity 23,449.

**Adapted.** It is a service firm, not a trading company: no trading-company example with both
its transactions and its published answers was found in the time given (see the report), so
this is the closest complete one. It is kept in the PRC small-enterprise chart (prc_small), each
account where 小企业会计准则 puts it: cash 1002 银行存款, receivables 1122, office supplies 1411
周转材料 (low-value consumables), prepaid insurance 1123 预付账款, the computer 1601 固定资产 and
its depreciation 1602, payables 2202, unearned revenue 2203 预收账款, salaries payable 2211
应付职工薪酬, common stock 3001 实收资本, dividends paid 3104 利润分配 (debited), fees earned
5001 主营业务收入, and the four expenses in 5602 管理费用 (the chart has one account for them:
the textbook's four lines are its 551, and /ledger 5602 shows them one by one). No VAT (the
source has none). The year 20XX is 2025, the amounts are the source's dollars (the org keeps
its books in USD).

**How.** /books setup in chat; the first four transactions (the start-up) from a CSV through
``bizbot finance import`` (in process); the rest and the adjusting entries by /entry and /记账,
in English and Chinese; then /report tb, pl and bs: the card's figures and the XLSX each reply
carries. SQLite only: the SQL is that of the statement tests, which run on both databases."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from adapters.memory.client import Posted
from bot.config import Settings
from bot.replies import Card
from domain.finance.models import Account
from tests.integration.approvals_rig import Office, running_office
from tests.integration.test_finance_report_chat import text_of
from tests.processes import bot_env, run_cli

ORG = """
org: {name: MM TAX, timezone: America/New_York, locale: en, currency: USD}
departments:
  - {name: Office, head: mia}
members:
  - {handle: mia, name: M. McGruber, department: Office, roles: [admin, finance], locale: en}
  - {handle: fay, name: 方会计, department: Office, roles: [finance], locale: zh_CN}
"""
START_UP = """entry,date,journal,account,debit,credit,memo
MM-1,2025-12-02,GJ,1002,"20,000.00",,common stock issued to M. McGruber
MM-1,2025-12-02,GJ,3001,,"20,000.00",
MM-2,2025-12-02,GJ,1123,1200,,12 months of insurance paid ahead
MM-2,2025-12-02,GJ,1002,,1200,
MM-3,2025-12-03,GJ,1601,500,,a computer bought for cash
MM-3,2025-12-03,GJ,1002,,500,
MM-4,2025-12-04,GJ,1411,50,,office supplies bought on account
MM-4,2025-12-04,GJ,2202,,50,
"""
THE_MONTH = (  # transactions 5 to 8, all on December 20
    ("mia", '/entry 2025-12-20 dr 1122 2500 cr 5001 2500 memo "tax return billed to a client"'),
    ("fay", "/记账 2025-12-20 借 管理费用 200 贷 银行存款 200 备注 支付员工两周工资"),
    ("fay", "/记账 2025-12-20 借 利润分配 200 贷 1002 200 备注 向股东支付股利"),
    ("mia", "/entry 2025-12-20 dr Bank deposits 2,000 cr 2203 2,000 memo paid ahead for work"),
)
ADJUSTMENTS = (  # the adjusting entries of December 31
    ("mia", "/entry 2025-12-31 dr 5602 100 cr 1123 100 memo insurance expired"),
    ("fay", "/记账 2025-12-31 借 管理费用 30 贷 周转材料 30 备注 本月耗用办公用品"),
    ("mia", "/entry 2025-12-31 dr 5602 21 cr 1602 21 memo depreciation of the computer"),
    ("fay", "/记账 2025-12-31 借 预收账款 1200 贷 主营业务收入 1200 备注 预收款本月已提供服务"),
    ("mia", "/entry 2025-12-31 dr 5602 200 cr 2211 200 memo salaries accrued"),
    ("mia", "/entry 2025-12-31 dr 1122 500 cr 5001 500 memo fees earned, not yet billed"),
)
# The textbook's trial balances as (debit, credit) balances per account of the chart.
UNADJUSTED = {
    "1002": (19900, 0), "1122": (2500, 0), "1123": (1200, 0), "1411": (50, 0),
    "1601": (500, 0), "2202": (0, 50), "2203": (0, 2000), "3001": (0, 20000),
    "3104": (200, 0), "5001": (0, 2500), "5602": (200, 0),
}  # fmt: skip
ADJUSTED = {
    "1002": (19900, 0), "1122": (3000, 0), "1123": (1100, 0), "1411": (20, 0),
    "1601": (500, 0), "1602": (0, 21), "2202": (0, 50), "2203": (0, 800), "2211": (0, 200),
    "3001": (0, 20000), "3104": (200, 0), "5001": (0, 4200), "5602": (100 + 30 + 21 + 400, 0),
}  # fmt: skip


@pytest.fixture
async def office(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings, extra=(), org=ORG) as running:
        yield running


def sheet_rows(posted: Posted) -> list[tuple[object, ...]]:
    """The rows of the XLSX the reply carries, below its heads."""
    assert isinstance(posted.message, Card)
    xlsx = next(a for a in posted.message.attachments if a.name.endswith(".xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx.data), data_only=True).active
    assert sheet is not None
    return list(sheet.iter_rows(min_row=6, values_only=True))


async def trial_balance(office: Office, posted: Posted) -> dict[str, tuple[int, int]]:
    """Each account's closing balance in the XLSX, as the textbook shows it: debit or credit."""
    sides = dict(await office.run(lambda s: list(s.execute(select(Account.code, Account.side)))))
    balances = {}
    for code, _name, _opening, _debits, _credits, closing, *_previous in sheet_rows(posted):
        if code is None or str(code) not in sides:
            continue
        amount = Decimal(str(closing)).quantize(Decimal("0.01"))
        debit_minus_credit = amount if sides[str(code)] == "debit" else -amount
        debit = int(max(debit_minus_credit, Decimal(0)))
        balances[str(code)] = (debit, int(max(-debit_minus_credit, Decimal(0))))
    return balances


def card_figure(card: str, label: str) -> Decimal:
    found = re.search(rf"{label}[：:] ?([-\d,.]+)", card)
    assert found is not None, (label, card)
    return Decimal(found[1].replace(",", ""))


async def say_all(office: Office, lines: tuple[tuple[str, str], ...]) -> None:
    for handle, line in lines:
        said = text_of(await office.say(handle, line))
        assert "posted" in said or "已过账" in said, said


async def test_the_textbook_month_gives_the_textbook_figures(
    office: Office, sqlite_settings: Settings, tmp_path: Path
) -> None:
    assert "69 accounts" in text_of(await office.say("mia", "/books setup prc_small"))
    start_up = tmp_path / "start-up.csv"
    start_up.write_text(START_UP, encoding="utf-8")
    url = sqlite_settings.database_url.get_secret_value()
    imported = run_cli("finance", "import", start_up, env=bot_env(url))
    assert imported.returncode == 0 and "4 entries posted" in imported.stdout, imported.stderr
    await say_all(office, THE_MONTH)

    unadjusted = await office.say("mia", "/report tb 2025-12")
    assert await trial_balance(office, unadjusted) == UNADJUSTED
    assert sum(d for d, _c in UNADJUSTED.values()) == sum(c for _d, c in UNADJUSTED.values())
    assert sum(d for d, _c in UNADJUSTED.values()) == 24550
    assert "Accounts with a balance or movement: 11" in text_of(unadjusted)
    assert "The books balance." in text_of(unadjusted)

    await say_all(office, ADJUSTMENTS)
    adjusted = await office.say("mia", "/report tb 2025-12")
    assert await trial_balance(office, adjusted) == ADJUSTED
    assert sum(d for d, _c in ADJUSTED.values()) == sum(c for _d, c in ADJUSTED.values()) == 25271
    assert "The books balance." in text_of(adjusted)
    expenses = text_of(await office.say("mia", "/ledger 5602 2025-12"))
    assert re.findall(r"debit ([\d,.]+) →", expenses) == ["200.00", "100.00", "30.00", "21.00",
                                                          "200.00"]  # fmt: skip

    pl = text_of(await office.say("fay", "/报表 利润表 2025-12"))
    assert card_figure(pl, "营业收入") == 4200  # fees earned
    assert card_figure(pl, "营业利润") == 3649
    assert card_figure(pl, "净利润") == 3649  # net income
    bs_posted = await office.say("fay", "/报表 资产负债表 2025-12")
    bs = text_of(bs_posted)
    assert card_figure(bs, "货币资金") == 19900
    assert card_figure(bs, "资产总计") == 24499  # total assets
    assert card_figure(bs, "负债合计") == 1050
    assert card_figure(bs, "所有者权益合计") == 23449
    lines = {row[0]: row[1] for row in sheet_rows(bs_posted)}
    figures = {label: Decimal(str(lines[label])) for label in (
        "应收账款", "预付账款", "存货", "固定资产账面价值", "应付账款", "预收账款",
        "应付职工薪酬", "实收资本", "未分配利润")}  # fmt: skip
    assert figures == {
        "应收账款": 3000, "预付账款": 1100, "存货": 20, "固定资产账面价值": 479,
        "应付账款": 50, "预收账款": 800, "应付职工薪酬": 200, "实收资本": 20000,
        "未分配利润": 3449,  # retained earnings: 3,649 − 200 dividends
    }  # fmt: skip

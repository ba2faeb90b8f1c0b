"""/report (/报表) in chat, on SQLite (the words and who sees what are tested here; the figures
are test_finance_statements'): the hand-checked month's statements as cards in Chinese only and
in English; a manager sees their own department and is refused (and it is logged) another; a
sales rep sees nothing; a missing statement is asked for; an unknown department or a month that
does not exist is answered plainly."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import structlog
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from adapters.memory.client import Posted
from bot.config import Settings
from bot.replies import Card
from domain.finance.charts import install_chart
from domain.finance.posting import EntryRequest, LineRequest, post_entry
from domain.shared.errors import DomainError
from tests.integration.approvals_rig import Office, running_office
from tests.integration.erp_rig import NOW
from tests.integration.test_finance_statements import entries

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: 财务部, head: fay}
  - {name: sales, head: mia}
  - {name: admin}
members:
  - {handle: fay, name: 方芳, department: 财务部, roles: [finance], locale: zh_CN}
  - {handle: fred, name: Fred Books, department: 财务部, roles: [finance], locale: en}
  - {handle: mia, name: 米娅, department: sales, roles: [manager], locale: zh_CN}
  - {handle: nodept, name: 无部门, roles: [manager], locale: zh_CN}
  - {handle: bob, name: 李博 Bob, department: sales, roles: [sales], locale: zh_CN}
"""
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
async def books(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """The hand-checked month of 2026-11 in prc_small books."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:

        def posting(session: Session) -> None:
            install_chart(session, "prc_small")
            for entry in entries("prc_small"):
                post_entry(session, entry, NOW)

        await office.run(posting)
        yield office


def text_of(posted: Posted) -> str:
    message = posted.message
    if isinstance(message, Card):
        return "\n".join([message.title, message.body, message.footer])
    return str(message.text)


async def test_chinese_cards_are_chinese_only(books: Office) -> None:
    pl = text_of(await books.say("fay", "/报表 利润表 2026年11月"))
    assert "利润表 2026-11（全部部门）" in pl
    assert "营业收入：80,000.00（上期 0.00）" in pl
    assert "净利润：26,600.00（上期 0.00）" in pl
    bs = text_of(await books.say("fay", "/报表 资产负债表 2026-11"))
    assert "资产总计：607,000.00" in bs and "所有者权益合计：526,600.00" in bs
    cf = text_of(await books.say("fay", "/报表 现金流量表 2026-11"))
    assert "经营活动产生的现金流量净额：-13,000.00" in cf and "期末现金余额：493,000.00" in cf
    tb = text_of(await books.say("fay", "/报表 试算平衡表 2026-11"))
    assert "借方合计：920,800.00" in tb and "账目平衡" in tb
    for card in (pl, bs, cf, tb):
        assert not LATIN.search(card), card


async def test_english_cards(books: Office) -> None:
    bs = text_of(await books.say("fred", "/report bs 2026-11"))
    assert "Balance sheet 2026-11 (all departments)" in bs
    assert "Total assets: 607,000.00 (previous period 0.00)" in bs
    pl = text_of(await books.say("fred", "/report pl 2026-11 admin"))
    assert "Net profit: -3,400.00" in pl and "(admin)" in pl
    tb = text_of(await books.say("fred", "/report tb 2026-11"))
    assert "Debits: 920,800.00" in tb and "The books balance." in tb


async def test_the_previous_period_beside(books: Office) -> None:
    def december(session: Session) -> None:
        sale = EntryRequest(
            "GJ",
            NOW.date(),
            [
                LineRequest("1002", debit=Decimal(10000)),
                LineRequest("5001", credit=Decimal(10000)),
            ],
        )
        post_entry(session, sale, NOW)

    await books.run(december)
    pl = text_of(await books.say("fred", "/report pl 2026-12"))
    assert "Operating revenue: 10,000.00 (previous period 80,000.00)" in pl
    both = text_of(await books.say("fay", "/报表 利润表 2026年11月到12月"))
    assert "净利润：36,600.00" in both and "2026-11..2026-12" in both


async def test_a_manager_sees_their_department_only(books: Office) -> None:
    own = text_of(await books.say("mia", "/报表 利润表 2026-11"))
    assert "（sales）" in own and "净利润：30,000.00" in own
    with structlog.testing.capture_logs() as logs:
        other = text_of(await books.say("mia", "/报表 利润表 2026-11 admin"))
        nothing = text_of(await books.say("bob", "/报表 利润表 2026-11"))
        homeless = text_of(await books.say("nodept", "/报表 利润表 2026-11"))
    assert "只能查看 sales 的数据" in other and "26,600" not in other and "3,400" not in other
    assert "无权查看账簿" in nothing and "26,600" not in nothing
    assert "无权查看账簿" in homeless
    refusals = [e for e in logs if e["event"] == "refused.permission"]
    assert len(refusals) == 3


async def test_what_is_missing_is_asked_and_bad_words_answered(books: Office) -> None:
    asked = text_of(await books.say("fay", "/报表 2026-11"))
    assert "报表？" in asked
    unknown = text_of(await books.say("fay", "/报表 利润表 2026-11 仓储部"))
    assert "没有部门 仓储部" in unknown
    nonsense = text_of(await books.say("fred", "/report pl 2026-13"))
    assert "2026-13 is not a month (YYYY-MM)." in nonsense
    chinese = text_of(await books.say("fay", "/报表 利润表 2026年13月"))
    assert "2026年13月 不是月份" in chinese


async def test_books_set_up_and_a_month_closed_in_chat(sqlite_settings: Settings) -> None:
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        refused = text_of(await office.say("mia", "/账簿 建账 小企业会计准则"))
        assert refused == "你没有权限使用 /账簿。"
        asked = text_of(await office.say("fay", "/账簿 建账"))
        assert "科目表？" in asked
        made = text_of(await office.say("fay", "/账簿 建账 小企业会计准则"))
        assert "已按科目表 prc_small 建账：共 69 个科目。" in made
        again = text_of(await office.say("fred", "/books setup prc_small"))
        assert again == "The books already use the chart prc_small."
        other = text_of(await office.say("fred", "/books setup ifrs"))
        assert "already use the chart prc_small" in other
        closed = text_of(await office.say("fay", "/期间 结账 2026年11月"))
        assert "2026-11 已结账" in closed

        def late_entry(session: Session) -> None:
            late = entries("prc_small")[0]
            post_entry(session, late, NOW)

        with pytest.raises(DomainError, match="closed"):
            await office.run(late_entry)
        reopened = text_of(await office.say("fred", "/period reopen 2026-11"))
        assert reopened == "Period 2026-11 is open again."
        await office.run(late_entry)
        refused_close = text_of(await office.say("mia", "/期间 结账 2026-11"))
        assert refused_close == "你没有权限使用 /期间。"
        both = text_of(await office.say("fay", "/期间 结账 2026年10月到11月"))
        assert "一次只能" in both


async def test_the_chart_xlsx_and_pdf_come_with_the_card_and_agree_with_it(books: Office) -> None:
    posted = await books.say("fay", "/报表 资产负债表 2026-11")
    card = text_of(posted)
    assert isinstance(posted.message, Card)
    files = {a.name: a for a in posted.message.attachments}
    assert list(files) == [
        "资产负债表-2026-11.png",
        "资产负债表-2026-11.xlsx",
        "资产负债表-2026-11.pdf",
    ]
    chart = files["资产负债表-2026-11.png"]
    assert chart.is_image and chart.data.startswith(b"\x89PNG")  # shown, not a download
    assert files["资产负债表-2026-11.pdf"].data.startswith(b"%PDF-")
    assert files["资产负债表-2026-11.pdf"].content_type == "application/pdf"
    xlsx = files["资产负债表-2026-11.xlsx"].data
    sheet = load_workbook(io.BytesIO(xlsx), data_only=True).active
    cells = {row[0]: row[1] for row in sheet.iter_rows(min_row=6, values_only=True)}
    for label in ("货币资金", "资产总计", "负债合计", "所有者权益合计"):
        on_card = re.search(rf"{label}：([-\d,.]+)（", card)
        assert on_card is not None, (label, card)
        assert Decimal(on_card[1].replace(",", "")) == Decimal(str(round(cells[label], 2)))


async def test_an_accounts_lines(books: Office) -> None:
    posted = await books.say("fay", "/明细账 银行存款 2026年11月")
    bank = text_of(posted)
    assert "1002 银行存款 2026-11（全部部门）" in bank
    assert "期初余额：0.00" in bank
    assert "2026-11-15 GJ2026-00005 贷 60,000.00 → 440,000.00" in bank
    assert "借方 580,000.00，贷方 87,000.00；期末余额：493,000.00" in bank
    assert not LATIN.search(bank.replace("GJ", "")), bank
    assert isinstance(posted.message, Card)
    assert_ledger_files(posted.message, bank)
    taxes = text_of(await books.say("fred", "/ledger 2221 2026-11"))
    assert "2221 Taxes payable" in taxes and "closing balance: -2,600.00" in taxes
    own = text_of(await books.say("mia", "/明细账 1122 2026-11"))
    assert "（sales）" in own and "期末余额：90,400.00" in own
    with structlog.testing.capture_logs() as logs:
        refused = text_of(await books.say("bob", "/明细账 1122 2026-11"))
    assert "无权查看账簿" in refused
    assert [e["command"] for e in logs if e["event"] == "refused.permission"] == ["ledger"]
    unknown = text_of(await books.say("fay", "/明细账 9999 2026-11"))
    assert "没有科目 9999" in unknown


def assert_ledger_files(card: Card, text: str) -> None:
    """The card's XLSX has every line with the card's running balances, as formulas whose
    values are cached, and its PDF the same figures in Chinese."""
    files = {a.name: a.data for a in card.attachments}
    assert set(files) == {"明细账-1002-2026-11.xlsx", "明细账-1002-2026-11.pdf"}
    sheet = load_workbook(io.BytesIO(files["明细账-1002-2026-11.xlsx"]), data_only=True).active
    assert sheet.title == "明细账" and sheet["A1"].value == "明细账 1002 银行存款"
    rows = list(sheet.iter_rows(min_row=7, values_only=True))
    assert rows[0][2] == "期初余额" and rows[-1][2] == "本期合计"
    on_card = re.findall(r"(GJ2026-\d+) [借贷] [\d,.]+ → ([-\d,.]+)", text)
    in_sheet = [(row[1], f"{row[6]:,.2f}") for row in rows[1:-1]]
    assert in_sheet == on_card and len(on_card) >= 3
    assert rows[-1][4:] == (580000, 87000, 493000)
    formulas = load_workbook(io.BytesIO(files["明细账-1002-2026-11.xlsx"])).active
    assert str(formulas.cell(8, 7).value).startswith("=G7+")  # the balance runs on
    if shutil.which("pdftotext") is None:
        return
    pdf = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=files["明细账-1002-2026-11.pdf"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "明细账 1002 银行存款" in pdf and "493,000.00" in pdf and "本期合计" in pdf

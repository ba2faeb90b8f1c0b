"""Manual entries and the year-end close in chat, on SQLite (the posting rules and the closing
figures are tested on both databases in test_finance_ledger and test_finance_closing; here the
words): /记账 and /entry as people type them, several lines, accounts by code or name, a
department; a redelivered message posts once; refusals in the reader's language with nothing
written; what is missing is asked; /entry reverse; /期间 年结; who may."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from domain.finance.charts import install_chart
from domain.finance.models import Entry, EntryLine
from domain.finance.reading import account_balance
from tests.integration.approvals_rig import Office, running_office
from tests.integration.test_finance_report_chat import ORG, text_of


@pytest.fixture
async def books(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(lambda s: install_chart(s, "prc_small"))
        yield office


async def entry_count(office: Office) -> int:
    return await office.count(select(func.count()).select_from(Entry))


async def test_entries_typed_in_chinese_and_english_post_once(books: Office) -> None:
    typed = "/记账 2026-11-05 借 管理费用 500 贷 库存现金 500 备注 办公用品"
    first_posted = await books.say("fay", typed, event_id="e-1")
    first = text_of(first_posted)
    assert first.splitlines()[:4] == [
        "凭证 GJ2026-00001 已过账",
        "2026-11-05 办公用品",
        "借 5602 管理费用 500.00",
        "贷 1001 库存现金 500.00",
    ]
    again = await books.say("fay", typed, event_id="e-1")  # redelivered
    assert "GJ2026-00001" in text_of(again)
    assert again.message_id == first_posted.message_id or "此前已过账" in text_of(again)
    assert await entry_count(books) == 1

    english = text_of(
        await books.say(
            "fred",
            '/entry 2026-11-06 dr 1405 1,000 dr 22210101 130 cr 2202 1130 memo "goods bought" '
            "department=sales",
        )
    )
    assert "Entry GJ2026-00002 posted" in english and "goods bought" in english
    assert "Dr 22210101 Input VAT 130.00 (sales)" in english
    assert "Cr 2202 Accounts payable 1,130.00 (sales)" in english
    glued = text_of(await books.say("fay", "/记账 借管理费用3万 贷：银行存款 3万 摘要=房租"))
    assert "借 5602 管理费用 30,000.00" in glued and "2026-11-30 房租" in glued
    day = books.clock.now().date()
    balances = await books.run(
        lambda s: [account_balance(s, code, day) for code in ("5602", "1001", "2202", "1002")]
    )
    assert balances == [30500, -500, 1130, -30000]


async def test_refusals_say_every_problem_and_write_nothing(books: Office) -> None:
    unbalanced = text_of(await books.say("fay", "/记账 借 5602 500 贷 1001 400"))
    assert "借方合计 500 与贷方合计 400 不相等" in unbalanced
    unknown = text_of(await books.say("fred", "/entry dr 办公费 500 cr 2221 500"))
    assert "line 1: there is no account 办公费" in unknown
    assert "line 2: account 2221 has sub-accounts" in unknown
    await books.say("fay", "/期间 结账 2026-10")
    closed = text_of(await books.say("fay", "/记账 2026-10-31 借 5602 500 贷 1001 500"))
    assert "会计期间 2026-10 已结账" in closed
    asked = text_of(await books.say("fay", "/记账 2026-11-05 办公用品"))
    assert "分录？" in asked
    amount = text_of(await books.say("fay", "/记账 借 5602 500 贷 1001"))
    assert "金额？" in amount
    assert await entry_count(books) == 0
    with structlog.testing.capture_logs() as logs:
        refused = text_of(await books.say("bob", "/记账 借 5602 500 贷 1001 500"))
    assert refused == "你没有权限使用 /记账。"
    assert any(e["event"] == "refused.permission" for e in logs)
    assert await entry_count(books) == 0


async def test_an_entry_reversed_once(books: Office) -> None:
    await books.say("fay", "/记账 2026-11-05 借 5602 500 贷 1001 500")
    mirror = text_of(await books.say("fay", "/记账 冲销 gj2026-00001"))
    assert "凭证 GJ2026-00002 已过账" in mirror and "贷 5602 管理费用 500.00" in mirror
    again = text_of(await books.say("fred", "/entry reverse GJ2026-00001"))
    assert "GJ2026-00002" in again and "posted before" in again
    missing = text_of(await books.say("fred", "/entry reverse GJ2026-00099"))
    assert "There is no entry GJ2026-00099." in missing
    day = books.clock.now().date()
    assert await books.run(lambda s: account_balance(s, "5602", day)) == 0


async def test_closing_a_year_in_chat(books: Office) -> None:
    await books.say("fay", "/记账 2025-06-30 借 1002 800 贷 5001 800")
    await books.say("fay", "/记账 2025-07-31 借 5602 300 贷 1002 300")
    not_over = text_of(await books.say("fred", "/period close-year 2026"))
    assert "The year 2026 is not over yet." in not_over
    closed = text_of(await books.say("fay", "/期间 年结 2025年"))
    assert "2025 年已年结" in closed and "500.00" in closed
    assert "GJ2025-00003, GJ2025-00004" in closed
    again = text_of(await books.say("fred", "/period close-year 2025"))
    assert "closed before" in again
    lines = await books.count(select(func.count()).select_from(EntryLine))
    assert lines == 4 + 3 + 2
    day = books.clock.now().date()

    def balances(s: Session) -> list[object]:
        return [account_balance(s, code, day) for code in ("5001", "5602", "3103", "3104")]

    assert await books.run(balances) == [0, 0, 0, 500]
    late = text_of(await books.say("fay", "/记账 2025-03-01 借 5602 1 贷 1001 1"))
    assert "会计期间 2025-03 已结账" in late
    asked = text_of(await books.say("fay", "/期间 年结"))
    assert "年度？" in asked


async def test_a_year_with_nothing_to_close_closes_once_and_again_says_so(books: Office) -> None:
    first = text_of(await books.say("fay", "/期间 年结 2024年"))
    assert "2024 年已年结" in first and "此前已年结" not in first
    again = text_of(await books.say("fay", "/期间 年结 2024年"))
    assert "2024 年已年结" in again and "此前已年结" in again
    assert await books.count(select(func.count()).select_from(EntryLine)) == 0

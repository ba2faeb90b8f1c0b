"""Receivables and payables in chat, on SQLite: deliveries booked by the consumer become open
invoices; /收款 records a receipt once however often the message is redelivered, pays the named
invoice or the oldest, keeps an over-payment as a credit; /应收 ages and shows a statement; a
zero price reaches the finance members as a card in their language; who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.finance.charts import install_chart
from domain.finance.items_models import OpenItem, Payment
from domain.finance.models import Account, EntryLine
from domain.finance.reading import account_balance
from domain.shared.domain_events import record_event
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: fay, name: 方会计, department: Management, roles: [finance], locale: zh_CN}
  - {handle: fred, name: Fred Books, department: Management, roles: [finance], locale: en}
  - {handle: bob, name: 李博 Bob, department: Management, roles: [sales], locale: zh_CN}
"""


def delivery(number: int, customer: str, customer_id: int, price: str) -> dict[str, object]:
    """An ``order.delivered`` payload as the ERP records it (one line, 13 % VAT)."""
    line = {"product_id": 0, "sku": "BOLT-M6", "quantity": "10", "unit_price": price,
            "tax_rate": "0.13", "cost": "0", "move_id": number}  # fmt: skip
    return {
        "order": f"SO2026-0000{number}", "order_id": number, "customer_id": customer_id,
        "customer": customer, "currency": "CNY", "delivery_id": number, "lines": [line],
    }  # fmt: skip


async def deliver(office: Office, number: int, customer: str, cid: int, price: str) -> None:
    payload = delivery(number, customer, cid, price)
    now = office.clock.now()
    await office.run(
        lambda s: record_event(s, "order.delivered", "erp_delivery", str(number), payload, now)
    )
    await office.runtime.settle()


@pytest.fixture
async def books(sqlite_settings: Settings) -> AsyncIterator[Office]:
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet, extra=(), org=ORG) as office:
        await office.run(lambda s: install_chart(s, "prc_small"))
        await deliver(office, 1, "杭州明远科技", 7, "100")  # 1,130.00
        await deliver(office, 2, "杭州明远科技", 7, "50")  # 565.00
        await deliver(office, 3, "Acme Trading", 8, "10")  # 113.00
        yield office


async def open_amounts(office: Office) -> list[Decimal]:
    def read(s: Session) -> list[Decimal]:
        return list(s.scalars(select(OpenItem.open_amount).order_by(OpenItem.id)))

    return await office.run(read)


async def test_a_receipt_pays_the_oldest_invoice_once_and_keeps_the_rest_as_credit(
    books: Office,
) -> None:
    assert await open_amounts(books) == [Decimal("1130"), Decimal("565"), Decimal("113")]
    first = await books.say("fay", "/收款 明远 1200", event_id="pay-1")
    again = await books.say("fay", "/收款 明远 1200", event_id="pay-1")  # redelivered
    assert isinstance(first.message, Card) and first.message.title == "已收到 杭州明远科技 1,200.00"
    assert "SJ2026-00001: 1,130.00" in text_of(first) and "SJ2026-00002: 70.00" in text_of(first)
    assert again.message_id == first.message_id or "此前已记录" in text_of(again)
    assert await books.count(select(func.count()).select_from(Payment)) == 1
    assert await open_amounts(books) == [Decimal(0), Decimal("495"), Decimal("113")]

    named = await books.say("fred", "/receipt Acme 150 invoice=SJ2026-00003")
    assert "Left as a credit" in text_of(named) and "37.00" in text_of(named)
    day = books.clock.now().date()
    balances = await books.run(
        lambda s: (account_balance(s, "1122", day), account_balance(s, "2203", day))
    )
    assert balances == (Decimal("495"), Decimal("37"))
    assert await open_amounts(books) == [Decimal(0), Decimal("495"), Decimal(0)]


async def test_ageing_and_a_statement_of_account_in_chinese(books: Office) -> None:
    aged = await books.say("fay", "/应收")
    text = text_of(aged)
    assert "杭州明远科技: 1,695.00" in text and "Acme Trading: 113.00" in text
    assert "合计" in text and "1,808.00" in text
    await books.say("fay", "/收款 明远 1000")
    told = text_of(await books.say("fay", "/应收 明远"))
    assert "对账单：杭州明远科技" in told and "695.00" in told


async def test_a_zero_price_reaches_finance_in_their_language_and_nothing_is_guessed(
    books: Office,
) -> None:
    await deliver(books, 4, "Acme Trading", 8, "0")
    zh = books.card("fay")
    en = books.card("fred")
    assert zh.title == "有单据需要您处理" and "BOLT-M6" in zh.body
    assert en.title == "A document needs you" and "has no price for BOLT-M6" in en.body
    assert len(await open_amounts(books)) == 3


async def test_who_may_record_and_read(books: Office) -> None:
    with structlog.testing.capture_logs() as logs:
        refused = await books.say("bob", "/收款 明远 100")
        read_refused = await books.say("bob", "/应收")
    assert "没有权限使用 /收款" in text_of(refused) and "/应收" in text_of(read_refused)
    assert [e["event"] for e in logs].count("refused.permission") == 2
    assert "Receivables on" in text_of(await books.say("alice", "/ar"))  # admins read
    assert "You may not use /receipt" in text_of(await books.say("alice", "/receipt Acme 5"))
    assert await books.count(select(func.count()).select_from(Payment)) == 0


async def test_bad_input_is_refused_clearly_and_nothing_is_written(books: Office) -> None:
    unknown = text_of(await books.say("fred", "/receipt Nobody 100"))
    assert "Nobody has no documents in the books." in unknown
    wrong = text_of(await books.say("fred", "/receipt Acme 100 invoice=SJ2099-00001"))
    assert "SJ2099-00001 is not an open document of Acme Trading." in wrong
    asked = text_of(await books.say("fred", "/receipt Acme"))
    assert asked.startswith("amount?")
    assert await books.count(select(func.count()).select_from(Payment)) == 0


async def test_an_expense_approved_in_chat_is_owed_to_the_claimant_with_their_department(
    sqlite_settings: Settings,
) -> None:
    async with running_office(sqlite_settings) as office:
        await office.run(lambda s: install_chart(s, "prc_small"))
        n = await office.submit("bob", '/expense amount=300 category=meals reason="client lunch"')
        await office.tap("carol", button(office.card("carol", n), "Approve").token)
        await office.runtime.settle()

        def booked(s: Session) -> tuple[list[tuple[str, Decimal, Decimal, str]], list[str]]:
            rows = s.execute(
                select(Account.code, EntryLine.debit, EntryLine.credit, EntryLine.department)
                .join(Account, Account.id == EntryLine.account_id)
                .order_by(EntryLine.id)
            )
            owed = s.scalars(select(OpenItem.party_name))
            return [tuple(r) for r in rows], list(owed)  # type: ignore[misc]

        lines, owed = await office.run(booked)
        assert lines == [
            ("5602", Decimal("300.00"), Decimal(0), "Sales"),
            ("2241", Decimal(0), Decimal("300.00"), ""),
        ]
        assert len(owed) == 1

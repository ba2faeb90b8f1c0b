"""Finance postings under concurrency, on PostgreSQL: the finance consumer run by five
transactions at once over one delivery books one invoice, one cost entry, one open item and one
payment reminder (with and without SKIP LOCKED, and when the handler itself runs five times at
once); and one receipt message handled five times at once records one payment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.finance.charts import install_chart
from domain.finance.items_models import CUSTOMER, OpenItem, Payment
from domain.finance.models import Entry
from domain.finance.open_items import Party, PaymentRequest, Recorded, record_payment
from domain.finance.reading import account_balance
from domain.flows import finance_postings
from domain.flows.consumers import Consumer, consume
from domain.flows.payment_reminders import KIND
from domain.shared.db import AsyncDatabase
from domain.shared.domain_events import DomainEvent, events_named, record_event
from domain.timers.models import Timer
from tests.integration.erp_rig import NOW, racing_database

pytestmark = pytest.mark.pg
RACERS = 5
DAY = NOW.date()
LINE = {"product_id": 0, "sku": "X", "quantity": "2", "unit_price": "50", "tax_rate": "0.13",
        "cost": "30"}  # fmt: skip
PAYLOAD = {"order": "SO2026-00001", "customer_id": 7, "customer": "Acme", "currency": "CNY",
           "lines": [LINE]}  # fmt: skip


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, RACERS * 2) as database:

        def setup(s: Session) -> None:
            install_chart(s, "prc_small")
            record_event(s, "order.delivered", "erp_delivery", "1", PAYLOAD, NOW)

        await database.run(setup)
        yield database


def handle(session: Session, event: DomainEvent, _context: None) -> None:
    finance_postings.book(session, event, NOW)


CONSUMER = Consumer(finance_postings.CONSUMER, finance_postings.EVENTS, handle)


async def booked_once(db: AsyncDatabase) -> None:
    def read(s: Session) -> tuple[int, int, Decimal, int]:
        entries = s.scalar(select(func.count()).select_from(Entry)) or 0
        items = s.scalar(select(func.count()).select_from(OpenItem)) or 0
        reminders = select(func.count()).select_from(Timer).where(Timer.kind == KIND)
        return entries, items, account_balance(s, "1122", DAY), s.scalar(reminders) or 0

    assert await db.run(read) == (2, 1, Decimal("113.00"), 1)  # one reminder set


@pytest.mark.parametrize("skip_locked", [True, False])
async def test_five_consumers_racing_on_one_delivery_book_it_once(
    db: AsyncDatabase, skip_locked: bool
) -> None:
    def run(s: Session) -> int:
        return consume(s, CONSUMER, None, NOW, skip_locked=skip_locked).applied

    applied = await asyncio.gather(*(db.run(run) for _ in range(RACERS)))
    assert sum(applied) == 1
    await booked_once(db)


async def test_the_handler_racing_itself_books_once(db: AsyncDatabase) -> None:
    def run(s: Session) -> None:
        (event,) = events_named(s, "order.delivered")
        finance_postings.book(s, event, NOW)

    await asyncio.gather(*(db.run(run) for _ in range(RACERS)))
    await booked_once(db)


async def test_one_receipt_message_handled_five_times_at_once_records_one_payment(
    db: AsyncDatabase,
) -> None:
    await db.run(lambda s: consume(s, CONSUMER, None, NOW))
    request = PaymentRequest("chat:web:e1", Party(CUSTOMER, 7, "Acme"), DAY, Decimal("150"))

    def pay(s: Session) -> Recorded:
        return record_payment(s, request, NOW)

    results = await asyncio.gather(*(db.run(pay) for _ in range(RACERS)))
    assert sorted(r.new for r in results) == [False] * (RACERS - 1) + [True]
    assert await db.run(lambda s: s.scalar(select(func.count()).select_from(Payment))) == 1
    balances = await db.run(
        lambda s: (account_balance(s, "1122", DAY), account_balance(s, "2203", DAY))
    )
    assert balances == (Decimal(0), Decimal("37.00"))


async def test_a_first_payment_racing_on_a_party_without_items_records_one(
    db: AsyncDatabase,
) -> None:
    request = PaymentRequest("chat:web:e2", Party(CUSTOMER, 9, "Zed"), date(2026, 12, 7),
                             Decimal("10"))  # fmt: skip
    results = await asyncio.gather(
        *(db.run(lambda s: record_payment(s, request, NOW)) for _ in range(RACERS))
    )
    assert sum(r.new for r in results) == 1
    assert {r.payment.id for r in results} == {results[0].payment.id}

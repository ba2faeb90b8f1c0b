"""Sales under concurrency, on PostgreSQL (the row locks are the database's): 200 orders of one
unit confirmed at once, each in its own transaction, with 100 units on hand reserve exactly 100
and backorder the rest, never over-reserving; and 100 orders created at once (with 20 more that
roll back after taking a number) get the numbers 1 to 100 with no gap and no repeat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.sales import LineRequest, Party, confirm_order, create_document
from domain.erp.sales_events import backordered
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.erp.stock import post_move
from domain.shared.db import AsyncDatabase
from domain.shared.domain_events import events_named
from tests.integration.erp_rig import NOW, racing_database, receipt, seeded

pytestmark = pytest.mark.pg
POOL = 10  # and as many in overflow: within PostgreSQL's 100 beside the other test worker
ORDERS = 200
ON_HAND = 100
CREATED = 100
ABANDONED = 20
ACME = Party(customer_id=7, customer_name="Acme", owner_id=None)


class Abandoned(Exception):
    """A transaction given up after it took a number."""


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, POOL) as database:
        yield database


async def test_200_concurrent_confirmations_with_100_on_hand_reserve_exactly_100(
    db: AsyncDatabase,
) -> None:
    def drafts(s: Session) -> tuple[int, list[int]]:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, str(ON_HAND), "opening"), None, NOW)
        line = [LineRequest(product.id, Decimal(1))]
        orders = [create_document(s, "order", ACME, sh, line, NOW) for _ in range(ORDERS)]
        return product.id, [o.id for o in orders]

    product_id, order_ids = await db.run(drafts)

    def confirming(order_id: int) -> Callable[[Session], bool]:
        return lambda s: confirm_order(s, order_id, NOW)

    confirmed = await asyncio.gather(*(db.run(confirming(o)) for o in order_ids))
    assert all(confirmed)

    def settled(s: Session) -> tuple[Decimal, Decimal, int, int]:
        lines = list(s.scalars(select(SalesLine)))
        stock = availability(s, product_id)
        assert stock.available >= 0 and all(x.reserved >= 0 for x in lines)
        assert stock.reserved == stock.on_hand == ON_HAND
        reserved = sum((x.reserved for x in lines), Decimal(0))
        waiting = sum((backordered(x) for x in lines), Decimal(0))
        return reserved, waiting, len(events_named(s, "order.confirmed")), len(lines)

    assert await db.run(settled) == (Decimal(ON_HAND), Decimal(ORDERS - ON_HAND), ORDERS, ORDERS)


async def test_100_concurrent_order_creations_get_100_numbers_without_a_gap(
    db: AsyncDatabase,
) -> None:
    def stocked(s: Session) -> tuple[int, int]:
        product, sh, _bj = seeded(s)
        return product.id, sh

    product_id, place = await db.run(stocked)
    line = [LineRequest(product_id, Decimal(1))]

    def create(s: Session) -> str:
        return create_document(s, "order", ACME, place, line, NOW).number

    def abandon(s: Session) -> str:
        create_document(s, "order", ACME, place, line, NOW)
        raise Abandoned

    async def attempt(n: int) -> str | None:
        try:
            return await db.run(abandon if n % 6 == 5 else create)
        except Abandoned:
            return None

    tries = CREATED + ABANDONED
    numbers = [n for n in await asyncio.gather(*(attempt(n) for n in range(tries))) if n]
    expected = [f"SO2026-{n:05d}" for n in range(1, CREATED + 1)]
    assert sorted(numbers) == expected
    stored = await db.run(lambda s: sorted(s.scalars(select(SalesDocument.number))))
    assert stored == expected

"""Receiving under concurrency, on PostgreSQL (row locks are the database's): ten receipts of the
whole open quantity of one order line at once, each on its own connection; the order's lines are
locked before the open quantity is read, so exactly one receives it and the stock is the order's
quantity, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.purchase_models import PurchaseOrder
from domain.erp.purchasing import place_order
from domain.erp.receiving import Inspected, receive
from domain.erp.warehouses import warehouse_by_code
from domain.shared.db import AsyncDatabase
from domain.shared.errors import Conflict
from tests.integration.erp_rig import NOW, racing_database, seeded
from tests.integration.test_erp_purchasing import approved_request, supplier

pytestmark = pytest.mark.pg
RECEIVERS = 10


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, RECEIVERS) as database:
        yield database


async def test_of_ten_concurrent_receipts_of_one_open_line_exactly_one_receives_it(
    db: AsyncDatabase,
) -> None:
    def ordered(s: Session) -> tuple[int, int]:
        product, _sh, _bj = seeded(s)
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        request = approved_request(s, product.id, "10")
        order, _new = place_order(s, request, supplier(s, "Acme"), warehouse, None, NOW)
        return product.id, order.id

    product_id, order_id = await db.run(ordered)

    async def one(n: int) -> bool:
        def work(s: Session) -> None:
            order = s.get_one(PurchaseOrder, order_id)
            goods = [Inspected(product_id, Decimal(9), Decimal(1))]
            receive(s, order, goods, f"receipt-{n}", None, NOW, NOW.date())

        try:
            await db.run(work)
        except Conflict:
            return False
        return True

    won = await asyncio.gather(*(one(n) for n in range(RECEIVERS)))
    stock = await db.run(lambda s: availability(s, product_id))
    assert sum(won) == 1
    assert (stock.on_hand, stock.incoming) == (Decimal(9), Decimal(0))

"""Reservations under concurrency, on PostgreSQL (row locks are the database's): 50 transactions at
once, each on its own connection, reserve one unit of a product with 25 on hand; exactly 25 win,
the rest are refused, and nothing is ever over-reserved (odoo#32857: 20 processes reserved 10)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.stock import post_move, reserve
from domain.shared.db import AsyncDatabase, open_database
from domain.shared.errors import Conflict
from tests.integration.erp_rig import NOW, receipt, seeded
from tests.support import create_pg_database, drop_pg_database

pytestmark = pytest.mark.pg
RESERVERS = 50


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    url = await create_pg_database(template=pg_template)
    database = open_database(url, pool_size=RESERVERS)
    assert isinstance(database, AsyncDatabase)
    try:
        yield database
    finally:
        await database.dispose()
        await drop_pg_database(url)


async def test_fifty_concurrent_reservations_of_twenty_five_units_reserve_exactly_twenty_five(
    db: AsyncDatabase,
) -> None:
    def stocked(s: Session) -> tuple[int, int]:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, "25", "opening"), None, NOW)
        return product.id, sh

    product_id, place = await db.run(stocked)

    async def one() -> bool:
        try:
            await db.run(lambda s: reserve(s, product_id, place, Decimal(1)))
        except Conflict:
            return False
        return True

    won = await asyncio.gather(*(one() for _ in range(RESERVERS)))
    stock = await db.run(lambda s: availability(s, product_id))
    assert sum(won) == 25
    assert (stock.on_hand, stock.reserved, stock.available) == (
        Decimal(25),
        Decimal(25),
        Decimal(0),
    )

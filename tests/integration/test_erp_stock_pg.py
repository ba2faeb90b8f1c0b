"""Stock under concurrency, on PostgreSQL (row locks are the database's): 50 transactions at once,
each on its own connection, reserve one unit of a product with 25 on hand; exactly 25 win, the
rest are refused, and nothing is ever over-reserved (odoo#32857: 20 processes reserved 10). Then
50 concurrent deliveries of one unit: 25 go out, stock ends at 0 with no value left, and the
balance is the sum of its moves (odoo#32160, erpnext#51562: balances drifting from the ledger)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.stock import MoveRequest, post_move, release, reserve
from domain.shared.db import AsyncDatabase
from domain.shared.errors import Conflict
from tests.integration.erp_rig import NOW, balances, ledger_sums, racing_database, receipt, seeded

pytestmark = pytest.mark.pg
RESERVERS = 50
# Connections at once: the pool and as many again in overflow (20). Enough for the races, and
# within PostgreSQL's 100 connections while the other test worker's tests run beside this one.
CONNECTIONS = 10


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, CONNECTIONS) as database:
        yield database


async def test_of_fifty_concurrent_reservations_and_deliveries_of_25_units_exactly_25_succeed(
    db: AsyncDatabase,
) -> None:
    def stocked(s: Session) -> tuple[int, int]:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, "25", "opening"), None, NOW)
        return product.id, sh

    product_id, place = await db.run(stocked)

    async def one() -> bool:
        try:
            await db.run(lambda s: reserve(s, product_id, place, Decimal(1), NOW))
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

    await db.run(lambda s: release(s, product_id, place, Decimal(25), NOW))

    async def deliver(n: int) -> bool:
        try:
            await db.run(lambda s: post_move(s, delivery_of(product_id, place, n), None, NOW))
        except Conflict:
            return False
        return True

    shipped = await asyncio.gather(*(deliver(n) for n in range(RESERVERS)))
    assert sum(shipped) == 25

    def settled(s: Session) -> tuple[Decimal, Decimal, dict[int, tuple[Decimal, Decimal]]]:
        held = balances(s, product_id)[place]
        return held.on_hand, held.value, ledger_sums(s, product_id)

    on_hand, value, sums = await db.run(settled)
    assert (on_hand, value) == (Decimal(0), Decimal(0)) == sums[place]


def delivery_of(product_id: int, place: int, n: int) -> MoveRequest:
    """One unit out, under its own key."""
    return MoveRequest("delivery", product_id, Decimal(1), f"so-{n}", from_location=place)

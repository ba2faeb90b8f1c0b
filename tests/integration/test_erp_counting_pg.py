"""A stock take's approval racing deliveries of the same product and a second approval, on
PostgreSQL (the row locks are the database's): the adjustment is posted once, the deliveries are
kept, and the balance is the sum of its moves (odoo#62139: an inventory adjustment during
pickings left quants that disagreed with the moves)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.directory.models import Member
from domain.erp.counting import approve, finish_counting, record_count, start_stock_take
from domain.erp.models import StockMove
from domain.erp.stock import MoveRequest, post_move
from domain.erp.warehouses import warehouse_by_code
from domain.shared.db import AsyncDatabase
from tests.integration.erp_rig import NOW, balances, ledger_sums, racing_database, receipt, seeded

pytestmark = pytest.mark.pg
DELIVERIES = 5


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, DELIVERIES + 2) as database:
        yield database


async def test_an_approval_racing_deliveries_and_itself_keeps_the_balance_the_sum_of_moves(
    db: AsyncDatabase,
) -> None:
    def counted(s: Session) -> tuple[int, int, int]:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, "20", "opening"), None, NOW)
        counter = Member(handle="ann", name="Ann", created_at=NOW, updated_at=NOW)
        s.add(counter)
        s.flush()
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        take = start_stock_take(s, warehouse, counter.id, NOW)
        record_count(s, take, product, counter.id, Decimal(17), NOW)
        finish_counting(s, take, NOW)
        return product.id, sh, take.id

    product_id, place, take_id = await db.run(counted)

    async def approval() -> bool:
        return (await db.run(lambda s: approve(s, take_id, None, NOW))).new

    async def deliver(n: int) -> None:
        shipped = MoveRequest("delivery", product_id, Decimal(1), f"d{n}", from_location=place)
        await db.run(lambda s: post_move(s, shipped, None, NOW))

    approvals = [approval() for _ in range(2)]
    results = await asyncio.gather(*approvals, *(deliver(n) for n in range(DELIVERIES)))
    assert sorted(bool(r) for r in results[:2]) == [False, True]  # the second approval does nothing

    def settled(s: Session) -> tuple[Decimal, dict[int, tuple[Decimal, Decimal]], int, Decimal]:
        held = balances(s, product_id)[place]
        adjustments = s.scalar(
            select(func.count()).select_from(StockMove).where(StockMove.kind == "adjustment")
        )
        return held.on_hand, ledger_sums(s, product_id), adjustments or 0, held.value

    on_hand, sums, adjustments, value = await db.run(settled)
    assert on_hand == Decimal(20 - DELIVERIES - 3) and adjustments == 1
    assert sums[place] == (on_hand, value)

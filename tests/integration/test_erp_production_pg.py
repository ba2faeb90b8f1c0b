"""Production reports under concurrency, on PostgreSQL (the row locks are the database's): 20
reports of one stool each race on an order of 10, and the same report arrives 5 times at once.
Exactly 10 are made, the components consumed match them, nothing is reported twice, and every
balance still equals its ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.erp.boms import ComponentRequest, set_bom
from domain.erp.catalog import add_product
from domain.erp.levels import availability
from domain.erp.production import create_production, release_production, report_production
from domain.erp.production_models import ProductionOrder, ProductionReport
from domain.erp.stock import post_move
from domain.shared.db import AsyncDatabase
from domain.shared.errors import Conflict
from tests.integration.erp_rig import NOW, balances, ledger_sums, racing_database, receipt, seeded

pytestmark = pytest.mark.pg
POOL = 10
RACERS = 20
MADE = 10


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, POOL) as database:
        yield database


def released_order(s: Session) -> tuple[int, list[int]]:
    legs, sh, _bj = seeded(s, "LEG", kind="raw")
    stool = add_product(s, "STOOL", {"name_en": "Stool", "kind": "finished"}, "CNY", NOW)
    set_bom(s, stool.id, [ComponentRequest(legs.id, Decimal(4))], date(2026, 1, 1), NOW)
    post_move(s, receipt(legs, sh, "100", "legs"), None, NOW)
    order = create_production(s, stool.id, Decimal(MADE), sh, NOW)
    release_production(s, order.id, NOW)
    return order.id, [legs.id, stool.id]


async def test_racing_reports_make_exactly_the_order_and_a_repeated_one_counts_once(
    db: AsyncDatabase,
) -> None:
    order_id, products = await db.run(released_order)

    def reporting(key: str) -> Callable[[Session], bool]:
        return lambda s: report_production(s, order_id, Decimal(1), Decimal(0), key, None, NOW).new

    async def attempt(key: str) -> bool | None:
        try:
            return await db.run(reporting(key))
        except Conflict:
            return None  # nothing left to make

    keys = [f"chat:r{n}" for n in range(RACERS)] + ["chat:same"] * 5
    outcomes = await asyncio.gather(*(attempt(k) for k in keys))
    assert outcomes.count(True) == MADE

    def settled(s: Session) -> None:
        order = s.get(ProductionOrder, order_id)
        assert order is not None and order.status == "done" and order.produced == MADE
        assert s.scalar(select(func.count()).select_from(ProductionReport)) == MADE
        legs, stool = products
        assert availability(s, stool).on_hand == MADE
        assert availability(s, legs).on_hand == 100 - 4 * MADE
        assert availability(s, legs).reserved == 0
        for product_id in products:
            sums = ledger_sums(s, product_id)
            for place, balance in balances(s, product_id).items():
                assert (balance.on_hand, balance.value) == sums[place]

    await db.run(settled)

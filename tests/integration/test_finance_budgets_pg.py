"""Budget alerts under concurrency, on PostgreSQL: entries posted at once, then their events
applied at once (as several processes' consumers would, each after its posting committed),
claim each threshold exactly once: one 80 % and one 100 %, whoever gets there first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.directory.models import Department
from domain.finance.budgets import BudgetRequest, crossings, set_budget
from domain.finance.charts import install_chart
from domain.finance.posting import EntryRequest, LineRequest, post_entry
from domain.shared.db import AsyncDatabase
from tests.integration.erp_rig import NOW, racing_database

pytestmark = pytest.mark.pg
POOL = 10
DAY = date(2026, 12, 7)


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, POOL) as database:

        def books(s: Session) -> None:
            install_chart(s, "prc_small")
            s.add(Department(name="Sales"))
            s.flush()
            set_budget(s, BudgetRequest("Sales", "5602", 2026, 12, Decimal(1000)), None, NOW)

        await database.run(books)
        yield database


async def spend_at_once(db: AsyncDatabase, times: int) -> list[int]:
    def post(s: Session) -> int:
        lines = [
            LineRequest("5602", debit=Decimal(100), department="Sales"),
            LineRequest("1001", credit=Decimal(100)),
        ]
        return post_entry(s, EntryRequest("GJ", DAY, lines), NOW).entry.id

    return list(await asyncio.gather(*(db.run(post) for _ in range(times))))


async def claimed_at_once(db: AsyncDatabase, entries: list[int]) -> list[int]:
    async def one(entry_id: int) -> list[int]:
        return await db.run(lambda s: [c.threshold for c in crossings(s, entry_id)])

    found = await asyncio.gather(*(one(e) for e in entries))
    return sorted(t for claims in found for t in claims)


async def test_each_threshold_is_claimed_once_by_racing_consumers(db: AsyncDatabase) -> None:
    first = await spend_at_once(db, 8)  # 800 of 1,000
    assert await claimed_at_once(db, first) == [80]
    assert await claimed_at_once(db, first) == []  # applied again: nothing more
    rest = await spend_at_once(db, 3)  # 1,100
    assert await claimed_at_once(db, rest + first) == [100]

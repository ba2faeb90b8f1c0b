"""The balance summary under concurrency, on PostgreSQL: 40 postings at once touching the same
accounts in opposite line orders, 10 more that roll back after writing, and 10 reversals, all
racing: none fails or deadlocks, and the summary equals the lines' sums afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.finance.charts import install_chart
from domain.finance.posting import EntryRequest, LineRequest, post_entry, reverse_entry
from domain.shared.db import AsyncDatabase
from tests.integration.erp_rig import NOW, racing_database
from tests.integration.test_finance_statements import summary_rows, sums_of_lines

pytestmark = pytest.mark.pg
POOL = 10
DAY = date(2026, 12, 7)


class Abandoned(Exception):
    """A transaction given up after it posted."""


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, POOL) as database:
        await database.run(lambda s: install_chart(s, "prc_small"))
        yield database


def sale(n: int) -> EntryRequest:
    """A sale with VAT; every other one lists its lines the other way round."""
    lines = [
        LineRequest("1122", debit=Decimal(113 + n), department="sales"),
        LineRequest("5001", credit=Decimal(100), department="sales"),
        LineRequest("22210102", credit=Decimal(13 + n)),
    ]
    return EntryRequest("SJ", DAY, lines if n % 2 else lines[::-1])


async def test_concurrent_postings_keep_the_summary_equal_to_the_lines(db: AsyncDatabase) -> None:
    first = await db.run(lambda s: [post_entry(s, sale(n), NOW).entry.id for n in range(10)])

    def abandon(s: Session) -> None:
        post_entry(s, sale(7), NOW)
        raise Abandoned

    async def attempt(n: int) -> str:
        if n < 40:
            await db.run(lambda s: post_entry(s, sale(n), NOW))
            return "posted"
        if n < 50:
            with pytest.raises(Abandoned):
                await db.run(abandon)
            return "abandoned"
        entry_id = first[n - 50]
        await db.run(lambda s: reverse_entry(s, entry_id, DAY, NOW))
        return "reversed"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(60)))
    assert sorted(set(outcomes)) == ["abandoned", "posted", "reversed"]
    kept = await db.run(summary_rows)
    assert kept == await db.run(sums_of_lines)
    sales = sum(Decimal(113 + n) for n in range(40)) + sum(Decimal(113 + n) for n in range(10))
    reversals = sum(Decimal(113 + n) for n in range(10))  # each entry's debits: 113 + n
    debits = sum(Decimal(str(row[4])) for row in kept)
    assert debits == sales + reversals  # the abandoned ten left nothing

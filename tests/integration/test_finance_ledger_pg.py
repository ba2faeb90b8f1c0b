"""The ledger under concurrency, on PostgreSQL (the row locks are the database's): 50 entries
posted at once in one journal, with 10 more that roll back after taking a number, get the
numbers 1 to 50 with no gap and no repeat; 100 posted at once by two processes get 1 to 100;
and 10 postings of the same business event at once post it once, every caller getting that one
entry back."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.finance.charts import install_chart
from domain.finance.models import Entry
from domain.finance.posting import EntryRequest, LineRequest, Posted, post_entry
from domain.finance.reading import trial_balance
from domain.shared.db import AsyncDatabase, open_database
from tests.integration.erp_rig import NOW, racing_database

pytestmark = pytest.mark.pg
POOL = 10  # and as many in overflow: within PostgreSQL's 100 beside the other test worker
POSTED = 50
ABANDONED = 10
DUPLICATES = 10
DAY = date(2026, 12, 7)
PER_PROCESS = 5  # and as many in overflow: 20 connections for the two processes


class Abandoned(Exception):
    """A transaction given up after it took a number."""


@pytest.fixture
async def db(pg_template: str) -> AsyncIterator[AsyncDatabase]:
    async with racing_database(pg_template, POOL) as database:
        await database.run(lambda s: install_chart(s, "prc_small"))
        yield database


def cash_sale(source_id: str | None = None) -> EntryRequest:
    lines = [LineRequest("1001", debit=Decimal("10")), LineRequest("5001", credit=Decimal("10"))]
    source = "test.sale" if source_id else None
    return EntryRequest("GJ", DAY, lines, source=source, source_id=source_id)


async def test_50_concurrent_postings_in_one_journal_get_50_numbers_without_a_gap(
    db: AsyncDatabase,
) -> None:
    def post(s: Session) -> str:
        return post_entry(s, cash_sale(), NOW).entry.number

    def abandon(s: Session) -> str:
        post_entry(s, cash_sale(), NOW)
        raise Abandoned

    async def attempt(n: int) -> str | None:
        try:
            return await db.run(abandon if n % 6 == 5 else post)
        except Abandoned:
            return None

    tries = POSTED + ABANDONED
    numbers = [n for n in await asyncio.gather(*(attempt(n) for n in range(tries))) if n]
    expected = [f"GJ2026-{n:05d}" for n in range(1, POSTED + 1)]
    assert sorted(numbers) == expected
    assert await db.run(lambda s: sorted(s.scalars(select(Entry.number)))) == expected
    books = await db.run(lambda s: trial_balance(s, DAY, DAY))
    assert books.debits == books.credits == Decimal(10 * POSTED)


def post_in_this_process(url: str, count: int) -> list[str]:
    """``count`` cash sales posted at once from this process (a pool of its own); their numbers."""

    async def post_all() -> list[str]:
        database = open_database(url, pool_size=PER_PROCESS)
        try:
            return list(await asyncio.gather(*(database.run(post) for _ in range(count))))
        finally:
            await database.dispose()

    def post(s: Session) -> str:
        return post_entry(s, cash_sale(), NOW).entry.number

    return asyncio.run(post_all())


async def test_100_postings_from_2_processes_get_100_numbers_without_a_gap(
    db: AsyncDatabase,
) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    loop = asyncio.get_running_loop()
    spawn = multiprocessing.get_context("spawn")  # two fresh interpreters, each its own pool
    with ProcessPoolExecutor(2, mp_context=spawn) as processes:
        halves = await asyncio.gather(
            *(loop.run_in_executor(processes, post_in_this_process, url, 50) for _ in range(2))
        )
    numbers = sorted(number for half in halves for number in half)
    assert numbers == [f"GJ2026-{n:05d}" for n in range(1, 101)]
    assert await db.run(lambda s: len(list(s.scalars(select(Entry.number))))) == 100


async def test_one_event_posted_10_times_at_once_posts_once(db: AsyncDatabase) -> None:
    def post(s: Session) -> Posted:
        return post_entry(s, cash_sale("S-1"), NOW)

    results = await asyncio.gather(*(db.run(post) for _ in range(DUPLICATES)))
    assert sorted(r.new for r in results) == [False] * (DUPLICATES - 1) + [True]
    assert {r.entry.number for r in results} == {"GJ2026-00001"}
    assert await db.run(lambda s: list(s.scalars(select(Entry.number)))) == ["GJ2026-00001"]
    assert await db.run(lambda s: post_entry(s, cash_sale(), NOW).entry.number) == "GJ2026-00002"

"""Processes storing the same events at once, each in its own order (PostgreSQL only).

Platforms retry, and a retry may reach another process while the first delivery is being stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from adapters.memory.translate import say
from bot.events import InboundEvent
from bot.pipeline.inbox import store_events
from domain.shared.clock import SystemClock
from domain.shared.db import normalise_url
from tests.support import create_pg_database, drop_pg_database

pytestmark = pytest.mark.pg

ROUNDS = 5
GROUP = 1000  # events per transaction; large groups make the two inserts overlap in time


@pytest.fixture
async def engines(pg_template: str) -> AsyncIterator[list[AsyncEngine]]:
    """Two connections pools, as two processes would have, without retries on deadlock."""
    url = await create_pg_database(template=pg_template)
    made = [create_async_engine(normalise_url(url)) for _ in range(2)]
    try:
        yield made
    finally:
        for engine in made:
            await engine.dispose()
        await drop_pg_database(url)


async def _store(engine: AsyncEngine, events: list[InboundEvent]) -> int:
    """How many of ``events`` were new, or -1 when PostgreSQL broke a deadlock."""
    now = SystemClock().now()
    try:
        async with async_sessionmaker(engine).begin() as session:
            accepted = await session.run_sync(lambda s: store_events(s, events, "postgresql", now))
    except DBAPIError as exc:
        if "deadlock" not in str(exc):
            raise
        return -1
    return sum(a.new for a in accepted)


async def test_groups_of_the_same_conversations_events_in_any_order_never_deadlock(
    engines: list[AsyncEngine],
) -> None:
    for n in range(ROUNDS):
        events = [say(f"u{i}", "/ping", event_id=f"r{n}-{i:05d}") for i in range(GROUP)]
        one, other = await asyncio.gather(
            _store(engines[0], events), _store(engines[1], events[::-1])
        )
        assert -1 not in (one, other), f"round {n}: deadlock"
        assert one + other == GROUP  # each event new exactly once

"""Used callback signatures: accepted once across processes, stored hashed, forgotten on expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.pipeline.tables import SeenSignatureRow
from bot.signatures import DatabaseSeenSignatures, forget_expired_signatures
from domain.shared.db import Database, open_database

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SIGNATURE = "1796608975553\nXbMT4mXjew04brIN5f9EjwUAOTHY6Gp6ui2bhlkV8kQ="


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = open_database(db_url)
    yield database
    await database.dispose()


async def test_a_signature_is_new_once_per_channel(db: Database) -> None:
    seen = DatabaseSeenSignatures(db)
    expires = NOW + timedelta(hours=1)
    assert await seen.first_use("dingtalk", SIGNATURE, expires)
    assert not await seen.first_use("dingtalk", SIGNATURE, expires)
    assert await seen.first_use("other", SIGNATURE, expires)
    await seen.forget("dingtalk", SIGNATURE)
    assert await seen.first_use("dingtalk", SIGNATURE, expires)


async def test_of_processes_racing_with_one_signature_exactly_one_wins(
    db: Database, db_url: str
) -> None:
    others = [open_database(db_url) for _ in range(3)]
    try:
        stores = [DatabaseSeenSignatures(d) for d in (db, *others)]
        expires = NOW + timedelta(hours=1)
        firsts = await asyncio.gather(
            *(s.first_use("dingtalk", SIGNATURE, expires) for s in stores)
        )
    finally:
        for other in others:
            await other.dispose()
    assert sorted(firsts) == [False, False, False, True]


async def test_signatures_are_stored_hashed_and_forgotten_once_expired(db: Database) -> None:
    seen = DatabaseSeenSignatures(db)
    await seen.first_use("dingtalk", SIGNATURE, NOW - timedelta(seconds=1))
    await seen.first_use("dingtalk", SIGNATURE + "x", NOW + timedelta(seconds=1))
    digests = await db.run(lambda s: list(s.scalars(select(SeenSignatureRow.digest))))
    assert len(digests) == 2
    assert all(SIGNATURE.split("\n")[1] not in d and len(d) == 64 for d in digests)
    assert await db.run(lambda s: forget_expired_signatures(s, NOW)) == 1
    assert not await seen.first_use("dingtalk", SIGNATURE + "x", NOW + timedelta(seconds=1))

"""Two members adding (or setting) the same customer external key at the same moment: the
database's unique key decides, and the loser gets a clear answer, not a crash (PostgreSQL, where
the two transactions really overlap)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
import structlog
from sqlalchemy import func, select

from bot.config import Settings
from domain.crm.models import Customer
from tests.integration.crm_rig import running_shop
from tests.support import asyncpg_dsn

WAIT_SECONDS = 30.0  # a bound on waiting for the lock, not a timing assertion
INSERT = """
INSERT INTO crm_customers (kind, name, search_key, industry, tier, source, tags, owner_id,
                           address, phone, email, external_key, created_at, updated_at)
VALUES ('company', 'Other Co', 'other co', '', '', '', '[]', 1, '', '', '', 'K-1', now(), now())
"""


async def wait_until_blocked(conn: asyncpg.Connection) -> None:
    """Until some other transaction waits for a lock (the second insert of the key)."""
    deadline = time.monotonic() + WAIT_SECONDS
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    while await conn.fetchval(query) == 0:
        assert time.monotonic() < deadline, "the second insert never waited for the first"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("edit", [False, True], ids=["add", "edit"])
async def test_a_concurrent_duplicate_external_key_is_refused_clearly(
    settings: Settings, db_url: str, edit: bool
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time; there is nothing to interleave")
    async with running_shop(settings) as office:
        if edit:
            await office.say("bob", '/customer add "Bob Co"')
        command = "/customer edit 1 key=K-1" if edit else '/customer add "Bob Co" key=K-1'
        other = await asyncpg.connect(asyncpg_dsn(db_url))
        watcher = await asyncpg.connect(asyncpg_dsn(db_url))
        try:
            holding = other.transaction()
            await holding.start()
            await other.execute(INSERT)  # not committed: bob's check cannot see it yet
            with structlog.testing.capture_logs() as logs:
                changing = asyncio.create_task(office.say("bob", command))
                await wait_until_blocked(watcher)
                await holding.commit()
                answer = await changing
        finally:
            await other.close()
            await watcher.close()
        assert answer.text == "外部编号 K-1 已被使用。", answer.text  # bob reads Chinese
        assert [e["event"] for e in logs if e["log_level"] == "error"] == []  # no crash, no retry
        customers = select(func.count()).select_from(Customer)
        assert await office.count(customers) == (2 if edit else 1)
        keys = select(func.count()).select_from(Customer).where(Customer.external_key == "K-1")
        assert await office.count(keys) == 1  # only the other one's
        assert ("Bob Co" in (await office.say("bob", "/customers mine")).text) is edit

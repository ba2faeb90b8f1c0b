"""A worker batch that deadlocks with another transaction runs again whole, on PostgreSQL (SQLite
serialises writers, so it has no deadlocks): the events are answered as usual, once each, and
none is answered as a crash. A batch holds the locks of its earlier events while its later ones
take more, so two batches (two workers, or two ``bizbot serve`` processes) can each hold what the
other waits for; the approvals' approve-against-reject race hit it as "Sorry, something went
wrong" when the deadlock came in the batch's rerun with a savepoint per event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from adapters.memory.translate import say
from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.context import CommandContext
from bot.pipeline.inbox import store_events
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.replies import Message, Reply
from bot.router import CommandSpec, NoArgs
from domain.directory.importer import import_org
from domain.shared.clock import SystemClock
from tests.support import ORG_YAML, asyncpg_dsn, create_pg_database, drop_pg_database

pytestmark = pytest.mark.pg
NOW = SystemClock().now()
FIRST, SECOND = 1, 2  # advisory lock keys: the rows two transactions fight over
BOUND = 60.0  # seconds: a generous bound on the whole race, not a timing assertion


@pytest.fixture
async def pg_url(pg_template: str) -> AsyncIterator[str]:
    url = await create_pg_database(template=pg_template)
    try:
        yield url
    finally:
        await drop_pg_database(url)


@pytest.fixture
async def other(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Another transaction's connection, which never gives way in a deadlock: it waits a minute
    before looking for one, the batch a second (PostgreSQL's default)."""
    connection = await asyncpg.connect(asyncpg_dsn(pg_url))
    await connection.execute("SET deadlock_timeout = '1min'")
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def runtime(pg_url: str) -> AsyncIterator[tuple[Runtime, asyncio.Event]]:
    """A pipeline whose worker is driven by hand, with ``/first`` and ``/second`` taking the
    locks; the event is set each time ``/first`` holds its lock."""
    holding_first = asyncio.Event()

    def first(ctx: CommandContext, _args: NoArgs) -> Message:
        ctx.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRST})
        holding_first.set()  # the worker runs this on the test's loop, in its greenlet
        return Reply("first")

    def second(ctx: CommandContext, _args: NoArgs) -> Message:
        ctx.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SECOND})
        return Reply("second")

    settings = Settings(database_url=pg_url, demo=False)  # type: ignore[arg-type]
    rt = build_runtime(settings, [MemoryClient("memory")])
    rt.router.add(CommandSpec(name="first", summary="test", handler=first))
    rt.router.add(CommandSpec(name="second", summary="test", handler=second))
    await rt.db.run(lambda s: import_org(s, ORG_YAML, NOW))
    try:
        yield rt, holding_first
    finally:
        await rt.db.dispose()


def answers(session: Session) -> tuple[list[str], list[str]]:
    inbox = list(session.scalars(select(InboxRow.status).order_by(InboxRow.id)))
    replies = session.scalars(select(OutboxRow.payload).order_by(OutboxRow.id))
    return inbox, [payload["text"] for payload in replies]


async def test_a_batch_that_deadlocks_in_its_rerun_runs_again_and_answers_each_event_once(
    runtime: tuple[Runtime, asyncio.Event], other: asyncpg.Connection
) -> None:
    rt, holding_first = runtime
    events = [say("alice", "/first", event_id="a-1"), say("bob", "/second", event_id="b-1")]
    await rt.db.run(lambda s: store_events(s, events, rt.db.dialect, NOW))
    await other.execute("SELECT pg_advisory_lock($1)", SECOND)
    async with asyncio.timeout(BOUND):
        batch = asyncio.create_task(rt.workers.run_once())
        for _attempt in ("the batch's first run", "its rerun with a savepoint per event"):
            await holding_first.wait()  # the batch holds FIRST, and /second waits for SECOND
            holding_first.clear()
            await other.execute("SELECT pg_advisory_lock($1)", FIRST)  # deadlock: the batch yields
            await other.execute("SELECT pg_advisory_unlock($1)", FIRST)
        await other.execute("SELECT pg_advisory_unlock($1)", SECOND)
        handled = await batch

    assert [h.outcome for h in handled] == ["ok", "ok"]
    assert await rt.db.run(answers) == (["done", "done"], ["first", "second"])

"""Running a real pipeline behind one platform adapter's routes, for contract tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.ports import Channel
from domain.directory.importer import import_org
from domain.shared.clock import Clock, SystemClock
from domain.shared.db import Database, open_database
from tests.support import ORG_YAML

# The test org, with bob also on DingTalk and WeCom (carol is there in the file itself).
BOB_IDENTITIES = '    identities: {dingtalk: "0002BOB", wecom: bob.li}\n'
CN_ORG_YAML = ORG_YAML.replace("  - handle: bob\n", "  - handle: bob\n" + BOB_IDENTITIES, 1)


class FakeClock:
    """Seconds since the epoch that a test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def pipeline_behind(
    settings: Settings,
    make_channel: Callable[[Database], Channel],
    client_factory: Callable[[web.Application], Awaitable[TestClient[Any, Any]]],
    *,
    clock: Clock | None = None,
) -> AsyncIterator[tuple[Runtime, TestClient[Any, Any]]]:
    """A running pipeline on the test org delivering through a channel, and its routes."""
    db = open_database(settings.database_url.get_secret_value())
    channel = make_channel(db)
    runtime = build_runtime(settings, [channel.client], db=db, clock=clock)
    now = SystemClock().now()
    await runtime.db.run(lambda s: import_org(s, CN_ORG_YAML, now))
    await runtime.start()
    app = web.Application()
    channel.mount(app, runtime.ingest)
    await channel.start(runtime.ingest)
    client = await client_factory(app)
    try:
        yield runtime, client
    finally:
        await channel.stop()
        await runtime.stop()
        await channel.close()
        await runtime.db.dispose()


async def inbox_count(runtime: Runtime) -> int:
    """Events in the inbox."""
    count: int | None = await runtime.db.run(
        lambda s: s.scalar(select(func.count()).select_from(InboxRow))
    )
    return count or 0


async def outbox_rows(runtime: Runtime) -> list[tuple[str, int, str | None]]:
    """(status, attempts, last error) of every outbox row, oldest first."""
    rows = await runtime.db.run(
        lambda s: s.execute(
            select(OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error).order_by(
                OutboxRow.id
            )
        ).all()
    )
    return [(str(status), attempts, error) for status, attempts, error in rows]

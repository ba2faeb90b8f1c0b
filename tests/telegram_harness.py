"""A running pipeline with the Telegram channel, pointed at the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.telegram.channel import TelegramChannel, TelegramConfig
from adapters.telegram.client import TelegramClient, TelegramLimits, Timeouts
from adapters.telegram.routes import SECRET_HEADER, WEBHOOK_PATH
from adapters.webchat.client import Hub
from bot.app import Runtime, build_runtime, build_web
from bot.config import Settings
from bot.filestore import DatabaseFiles
from bot.pacing import Limit
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.ports import Ingest
from domain.directory.importer import import_org
from domain.shared.clock import Clock, SystemClock
from tests.fake_telegram import FakeBotApi
from tests.support import ORG_YAML

SECRET = "t0p-Secret_webhook"
ALICE, BOB, STRANGER = 1001, 1002, 4242
GROUP = -100555
# the test org, with Bob on Telegram too (Alice is there already: telegram "1001")
TELEGRAM_ORG = ORG_YAML.replace(
    "    locale: zh_CN\n", '    locale: zh_CN\n    identities: {telegram: "1002"}\n', 1
)
UNPACED = TelegramLimits(Limit(10_000, 1.0), Limit(10_000, 1.0), Limit(10_000, 1.0))
QUICK = Timeouts(connect=2.0, read=2.0, write=2.0, pool=2.0)


async def wait_until(condition: Callable[[], bool], within: float = 15.0) -> None:
    """Poll ``condition`` until it holds (fails the test after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class TelegramHarness:
    """The pipeline, our web server with the webhook, and the fake Bot API it sends to."""

    fake: FakeBotApi
    runtime: Runtime
    channel: TelegramChannel
    http: TestClient[Any, Any]

    async def post(self, update: dict[str, Any], *, secret: str | None = SECRET) -> int:
        """Deliver an update like Telegram does; returns the HTTP status."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self.http.post(WEBHOOK_PATH, json=update, headers=headers) as response:
            return response.status

    async def settle(self) -> None:
        """Wait until every event is handled, every reply sent and every tap answered."""
        await self.runtime.settle()
        await wait_until(lambda: not self.channel.api.answers_pending)

    async def count(self, table: type[InboxRow] | type[OutboxRow]) -> int:
        """Rows in the inbox or the outbox."""
        query = select(func.count()).select_from(table)
        counted: int | None = await self.runtime.db.run(lambda s: s.scalar(query))
        return counted or 0

    async def outbox(self) -> list[OutboxRow]:
        """Every outbox row, oldest first."""
        return await self.runtime.db.run(
            lambda s: list(s.scalars(select(OutboxRow).order_by(OutboxRow.id)))
        )


@asynccontextmanager
async def running_telegram(
    settings: Settings,
    fake: FakeBotApi,
    *,
    polling: bool = False,
    limits: TelegramLimits = UNPACED,
    timeouts: Timeouts = QUICK,
    wrap_ingest: Callable[[Ingest], Ingest] | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[TelegramHarness]:
    """Start the pipeline on the test org with Telegram in webhook or long-polling mode."""
    config = TelegramConfig(fake.token, SECRET, fake.url, polling=polling)
    client = TelegramClient(config.token, config.api_url, timeouts=timeouts, limits=limits)
    runtime = build_runtime(settings, [client], clock=clock)
    channel = TelegramChannel(
        config, client=client, poll_wait=1, files=DatabaseFiles(runtime.db, runtime.clock)
    )
    now = SystemClock().now()
    await runtime.db.run(lambda s: import_org(s, TELEGRAM_ORG, now))
    await runtime.start()
    ingest: Ingest = wrap_ingest(runtime.ingest) if wrap_ingest else runtime.ingest
    app = build_web(runtime, Hub())
    channel.mount(app, ingest)
    http: TestClient[Any, Any] = TestClient(TestServer(app))
    await http.start_server()
    await channel.start(ingest)
    try:
        yield TelegramHarness(fake, runtime, channel, http)
    finally:
        await http.close()
        await channel.stop()
        await runtime.stop()
        await channel.close()
        await runtime.db.dispose()


def flaky(failures: set[int], update_ids: Callable[[Any], int]) -> Callable[[Ingest], Ingest]:
    """Wrap ingest so that it fails once for each event whose number is in ``failures``."""

    def wrap(ingest: Ingest) -> Ingest:
        async def failing_once(event: Any) -> Any:
            number = update_ids(event)
            if number in failures:
                failures.discard(number)
                raise ConnectionError(f"database away while storing {number}")
            return await ingest(event)

        return failing_once

    return wrap

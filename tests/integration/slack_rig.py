"""A pipeline with the Slack channel mounted on a test server, and a fake Slack behind it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.slack.channel import SlackChannel, SlackConfig
from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.filestore import DatabaseFiles
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.web import errors_middleware
from domain.directory.importer import import_org
from domain.shared.clock import Clock, SystemClock
from domain.shared.db import open_database
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack, Posted
from tests.support import ORG_YAML

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")
WAIT = 20.0  # seconds: a generous bound for "eventually"


@dataclass
class SlackRig:
    """Our server (Slack channel + pipeline) and the fake Slack it talks to."""

    runtime: Runtime
    channel: SlackChannel
    fake: FakeSlack
    http: TestClient[web.Request, web.Application]

    async def post(self, body: str, headers: dict[str, str]) -> ClientResponse:
        """POST a raw body to ``/slack/events``."""
        return await self.http.post("/slack/events", data=body.encode(), headers=headers)

    async def signed(self, body: str, *, json_body: bool = False, **options: Any) -> int:
        """POST a correctly signed body; returns the HTTP status."""
        content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
        response = await self.post(body, slack.signed(body, content_type=content_type, **options))
        await response.read()
        return response.status

    async def command(self, text: str, **options: Any) -> int:
        """A signed ``/biz`` slash command; waits until its replies are through."""
        status = await self.signed(slack.command(text, **options))
        await self.runtime.settle()
        return status

    async def tap(self, posted: Posted, index: int = 0, **options: Any) -> int:
        """A signed tap on a button of a posted message; waits until its replies are through."""
        token = posted.tokens()[index]
        body = slack.action(token, channel=posted.channel, message_ts=posted.ts, **options)
        status = await self.signed(body)
        await self.runtime.settle()
        return status

    async def count(self, table: type[InboxRow] | type[OutboxRow]) -> int:
        """Rows in the inbox or the outbox."""
        query = select(func.count()).select_from(table)
        counted: int | None = await self.runtime.db.run(lambda s: s.scalar(query))
        return counted or 0

    def last_in(self, channel: str) -> Posted:
        """The newest message the fake shows in a channel."""
        return self.fake.in_channel(channel)[-1]


def card_text(posted: Posted) -> str:
    """Every text of a posted message's blocks, for assertions."""
    return json.dumps(posted.body.get("blocks") or posted.body.get("text"), ensure_ascii=False)


async def eventually(check: Callable[[], bool], within: float = WAIT) -> None:
    """Wait until ``check()`` holds (bounded)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def start_rig(
    settings: Settings,
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    *,
    workers: bool = True,
    clock: Clock | None = None,
) -> SlackRig:
    """Build the pipeline on the test org, mount Slack on a test server, start both."""
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    config = SlackConfig(
        bot_token=slack.BOT_TOKEN, signing_secret=slack.SECRET, api_url=fake.api_url, timeout=2.0
    )
    db = open_database(settings.database_url.get_secret_value())
    channel = SlackChannel(config, DatabaseFiles(db, clock or SystemClock()))
    runtime = build_runtime(settings, [channel.client], db=db, clock=clock)
    now = SystemClock().now()
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, now))
    if workers:
        await runtime.start()
    else:
        runtime.inbox.start()
    app = web.Application(middlewares=[errors_middleware])
    channel.mount(app, runtime.ingest)
    http = TestClient(TestServer(app, host="127.0.0.1"))
    await http.start_server()
    return SlackRig(runtime, channel, fake, http)


async def stop_rig(rig: SlackRig) -> None:
    """Stop the server, the pipeline and the client, in the order ``serve`` does."""
    await rig.http.close()
    await rig.channel.stop()
    await rig.runtime.stop()
    await rig.channel.close()
    await rig.runtime.db.dispose()


async def rig_fixture(
    settings: Settings, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackRig]:
    """Fixture body shared by the Slack test modules."""
    rig = await start_rig(settings, fake, monkeypatch)
    try:
        yield rig
    finally:
        await stop_rig(rig)

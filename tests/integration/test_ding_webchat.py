"""A DING through the web chat, end to end: sent, re-pinged by the tick, acknowledged with the
button over the WebSocket, and the sender's tally edited in place (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from adapters.webchat.client import Hub, WebChatClient
from bot.app import build_runtime, build_tick, build_web
from bot.config import Settings
from domain.directory.importer import import_org
from tests.support import ORG_YAML, FakeClock
from tests.webchat import Site, frames_until, local_login, next_frame, of_type, say, tap

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@asynccontextmanager
async def site_on_a_fake_clock(settings: Settings, clock: FakeClock) -> AsyncIterator[Site]:
    hub = Hub()
    runtime = build_runtime(settings, [WebChatClient(hub)], clock=clock)
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, START))
    await runtime.start()
    client: Any = TestClient(TestServer(build_web(runtime, hub), host="127.0.0.1"))
    try:
        await client.start_server()
        yield Site(runtime, hub, client)
    finally:
        await hub.close_all()
        await client.close()
        await runtime.stop()
        await runtime.db.dispose()


async def history(site: Site, handle: str) -> list[dict[str, Any]]:
    site.sign_out_locally()
    await site.login(handle)
    answer = await site.client.get("/api/history")
    lines: list[dict[str, Any]] = (await answer.json())["lines"]
    return [line for line in lines if line["author"] == "bot"]


async def test_a_ding_through_the_web_chat(settings: Settings) -> None:
    clock = FakeClock(START)
    async with site_on_a_fake_clock(local_login(settings), clock) as site:
        await site.login("alice")
        async with await site.socket() as ws:
            await next_frame(ws)
            await ws.send_json(say("/ding @bob the server is down every 5m max 1"))
            tally = (await frames_until(ws, of_type("message")))[-1]
        assert tally["message"]["title"] == "🔔 DING #1: 0 of 1 acknowledged"
        await site.runtime.settle()

        clock.advance(timedelta(minutes=5))
        assert await build_tick(site.runtime).run() == 1  # the re-ping
        await site.runtime.settle()
        cards = await history(site, "bob")
        assert [c["message"]["title"] for c in cards] == ["🔔 Alice Admin 的加急消息"] * 2
        assert cards[1]["message"]["footer"].startswith("第 2 次提醒（共 2 次）")
        label, token, _style, command = cards[1]["message"]["buttons"][0]
        assert (label, command) == ("收到", "/ding ack 1")

        async with await site.socket() as ws:
            await next_frame(ws)
            await ws.send_json(tap(token))
            updates = [await next_frame(ws) for _ in range(3)]  # ack, then both cards edited
        edited = [f for f in updates if f["type"] == "update"]
        assert {f["id"] for f in edited} == {c["id"] for c in cards}
        assert all(f["message"]["title"].startswith("✅") for f in edited)
        await site.runtime.settle()

        (sender_card,) = await history(site, "alice")
        assert sender_card["id"] == tally["id"]
        assert sender_card["message"]["title"] == "🔔 DING #1: 1 of 1 acknowledged"
        clock.advance(timedelta(minutes=30))
        assert await build_tick(site.runtime).run() == 0  # nothing left to re-ping

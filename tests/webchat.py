"""Web chat test helpers: a runtime serving the web chat in-process, sessions, frames and rows."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from adapters.webchat.client import Hub, WebChatClient
from adapters.webchat.routes import COOKIE
from bot.app import Runtime, build_runtime, build_web
from bot.config import Settings
from bot.pipeline.tables import InboxRow, OutboxRow
from domain.directory.importer import import_org
from tests.support import ORG_YAML

FRAME_TIMEOUT = 30.0  # a generous bound on one frame, not a timing assertion
MAX_FRAMES = 50  # frames read while waiting for one kind, before giving up
STRINGS = re.compile(r'<script id="strings" type="application/json">(.*?)</script>', re.S)

WebClient = TestClient[web.Request, web.Application]


@dataclass
class Site:
    """The web chat served by a running pipeline, and an HTTP client (with a cookie jar) for it."""

    runtime: Runtime
    hub: Hub
    client: WebClient

    @property
    def origin(self) -> str:
        """The Origin a browser on this site sends."""
        return f"http://{self.client.host}:{self.client.port}"

    async def login(self, handle: str) -> str:
        """Sign in through the local login form; returns the session secret (also in the jar)."""
        response = await self.client.post("/login", data={"handle": handle}, allow_redirects=False)
        assert response.status == 302, await response.text()
        return response.cookies[COOKIE].value

    def sign_out_locally(self) -> None:
        """Forget the client's cookies (a different browser)."""
        self.client.session.cookie_jar.clear()

    async def socket(self) -> ClientWebSocketResponse:
        """Open the chat WebSocket as the signed-in member, with this site's Origin."""
        return await self.client.ws_connect("/ws", headers={"Origin": self.origin})

    async def count(self, column: InstrumentedAttribute[Any], *where: Any) -> int:
        """How many rows of ``column``'s table match ``where``."""
        query = select(func.count(column)).where(*where)
        result: int | None = await self.runtime.db.run(lambda s: s.scalar(query))
        return result or 0

    async def inbox_rows(self) -> int:
        """Stored inbound events."""
        return await self.count(InboxRow.id)

    async def outbox_rows(self, conversation: str) -> int:
        """Messages and edits written for one web chat conversation."""
        return await self.count(OutboxRow.id, OutboxRow.conversation == conversation)

    async def reimport(self, text: str) -> None:
        """Import an org file again (e.g. with a member deactivated)."""
        now = self.runtime.clock.now()
        await self.runtime.db.run(lambda s: import_org(s, text, now))


@asynccontextmanager
async def web_chat_pipeline(settings: Settings) -> AsyncIterator[tuple[Runtime, Hub]]:
    """A running pipeline with only the web chat channel, on the test org."""
    hub = Hub()
    runtime = build_runtime(settings, [WebChatClient(hub)])
    now = runtime.clock.now()
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, now))
    await runtime.start()
    try:
        yield runtime, hub
    finally:
        await hub.close_all()
        await runtime.stop()
        await runtime.db.dispose()


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Site]:
    """The web chat pipeline behind aiohttp's test server and client, on 127.0.0.1."""
    async with web_chat_pipeline(settings) as (runtime, hub):
        client: WebClient = TestClient(TestServer(build_web(runtime, hub), host="127.0.0.1"))
        try:
            await client.start_server()
            yield Site(runtime, hub, client)
        finally:
            await hub.close_all()
            await client.close()


@asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[tuple[Runtime, Hub, str]]:
    """The web chat as ``bizbot serve`` runs it, on 127.0.0.1 and a free port; yields its URL."""
    async with web_chat_pipeline(settings) as (runtime, hub):
        runner = web.AppRunner(build_web(runtime, hub), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            yield runtime, hub, f"http://{host}:{port}"
        finally:
            await hub.close_all()
            await runner.cleanup()


def frame_id() -> str:
    """A fresh client frame id, as the page makes them."""
    return uuid.uuid4().hex


def say(text: str, id_: str = "") -> dict[str, Any]:
    """A ``say`` frame."""
    return {"type": "say", "id": id_ or frame_id(), "text": text}


def tap(token: str, id_: str = "") -> dict[str, Any]:
    """A ``tap`` frame."""
    return {"type": "tap", "id": id_ or frame_id(), "token": token}


async def next_frame(ws: ClientWebSocketResponse) -> dict[str, Any]:
    """The next JSON frame from the server."""
    frame = await ws.receive_json(timeout=FRAME_TIMEOUT)
    assert isinstance(frame, dict), frame
    return frame


async def frames_until(
    ws: ClientWebSocketResponse, done: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Frames up to and including the first for which ``done`` is true."""
    seen: list[dict[str, Any]] = []
    for _ in range(MAX_FRAMES):
        seen.append(await next_frame(ws))
        if done(seen[-1]):
            return seen
    raise AssertionError(f"no such frame among {seen}")


def of_type(kind: str) -> Callable[[dict[str, Any]], bool]:
    """A ``done`` test for ``frames_until``: a frame of this type."""
    return lambda frame: frame.get("type") == kind


def page_strings(page: str) -> dict[str, Any]:
    """The UI strings the chat page hands to chat.js, parsed as the browser would."""
    found = STRINGS.search(page)
    assert found, "no strings script in the page"
    strings = json.loads(found.group(1))
    assert isinstance(strings, dict)
    return strings

"""Web chat test helpers: a runtime serving the web chat in-process, sessions, frames and rows."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse, ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from adapters.webchat.client import Hub, WebChatClient
from adapters.webchat.guard import CSRF_COOKIE, CSRF_FIELD
from adapters.webchat.signin import COOKIE
from bot.app import Runtime, build_runtime, build_web
from bot.config import Settings
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.webauth import TableRoomMembers
from domain.directory.importer import import_org
from domain.shared.clock import SystemClock
from domain.shared.db import open_database
from tests.support import ORG_YAML

FRAME_TIMEOUT = 30.0  # a generous bound on one frame, not a timing assertion
MAX_FRAMES = 50  # frames read while waiting for one kind, before giving up
STRINGS = re.compile(r'<script id="strings" type="application/json">(.*?)</script>', re.S)
TOKEN_FIELD = re.compile(rf'<input type="hidden" name="{CSRF_FIELD}" value="([^"]+)">')

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

    async def form_token(self, path: str) -> str:
        """Open the page at ``path`` as a browser would; the CSRF token its form carries."""
        page = await self.client.get(path)
        assert page.status == 200, await page.text()
        return form_token(await page.text())

    async def login(self, handle: str) -> str:
        """Sign in through the local login form; returns the session secret (also in the jar)."""
        token = await self.form_token("/login")
        response = await self.client.post(
            "/login", data={"handle": handle, CSRF_FIELD: token}, allow_redirects=False
        )
        assert response.status == 302, await response.text()
        return response.cookies[COOKIE].value

    async def confirm(self, path: str) -> ClientResponse:
        """Open a one-time link and press its confirmation page's button (not following the
        redirect)."""
        token = await self.form_token(path)
        return await self.client.post(path, data={CSRF_FIELD: token}, allow_redirects=False)

    async def logout(self) -> ClientResponse:
        """Press the chat page's log out button (not following the redirect)."""
        token = await self.form_token("/")
        return await self.client.post("/logout", data={CSRF_FIELD: token}, allow_redirects=False)

    def csrf_cookie(self) -> str:
        """The CSRF cookie in the client's jar ("" without one)."""
        cookies = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))
        morsel = cookies.get(CSRF_COOKIE)
        return morsel.value if morsel else ""

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


def local_login(settings: Settings) -> Settings:
    """These settings with local sign-in on, as ``make run`` has them."""
    return settings.model_copy(update={"local_login": True})


def form_token(page: str) -> str:
    """The CSRF token in a page's form, as the browser would post it."""
    found = TOKEN_FIELD.search(page)
    assert found, f"no form with a token in the page: {page}"
    return found.group(1)


@asynccontextmanager
async def web_chat_pipeline(settings: Settings) -> AsyncIterator[tuple[Runtime, Hub]]:
    """A running pipeline with only the web chat channel, on the test org."""
    hub = Hub()
    db = open_database(settings.database_url.get_secret_value())
    runtime = build_runtime(
        settings, [WebChatClient(hub, TableRoomMembers(db, SystemClock()))], db=db
    )
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

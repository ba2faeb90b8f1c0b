"""Talking to started ``bizbot serve`` processes through the web chat's HTTP API, as a browser
signed in with the local login does, and waiting until the shared database has nothing left to
handle."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.webchat.guard import CSRF_COOKIE, CSRF_FIELD
from adapters.webchat.signin import COOKIE
from bot.pipeline.tables import InboxRow, OutboxRow
from domain.shared.db import open_database
from tests.webchat import form_token

SEND_ATTEMPTS = 20


@dataclass
class Server:
    """A started server: its URL, its log, and a session cookie per signed-in member."""

    base: str
    log: Path
    cookies: dict[str, str] = field(default_factory=dict)
    unavailable: int = 0  # 503 answers: not stored, send again


async def sign_in(http: aiohttp.ClientSession, base: str, handle: str) -> str:
    """Local sign-in as a browser does it: open the form, post it with its CSRF token."""
    async with http.get(f"{base}/login") as page:
        assert page.status == 200, await page.text()
        token = form_token(await page.text())
    async with http.post(
        f"{base}/login",
        data={"handle": handle, CSRF_FIELD: token},
        headers={"Cookie": f"{CSRF_COOKIE}={token}"},
        allow_redirects=False,
    ) as r:
        assert r.status == 302, await r.text()
        return r.cookies[COOKIE].value


async def post(
    http: aiohttp.ClientSession, server: Server, handle: str, event_id: str, text: str
) -> bool:
    """Send one message until it is stored (a 503 means: not stored, try again); True if new."""
    headers = {"Cookie": f"{COOKIE}={server.cookies[handle]}"}
    for attempt in range(SEND_ATTEMPTS):
        async with http.post(
            f"{server.base}/api/messages", json={"id": event_id, "text": text}, headers=headers
        ) as response:
            answer = await response.json()
            if response.status == 200:
                assert answer["id"] == event_id
                return not answer["duplicate"]
            assert response.status == 503, answer
            server.unavailable += 1
        await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError(f"{event_id} was never stored by {server.base}")


async def metric(http: aiohttp.ClientSession, server: Server, series: str) -> float:
    """One series' value on the server's ``/metrics`` (0 when it is not there)."""
    async with http.get(f"{server.base}/metrics") as response:
        text = await response.text()
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def unfinished(session: Session) -> int:
    """Events not handled yet, and replies not delivered yet."""
    inbox = select(func.count()).select_from(InboxRow).where(InboxRow.status == "pending")
    outbox = (
        select(func.count())
        .select_from(OutboxRow)
        .where(OutboxRow.status.in_(("pending", "sending")))
    )
    return int(session.scalar(inbox) or 0) + int(session.scalar(outbox) or 0)


async def drain(url: str, seconds: float) -> float:
    """Wait (at most ``seconds``) until no event or reply is left to handle; returns how long
    that took."""
    db = open_database(url)
    started = time.monotonic()
    try:
        while (left := await db.run(unfinished)) > 0:
            assert time.monotonic() - started < seconds, f"{left} rows still unfinished"
            await asyncio.sleep(0.25)
    finally:
        await db.dispose()
    return time.monotonic() - started

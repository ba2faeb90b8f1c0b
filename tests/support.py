"""Test helpers: a pipeline to talk to, and PostgreSQL databases made and dropped per test."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from adapters.memory.client import MemoryClient, Posted
from adapters.memory.translate import say, tap
from bot import migrate
from bot.app import Runtime
from bot.events import InboundEvent
from bot.ports import Accepted

FIXTURES = Path(__file__).parent / "fixtures"
ORG_YAML = (FIXTURES / "org.yaml").read_text(encoding="utf-8")
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    """Where the PostgreSQL tests connect (BIZBOT_TEST_PG_URL)."""
    return os.environ.get("BIZBOT_TEST_PG_URL", PG_DEFAULT)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as asyncpg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def pg_available() -> bool:
    """Whether a PostgreSQL server answers at the test URL."""
    try:
        conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url()), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def create_pg_database(template: str = "") -> str:
    """A fresh database on the test server (empty, or a copy of ``template``); returns its URL."""
    name = f"bizbot_t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url()))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
        # Commits need not wait for the disk: what a test checks is what other connections
        # see (the same either way), and no test crashes the PostgreSQL server itself.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
    finally:
        await conn.close()
    return make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)


async def create_pg_template() -> str:
    """A migrated database to copy tests' databases from (``CREATE DATABASE … TEMPLATE``).

    Returns its name. Nothing may stay connected to it, or PostgreSQL refuses to copy it.
    """
    url = await create_pg_database()
    await migrate.upgrade(url)
    return str(make_url(url).database)


def copy_sqlite_template(template: Path, directory: Path) -> str:
    """A migrated SQLite database in ``directory``, copied from ``template``; returns its URL."""
    target = directory / "bizbot.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


async def migrated_sqlite_template(directory: Path) -> Path:
    """A migrated SQLite file, made once per test session and copied for each test."""
    path = directory / "template.db"
    await migrate.upgrade(f"sqlite:///{path}")
    return path


async def drop_pg_database(url: str) -> None:
    """Drop a database made by ``create_pg_database``."""
    name = make_url(url).database
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url()))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Chat:
    """Talk to a running pipeline through the memory channels and read what came back."""

    runtime: Runtime
    memory: MemoryClient  # senders are handles, like the web chat
    chat: MemoryClient  # senders are platform ids resolved through chat identities

    async def send(self, event: InboundEvent) -> Accepted:
        """Hand in one event and wait until it and its replies are through."""
        accepted = await self.runtime.ingest(event)
        await self.runtime.settle()
        return accepted

    async def say(
        self, sender: str, text: str, *, channel: str = "memory", event_id: str = ""
    ) -> Posted:
        """Send a message and return the newest message of the conversation afterwards."""
        await self.send(say(sender, text, channel=channel, event_id=event_id))
        return self.client(channel).last(sender)

    async def say_many(self, sender: str, texts: Sequence[str], *, burst: int = 50) -> list[Posted]:
        """Send messages in order, settling only after every ``burst`` of them (a sweep's pace),
        and return every message the sender's conversation got meanwhile, in every version."""
        return await self._in_bursts(sender, [say(sender, text) for text in texts], burst)

    async def tap_many(
        self, sender: str, tokens: Sequence[str], *, burst: int = 50
    ) -> list[Posted]:
        """Tap buttons in order, at a sweep's pace (as ``say_many``)."""
        return await self._in_bursts(sender, [tap(sender, token) for token in tokens], burst)

    async def _in_bursts(
        self, sender: str, events: Sequence[InboundEvent], burst: int
    ) -> list[Posted]:
        client = self.client("memory")
        before = {p.message_id: len(p.versions) for p in client.conversation(sender)}
        for start in range(0, len(events), burst):
            # handed in together, as a busy platform would: one inbox commit per burst, and
            # the workers take the conversation's queue in batches (the inbox keeps the order
            # of submission, so the conversation's order is the list's)
            await asyncio.gather(*(self.runtime.ingest(e) for e in events[start : start + burst]))
            await self.runtime.settle()
        return [
            p for p in client.conversation(sender) if before.get(p.message_id) != len(p.versions)
        ]

    async def tap(
        self, sender: str, token: str, *, channel: str = "memory", conversation: str = ""
    ) -> Posted:
        """Tap a button and return the newest message of the conversation afterwards."""
        await self.send(tap(sender, token, channel=channel, conversation=conversation))
        return self.client(channel).last(conversation or sender)

    def client(self, channel: str) -> MemoryClient:
        """The memory client of a channel."""
        return self.memory if channel == "memory" else self.chat


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The fake present."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the present forward."""
        self._now += delta

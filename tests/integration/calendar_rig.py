"""A running pipeline for calendar tests: the test org plus Emma (Berlin, reached on the "chat"
channel) and Hana (HR), a clock the test moves, and the timer tick run by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient, Posted
from bot.app import build_runtime, build_tick
from bot.config import Settings
from bot.context import Policies
from bot.replies import Card
from domain.directory.importer import import_org
from domain.directory.models import ChatIdentity
from domain.directory.services import find_member
from scheduler.tick import TimerTick
from tests.support import ORG_YAML, Chat, FakeClock

# Monday 2026-11-30, 10:00 in Shanghai (the org's zone), 03:00 in Berlin
START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
PUBLIC_URL = "https://chat.example.com"
EMMA = """  - handle: emma
    name: Emma Berlin
    department: Sales
    manager: carol
    roles: [sales]
    locale: en
    timezone: Europe/Berlin
  - handle: hana
    name: Hana HR
    department: Management
    roles: [hr]
    locale: en
"""
CALENDAR_ORG = ORG_YAML + EMMA
EMMA_CHAT = "U0EMMA"  # her conversation on the "chat" channel


class Timed(Chat):
    """A chat whose clock the test moves, with the timer tick to run by hand."""

    clock: FakeClock
    tick: TimerTick

    async def advance(self, delta: timedelta) -> None:
        """Move the clock, fire what fell due, and wait until every message is out."""
        self.clock.advance(delta)
        await self.run_tick()

    async def run_tick(self) -> None:
        """Fire what is due now (as after a restart), and wait until every message is out."""
        while await self.tick.run():
            pass
        await self.runtime.settle()

    def inbox(self, who: str) -> list[Posted]:
        """What a member's conversation shows now (Emma's is on the "chat" channel)."""
        if who == "emma":
            return self.chat.conversation(EMMA_CHAT)
        return self.memory.conversation(who)

    def cards(self, who: str, title: str) -> list[Posted]:
        """A member's cards whose title starts with ``title``, oldest first."""
        return [
            p
            for p in self.inbox(who)
            if isinstance(p.message, Card) and p.message.title.startswith(title)
        ]

    def card(self, who: str, title: str) -> Posted:
        """The one card of a member whose title starts with ``title``."""
        found = self.cards(who, title)
        assert len(found) == 1, [p.message for p in self.inbox(who)]
        return found[0]

    async def press(self, who: str, posted: Posted, label: str) -> Posted:
        """Tap the button labelled ``label`` on a card, as ``who``; returns their newest message."""
        assert isinstance(posted.message, Card)
        [token] = [b.token for b in posted.message.buttons if b.label == label]
        return await self.tap_as(who, token)

    async def say_as(self, who: str, text: str) -> Posted:
        """Say something as ``who`` on their own channel."""
        if who == "emma":
            return await self.say(EMMA_CHAT, text, channel="chat")
        return await self.say(who, text)

    async def tap_as(self, who: str, token: str) -> Posted:
        """Tap a token as ``who`` on their own channel."""
        if who == "emma":
            return await self.tap(EMMA_CHAT, token, channel="chat")
        return await self.tap(who, token)


@asynccontextmanager
async def calendar_rig(settings: Settings) -> AsyncIterator[Timed]:
    """The pipeline on the calendar test org at ``START``."""
    clock = FakeClock(START)
    settings = settings.model_copy(update={"public_url": PUBLIC_URL})
    memory, platform = MemoryClient("memory"), MemoryClient("chat")
    runtime = build_runtime(settings, [memory, platform], clock=clock)
    runtime.dispatcher.policies = Policies(
        notify_channels=frozenset({"memory", "chat"}),
        built_in_channel="memory",
        public_url=PUBLIC_URL,
    )
    await runtime.db.run(lambda s: import_org(s, CALENDAR_ORG, START))
    await runtime.db.run(_emma_on_chat)
    await runtime.start()
    rig = Timed(runtime, memory, platform)
    rig.clock, rig.tick = clock, build_tick(runtime)
    try:
        yield rig
    finally:
        await runtime.stop()
        await runtime.db.dispose()


def _emma_on_chat(session: Session) -> None:
    """Emma's account on the "chat" channel (a platform): her notifications go there."""
    emma = find_member(session, "emma")
    assert emma is not None
    session.add(
        ChatIdentity(
            member_id=emma.id, channel="chat", platform_user_id=EMMA_CHAT, created_at=START
        )
    )


def fields(posted: Posted) -> dict[str, str]:
    """A card's fields by label."""
    assert isinstance(posted.message, Card)
    return {f.label: f.value for f in posted.message.fields}


def labels(posted: Posted) -> list[str]:
    """A card's button labels."""
    assert isinstance(posted.message, Card)
    return [b.label for b in posted.message.buttons]


def title(posted: Posted) -> str:
    """A card's title."""
    assert isinstance(posted.message, Card)
    return posted.message.title


def tokens(posted: Posted) -> dict[str, str]:
    """A card's button tokens by label."""
    assert isinstance(posted.message, Card)
    return {b.label: b.token for b in posted.message.buttons}

"""A chat whose clock the test moves, with the timer tick run by hand (as in test_reminders)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from adapters.memory.client import MemoryClient
from bot.app import build_runtime, build_tick, next_occurrence
from bot.config import Settings
from bot.context import Policies, TimerHandler
from bot.replies import Card
from commands import timer_handlers
from domain.directory.importer import import_org
from domain.shared.db import Database
from domain.timers.reminders import RecordState
from scheduler.tick import TimerTick
from tests.support import ORG_YAML, Chat, FakeClock


class Timed(Chat):
    """A chat on a fake clock; ``advance`` moves it and fires whatever fell due."""

    clock: FakeClock
    tick: TimerTick

    async def advance(self, delta: timedelta) -> None:
        """Move the clock, run the tick until nothing is due, and deliver."""
        self.clock.advance(delta)
        for _ in range(100):
            if not await self.tick.run():
                break
        await self.runtime.settle()

    def tick_on(
        self, db: Database, handlers: Mapping[str, TimerHandler] | None = None
    ) -> TimerTick:
        """The tick another process would run: the same handlers (but ``handlers``), its own
        connections."""
        return TimerTick(
            db,
            self.clock,
            {**timer_handlers(), **(handlers or {})},
            self.runtime.dispatcher.policies,
            self.runtime.metrics,
            action_ttl=timedelta(hours=1),
            next_due=next_occurrence,
            on_messages=lambda: None,
        )

    def cards(self, conversation: str, title: str = "") -> list[Card]:
        """The cards a conversation shows now, optionally only those whose title has ``title``."""
        return [c for c in self.memory.cards(conversation) if title in c.title]


@asynccontextmanager
async def timed_chat(
    settings: Settings,
    start: datetime,
    org: str = ORG_YAML,
    record_states: Mapping[str, RecordState] | None = None,
) -> AsyncIterator[Timed]:
    """A running pipeline on the test org (plus ``org``), its clock standing at ``start``."""
    clock = FakeClock(start)
    memory, platform = MemoryClient("memory"), MemoryClient("chat")
    runtime = build_runtime(settings, [memory, platform], clock=clock)
    runtime.dispatcher.policies = Policies(
        notify_channels=frozenset({"memory"}),
        built_in_channel="memory",
        record_states=record_states or {},
    )
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, start))
    if org != ORG_YAML:
        await runtime.db.run(lambda s: import_org(s, org, start))
    await runtime.start()
    chat = Timed(runtime, memory, platform)
    chat.clock, chat.tick = clock, build_tick(runtime)
    try:
        yield chat
    finally:
        await runtime.stop()
        await runtime.db.dispose()

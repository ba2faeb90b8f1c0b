"""The approvals test office: the org with a CEO and a CFO, the bundled templates plus the org's
own expense template, a clock the test moves, and helpers to read cards and requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient, MemoryRoomsClient, Posted
from bot.app import build_runtime, build_tick
from bot.config import Settings
from bot.pipeline.tables import OutboxRow
from bot.replies import Button, Card
from domain.approvals import services
from domain.approvals.catalog import ensure_bundled, find_template, import_templates
from domain.approvals.form import read_pairs
from domain.approvals.models import ApprovalEvent
from domain.approvals.people import member_id_by_handle
from domain.approvals.state import RequestState
from domain.approvals.store import Cause, load, log_of, replay
from domain.directory.importer import import_org
from scheduler.tick import TimerTick
from tests.support import FIXTURES, Chat, FakeClock

T = TypeVar("T")
ORG = (FIXTURES / "approvals_org.yaml").read_text(encoding="utf-8")
EXPENSE = (FIXTURES / "approvals" / "expense.yaml").read_text(encoding="utf-8")
COMMITTEE = (FIXTURES / "approvals" / "committee.yaml").read_text(encoding="utf-8")
START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 2026-11-30, 10:00 in Shanghai


class Office(Chat):
    """A chat on the approvals org whose clock the test moves."""

    clock: FakeClock
    tick: TimerTick

    async def advance(self, delta: timedelta) -> None:
        """Move the clock, fire what fell due, and wait for the messages."""
        self.clock.advance(delta)
        for _ in range(20):
            if not await self.tick.run():
                break
        await self.runtime.settle()

    async def run(self, work: Callable[[Session], T]) -> T:
        """One transaction on the office's database."""
        return await self.runtime.db.run(work)

    async def request(self, request_id: int) -> RequestState:
        """A request's state now."""
        state = await self.run(lambda s: load(s, request_id))
        assert state is not None
        return state

    def card(self, handle: str, request_id: int | None = None) -> Card:
        """The newest card a member sees (about request #N)."""
        for posted in reversed(self.memory.conversation(handle)):
            message = posted.message
            if isinstance(message, Card) and (
                request_id is None or f"#{request_id}" in message.title
            ):
                return message
        raise AssertionError(f"no card for {handle} about {request_id}: {self.texts(handle)}")

    def texts(self, handle: str) -> list[str]:
        """What a member's conversation shows, as text."""
        return [p.text for p in self.memory.conversation(handle)]

    def posted(self, handle: str) -> list[Posted]:
        """A member's conversation."""
        return self.memory.conversation(handle)

    async def events(self, request_id: int, kind: str | None = None) -> int:
        """How many events a request's log has (of one kind)."""
        query = (
            select(func.count())
            .select_from(ApprovalEvent)
            .where(ApprovalEvent.request_id == request_id)
        )
        if kind is not None:
            query = query.where(ApprovalEvent.kind == kind)
        return await self.count(query)

    async def count(self, query: Select[int]) -> int:
        """The number a counting query gives."""

        def work(session: Session) -> int:
            return int(session.scalar(query) or 0)

        return await self.run(work)

    async def replayed(self, request_id: int) -> RequestState | None:
        """The state a request's event log leads to."""
        return replay(await self.run(lambda s: log_of(s, request_id)))

    async def sends_to(self, handle: str) -> int:
        """New messages (not edits) queued for a member's web chat conversation."""
        query = (
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.conversation == handle, OutboxRow.kind == "send")
        )
        return await self.count(query)

    async def submit(self, handle: str, text: str) -> int:
        """Send a complete /apply-like command and return the new request's number."""
        posted = await self.say(handle, text)
        assert isinstance(posted.message, Card), posted.text
        title = posted.message.title
        return int(title.split("#", 1)[1].split()[0])


def button(card: Card, label: str) -> Button:
    """A card's button by (the start of) its label."""
    for b in card.buttons:
        if b.label.startswith(label):
            return b
    raise AssertionError(f"no button {label!r} on {card.title}: {[b.label for b in card.buttons]}")


async def open_office(
    settings: Settings,
    extra: tuple[str, ...] = (EXPENSE, COMMITTEE),
    org: str = ORG,
    *,
    rooms: bool = False,
) -> Office:
    """Start an office on an org file (the caller stops it); with ``rooms`` its memory channel
    opens rooms (deal rooms)."""
    clock = FakeClock(START)
    memory = MemoryRoomsClient("memory") if rooms else MemoryClient("memory")
    platform = MemoryClient("chat")
    runtime = build_runtime(settings, [memory, platform], clock=clock)
    runtime.dispatcher.policies = replace(runtime.dispatcher.policies, built_in_channel="memory")

    def setup(session: Session) -> None:
        import_org(session, org, START)
        ensure_bundled(session, START)
        for text in extra:
            import_templates(session, text, START)

    await runtime.db.run(setup)
    await runtime.start()
    office = Office(runtime, memory, platform)
    office.clock, office.tick = clock, build_tick(runtime)
    return office


@asynccontextmanager
async def running_office(
    settings: Settings,
    extra: tuple[str, ...] = (EXPENSE, COMMITTEE),
    org: str = ORG,
    *,
    rooms: bool = False,
) -> AsyncIterator[Office]:
    """An office for the length of a test."""
    opened = await open_office(settings, extra, org, rooms=rooms)
    try:
        yield opened
    finally:
        await opened.runtime.stop()
        await opened.runtime.db.dispose()


async def member_id(office: Office, handle: str) -> int:
    """A member's id."""
    found = await office.run(lambda s: member_id_by_handle(s, handle))
    assert found is not None
    return found


async def submit_directly(
    office: Office, handle: str, template: str, pairs: list[tuple[str, str]]
) -> int:
    """Submit a request through the domain (no cards), for tests that need many of them."""
    initiator = await member_id(office, handle)
    now = office.clock.now()

    def work(session: Session) -> int:
        chosen = find_template(session, template)
        inputs = services.inputs_for(session, "Asia/Shanghai", now)
        values, problems = read_pairs(chosen.spec, pairs, inputs, {})
        assert not problems, problems
        draft = services.prepare(session, chosen, values, initiator)
        return services.submit_request(session, draft, initiator, now, Cause()).after.id

    return await office.run(work)

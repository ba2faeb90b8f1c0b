"""The delivery relay against a memory platform that fails on demand, on a clock the test moves.

Retries compare ``next_attempt_at`` with ``clock.now()``, so moving the fake clock makes a retry
due without sleeping. The lease is long here, so moving the clock never expires a claim.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from adapters.memory.translate import say
from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.events import Address
from bot.pipeline.admin import drop_outbox, retry_outbox
from bot.pipeline.delivery import claim_due
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import OutboxRow
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater
from bot.replies import Card, Message, Reply
from domain.directory.importer import import_org
from tests.processes import bot_env, describe, run_bot
from tests.support import ORG_YAML

START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
WAIT_SECONDS = 30.0
ALL_RETRIES = 3600.0 * 2  # longer than any backoff
FINAL = ("sent", "dead", "dropped")


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class FlakyClient(MemoryClient):
    """A memory platform on which some conversations cannot be reached at all, and on which a
    conversation may have its own queue of failures (``failing``): sends to it fail in order,
    whatever the sends to other conversations do meanwhile."""

    def __init__(self) -> None:
        super().__init__("memory")
        self.unreachable: set[str] = set()
        self.failing: dict[str, deque[Exception | None]] = {}

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        if address.conversation in self.unreachable:
            raise DeliveryError(f"{address.conversation} is unreachable")
        queued = self.failing.get(address.conversation)
        if queued:
            failure = queued.popleft()
            if failure is not None:
                raise failure
        return await super().send(address, message, context)


@dataclass(frozen=True)
class Row:
    id: int
    conversation: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    platform_message_id: str | None
    text: str


def _rows(session: Session) -> list[Row]:
    return [
        Row(
            r.id,
            r.conversation,
            r.kind,
            r.status,
            r.attempts,
            r.next_attempt_at,
            r.last_error,
            r.platform_message_id,
            r.payload.get("text") or r.payload.get("title") or "",
        )
        for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))
    ]


@dataclass
class Relayed:
    """A running pipeline, its platform and its clock."""

    runtime: Runtime
    platform: FlakyClient
    clock: FakeClock

    async def rows(self) -> list[Row]:
        return await self.runtime.db.run(_rows)

    async def row(self, row_id: int) -> Row:
        return next(r for r in await self.rows() if r.id == row_id)

    async def wait(
        self, what: str, done: Callable[[list[Row]], bool], *, step: float = 0.0
    ) -> list[Row]:
        """Poll until ``done`` holds (moving the clock ``step`` seconds each time), or fail."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            rows = await self.rows()
            if done(rows):
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}: {rows}")
            self.clock.advance(step)
            self.runtime.relay.wake()
            await asyncio.sleep(0.02)

    async def wait_row(self, row_id: int, what: str, done: Callable[[Row], bool]) -> Row:
        rows = await self.wait(what, lambda rows: any(r.id == row_id and done(r) for r in rows))
        return next(r for r in rows if r.id == row_id)

    async def say(self, sender: str, text: str) -> None:
        await self.runtime.ingest(say(sender, text))

    async def enqueue(self, conversation: str, *messages: Message) -> list[int]:
        """Write messages to the outbox as a command would, in one transaction."""
        now = self.clock.now()

        def write(session: Session) -> list[int]:
            outbox = OutboxWriter(session, now, None, timedelta(hours=1))
            address = Address("memory", conversation)
            return [outbox.send(address, m, recipient_id=None) for m in messages]

        ids = await self.runtime.db.run(write)
        self.runtime.relay.wake()
        return ids

    async def enqueue_edits(self, original_id: int, *messages: Message) -> list[int]:
        """Write edits of an earlier message to the outbox, in one transaction."""
        now = self.clock.now()

        def write(session: Session) -> list[int]:
            outbox = OutboxWriter(session, now, None, timedelta(hours=1))
            return [outbox.edit(original_id, m, recipient_id=None) for m in messages]

        ids = await self.runtime.db.run(write)
        self.runtime.relay.wake()
        return ids


@pytest.fixture
async def relayed(settings: Settings) -> AsyncIterator[Relayed]:
    clock, platform = FakeClock(), FlakyClient()
    runtime = build_runtime(
        settings.model_copy(update={"outbox_lease_seconds": 100 * ALL_RETRIES}),
        [platform],
        clock=clock,
    )
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, clock.now()))
    await runtime.start()
    try:
        yield Relayed(runtime, platform, clock)
    finally:
        await runtime.stop()
        await runtime.db.dispose()


def attempts_are(count: int) -> Callable[[Row], bool]:
    return lambda row: row.attempts == count


def texts(platform: MemoryClient, conversation: str) -> list[str]:
    return [p.text for p in platform.conversation(conversation)]


async def test_a_transient_failure_is_retried_then_sent(relayed: Relayed) -> None:
    relayed.platform.failures.append(DeliveryError("connection reset"))
    await relayed.say("alice", "/ping")
    [failed] = await relayed.wait("a failed attempt", lambda rows: any(r.attempts for r in rows))
    assert failed.status == "pending"
    assert failed.last_error == "DeliveryError: connection reset"
    assert failed.next_attempt_at > relayed.clock.now()
    assert relayed.platform.posted == {}

    relayed.clock.advance(3)  # the first backoff is 2 s ± 20 %
    sent = await relayed.wait_row(failed.id, "the retry", lambda r: r.status == "sent")
    assert sent.attempts == 2
    assert texts(relayed.platform, "alice") == ["pong"]


async def test_used_up_attempts_make_a_dead_letter_that_operators_see(
    relayed: Relayed, db_url: str
) -> None:
    relayed.platform.failures.extend(DeliveryError(f"attempt {n} refused") for n in (1, 2, 3))
    [row_id] = await relayed.enqueue("alice", Reply("hello"))
    for attempt in (1, 2):
        await relayed.wait_row(row_id, f"attempt {attempt}", attempts_are(attempt))
        relayed.clock.advance(ALL_RETRIES)
    dead = await relayed.wait_row(row_id, "the dead letter", lambda r: r.status == "dead")
    assert dead.attempts == 3  # settings: outbox_max_attempts=3
    assert dead.last_error == "DeliveryError: attempt 3 refused"

    listed = await asyncio.to_thread(
        run_bot, "outbox", "list", "--status", "dead", env=bot_env(db_url) | {"COLUMNS": "200"}
    )
    assert listed.returncode == 0, describe(listed)
    [line] = [ln for ln in listed.stdout.splitlines() if f"│ {row_id} " in ln]
    assert "dead" in line and "hello" in line and "attempt 3 refused" in line
    assert "dead: 1" in listed.stdout
    assert relayed.platform.posted == {}


async def test_retry_later_postpones_without_counting_an_attempt(relayed: Relayed) -> None:
    relayed.platform.failures.append(RetryLater(7))
    [row_id] = await relayed.enqueue("alice", Reply("hello"))
    asked_at = relayed.clock.now()
    waiting = await relayed.wait_row(row_id, "the 429", lambda r: r.last_error is not None)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert waiting.next_attempt_at == asked_at + timedelta(seconds=7)
    assert "retry after 7s" in (waiting.last_error or "")

    relayed.clock.advance(6.9)
    claimed = await relayed.runtime.db.run(
        lambda s: claim_due(
            s, channels=["memory"], now=relayed.clock.now(), limit=10,
            lease=timedelta(seconds=1), claimer="probe", skip_locked=False,
        )
    )  # fmt: skip
    assert claimed == []  # not due before the 7 s are up
    relayed.clock.advance(0.1)
    sent = await relayed.wait_row(row_id, "the send after 7 s", lambda r: r.status == "sent")
    assert sent.attempts == 1
    assert texts(relayed.platform, "alice") == ["hello"]


async def test_a_permanent_failure_is_dead_at_once(relayed: Relayed) -> None:
    relayed.platform.failures.append(PermanentDeliveryError("chat not found"))
    [row_id] = await relayed.enqueue("alice", Reply("hello"))
    dead = await relayed.wait_row(row_id, "the dead letter", lambda r: r.status == "dead")
    assert dead.attempts == 1
    assert dead.last_error == "PermanentDeliveryError: chat not found"
    assert relayed.platform.posted == {}


async def test_a_conversation_stuck_in_retries_holds_up_no_other(relayed: Relayed) -> None:
    relayed.platform.unreachable.add("alice")
    [first, second] = await relayed.enqueue("alice", Reply("a1"), Reply("a2"))
    await relayed.wait_row(first, "alice's first failure", lambda r: r.attempts == 1)
    bob = await relayed.enqueue("bob", *(Reply(f"b{i}") for i in range(5)))
    carol = await relayed.enqueue("carol", Reply("c0"))
    await relayed.wait(
        "bob's and carol's messages",
        lambda rows: all(r.status == "sent" for r in rows if r.id in {*bob, *carol}),
    )
    assert texts(relayed.platform, "bob") == [f"b{i}" for i in range(5)]
    assert texts(relayed.platform, "carol") == ["c0"]
    assert (await relayed.row(second)).attempts == 0  # waits behind alice's first, in order

    relayed.clock.advance(ALL_RETRIES)
    await relayed.wait_row(first, "alice's second failure", lambda r: r.attempts == 2)
    relayed.platform.unreachable.clear()
    relayed.clock.advance(ALL_RETRIES)
    await relayed.wait("alice's messages", lambda rows: all(r.status == "sent" for r in rows))
    assert texts(relayed.platform, "alice") == ["a1", "a2"]


async def test_one_conversation_is_delivered_in_order_through_failures(relayed: Relayed) -> None:
    # Each conversation fails in its own order: with one queue for both, how the two relay
    # loops interleave decided which message met which failure, and one could meet three resets
    # in a row and die.
    failures: list[Exception | None] = [None, DeliveryError("reset"), None, RetryLater(2)]
    for conversation in ("alice", "bob"):
        relayed.platform.failing[conversation] = deque(failures * 5)
    alice = await relayed.enqueue("alice", *(Reply(f"a{i}") for i in range(15)))
    bob = await relayed.enqueue("bob", *(Reply(f"b{i}") for i in range(15)))
    rows = await relayed.wait(
        "every message", lambda rows: all(r.status == "sent" for r in rows), step=1.0
    )
    assert texts(relayed.platform, "alice") == [f"a{i}" for i in range(15)]
    assert texts(relayed.platform, "bob") == [f"b{i}" for i in range(15)]
    assert len(relayed.platform.calls) == 30  # nothing sent twice
    by_id = {r.id: r for r in rows}
    for ids in (alice, bob):
        posted = [int((by_id[i].platform_message_id or "m0")[1:]) for i in ids]
        assert posted == sorted(posted)


async def test_an_edit_of_an_undelivered_message_is_sent_new_and_edited_later(
    relayed: Relayed,
) -> None:
    relayed.platform.failures.append(PermanentDeliveryError("chat not found"))
    [original] = await relayed.enqueue("alice", Card(title="v1"))
    await relayed.wait_row(original, "the lost original", lambda r: r.status == "dead")

    edits = await relayed.enqueue_edits(original, Card(title="v2"), Card(title="v3"))
    rows = await relayed.wait("both edits", lambda rows: all(r.status in FINAL for r in rows))
    assert [r.status for r in rows if r.id in edits] == ["sent", "sent"]
    [third_edit] = await relayed.enqueue_edits(original, Card(title="v4"))
    await relayed.wait_row(third_edit, "a later edit", lambda r: r.status == "sent")

    message_id = next(r.platform_message_id for r in rows if r.id == edits[0])
    assert message_id is not None
    edit = ("edit", message_id)
    assert relayed.platform.calls == [("send", message_id), edit, edit]
    titles = [v.title for v in relayed.platform.posted[message_id].versions]  # type: ignore[union-attr]
    assert titles == ["v2", "v3", "v4"]
    assert (await relayed.row(original)).platform_message_id == message_id


async def test_operators_retry_or_drop_dead_letters(relayed: Relayed) -> None:
    relayed.platform.failures.extend(PermanentDeliveryError("bot was blocked") for _ in range(2))
    [kept, given_up] = await relayed.enqueue("alice", Reply("keep me"), Reply("drop me"))
    await relayed.wait("two dead letters", lambda rows: all(r.status == "dead" for r in rows))

    db, now = relayed.runtime.db, relayed.clock.now()
    assert await db.run(lambda s: drop_outbox(s, [given_up])) == 1
    assert await db.run(lambda s: retry_outbox(s, [kept], now)) == 1
    retried = await relayed.wait_row(kept, "the retried letter", lambda r: r.status == "sent")
    assert retried.attempts == 1  # the count started over
    assert (await relayed.row(given_up)).status == "dropped"
    assert texts(relayed.platform, "alice") == ["keep me"]
    # neither a sent nor a dropped message can be retried or dropped again
    assert await db.run(lambda s: retry_outbox(s, [kept, given_up], now)) == 0
    assert await db.run(lambda s: drop_outbox(s, [kept, given_up])) == 0
    assert await db.run(lambda s: retry_outbox(s, [], now, all_dead=True)) == 0

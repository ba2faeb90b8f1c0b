"""Rows another version wrote (a rolling deploy) or that were damaged: each is read on its own,
read when it can be, parked with the reason when it cannot, and the rows around it go on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Text, insert, select, type_coerce
from sqlalchemy.orm import Session

from adapters.memory.translate import say
from bot.events import Address
from bot.pipeline.delivery import claim_due
from bot.pipeline.inbox import claim_pending, store_events
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import INBOX, OUTBOX, InboxRow, OutboxRow
from bot.replies import Card, CardStatus, Reply
from domain.shared.clock import SystemClock
from domain.shared.db import Database, open_database
from tests.support import Chat

NOW = SystemClock().now()
BOUND = 30.0  # seconds; a pipeline stopped by a row never settles, a working one in milliseconds

NEWER_EVENT = {  # a newer version's event: a key this one does not know, optional ones left out
    "kind": "command",
    "address": {"channel": "memory", "conversation": "alice"},
    "event_id": "newer",
    "sender_id": "alice",
    "text": "/ping",
    "thread": "t-1",
}
UNREADABLE_EVENTS: dict[str, Any] = {
    "kind": {**NEWER_EVENT, "kind": "reaction"},
    "sender": {k: v for k, v in NEWER_EVENT.items() if k != "sender_id"},
    "list": ["not", "an", "event"],
    "string": "not an event",
}
NEWER_CARD = {"type": "card", "title": "Newer", "status": "sparkly", "badge": "new"}
UNREADABLE_MESSAGES: dict[str, Any] = {
    "type": {"type": "sticker", "file": "cat.webp"},
    "text": {"type": "text"},
    "buttons": {"type": "card", "title": "Bad", "buttons": "nope"},
}
BROKEN_JSON = '{"type": "text", "text": '  # only SQLite lets a damaged value be stored


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """The test database, as the pipeline opens it."""
    database = open_database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


def stored(payload: Any) -> Any:
    """A payload as a raw SQL value: JSON as given, or text stored as it is (damaged JSON)."""
    return type_coerce(payload, Text) if payload == BROKEN_JSON else payload


def put_event(session: Session, conversation: str, event_id: str, payload: Any) -> None:
    """An inbox row written straight in SQL, as another version would."""
    session.execute(
        insert(INBOX).values(
            channel="memory",
            event_id=event_id,
            conversation_key=Address("memory", conversation).key,
            kind="command",
            payload=stored(payload),
            status="pending",
            received_at=NOW,
        )
    )


def put_message(session: Session, conversation: str, payload: Any) -> None:
    """An outbox row written straight in SQL, as another version would."""
    address = Address("memory", conversation)
    session.execute(
        insert(OUTBOX).values(
            channel="memory",
            workspace="",
            conversation=conversation,
            conversation_key=address.key,
            kind="send",
            payload=stored(payload),
            status="pending",
            attempts=0,
            next_attempt_at=NOW,
            created_at=NOW,
        )
    )


def inbox(session: Session) -> dict[str, tuple[str, str | None]]:
    rows = session.execute(select(InboxRow.event_id, InboxRow.status, InboxRow.error))
    return {event_id: (status, error) for event_id, status, error in rows}


def outbox(session: Session) -> list[tuple[str, str | None]]:
    rows = session.execute(
        select(OutboxRow.status, OutboxRow.last_error).order_by(OutboxRow.id)
    )  # not the payloads: the damaged one cannot be read as JSON
    return [(status, error) for status, error in rows]


async def test_a_claim_parks_events_it_cannot_read_and_takes_the_others(db: Database) -> None:
    dialect = db.dialect
    unreadable = dict(UNREADABLE_EVENTS)
    if dialect == "sqlite":
        unreadable["json"] = BROKEN_JSON

    def store(session: Session) -> None:
        store_events(session, [say("alice", "/ping", event_id="a-first")], dialect, NOW)
        for name, payload in unreadable.items():
            put_event(session, "alice", f"a-{name}", payload)  # behind alice's first event
            put_event(session, f"head-{name}", f"h-{name}", payload)  # first of its own
        put_event(session, "alice", "a-newer", NEWER_EVENT)
        store_events(session, [say("alice", "/ping", event_id="a-last")], dialect, NOW)
        for name in unreadable:
            store_events(session, [say(f"head-{name}", "/ping", event_id=f"h-{name}-next")],
                         dialect, NOW)  # fmt: skip

    await db.run(store)
    claimed = await db.run(
        lambda s: claim_pending(s, limit=100, skip_locked=dialect == "postgresql", now=NOW)
    )
    assert [c.event.event_id for c in claimed] == [
        "a-first", "newer", "a-last", *(f"h-{name}-next" for name in unreadable),
    ]  # fmt: skip
    newer = claimed[1].event
    assert (newer.text, newer.sender_name, newer.extra) == ("/ping", "", {})
    rows = await db.run(inbox)
    for name in unreadable:
        for event_id in (f"a-{name}", f"h-{name}"):
            status, error = rows[event_id]
            assert status == "failed", event_id
            assert error is not None and error.startswith("unreadable payload"), error
    assert "missing 'sender_id'" in (rows["a-sender"][1] or "")
    assert "'reaction'" in (rows["a-kind"][1] or "")


async def test_a_claim_of_nothing_but_unreadable_events_claims_the_next_ones(
    db: Database,
) -> None:
    dialect = db.dialect

    def store(session: Session) -> None:
        for i in range(3):
            put_event(session, f"poisoned-{i}", f"p{i}", UNREADABLE_EVENTS["kind"])
        store_events(session, [say("bob", "/ping", event_id="b0")], dialect, NOW)

    await db.run(store)
    claimed = await db.run(
        lambda s: claim_pending(s, limit=2, skip_locked=dialect == "postgresql", now=NOW)
    )
    assert [c.event.event_id for c in claimed] == ["b0"]


async def test_a_claim_dead_letters_messages_it_cannot_read_and_sends_the_next(
    db: Database,
) -> None:
    unreadable = dict(UNREADABLE_MESSAGES)
    if db.dialect == "sqlite":
        unreadable["json"] = BROKEN_JSON

    def store(session: Session) -> None:
        for payload in unreadable.values():
            put_message(session, "alice", payload)
        put_message(session, "alice", NEWER_CARD)
        OutboxWriter(session, NOW, None, timedelta(hours=1)).send(
            Address("memory", "alice"), Reply("after"), recipient_id=None
        )

    await db.run(store)

    def claim(session: Session) -> list[str]:
        deliveries = claim_due(
            session, channels=["memory"], now=NOW, limit=10, lease=timedelta(seconds=30),
            claimer="me", skip_locked=db.dialect == "postgresql",
        )  # fmt: skip
        return [repr(d.message) for d in deliveries]

    newer = Card(title="Newer", status=CardStatus.INFO)  # an unknown colour is the default one
    assert await db.run(claim) == [repr(newer)]  # the first readable row of the conversation
    rows = await db.run(outbox)
    assert [status for status, _error in rows] == ["dead"] * len(unreadable) + [
        "sending",
        "pending",
    ]
    for _status, error in rows[: len(unreadable)]:
        assert error is not None and error.startswith("unreadable payload"), error
    assert "'sticker'" in (rows[0][1] or "")


async def test_the_pipeline_goes_on_past_rows_it_cannot_read(chat: Chat) -> None:
    """An unreadable event, a newer version's event and an unreadable message, ahead of
    alice's next command: the newer event and the command are answered, in order."""

    def rows_from_other_versions(session: Session) -> None:
        put_event(session, "alice", "poison", UNREADABLE_EVENTS["kind"])
        put_event(session, "alice", "newer", NEWER_EVENT)
        put_message(session, "alice", UNREADABLE_MESSAGES["type"])

    await chat.runtime.db.run(rows_from_other_versions)
    async with asyncio.timeout(BOUND):
        await chat.say("alice", "/whoami")
    shown = [p.text for p in chat.memory.conversation("alice")]
    assert len(shown) == 2 and shown[0] == "pong" and "Alice Admin" in shown[1]
    events = await chat.runtime.db.run(inbox)
    assert events["poison"][0] == "failed" and events["newer"][0] == "done"
    messages = await chat.runtime.db.run(outbox)
    assert [status for status, _error in messages] == ["dead", "sent", "sent"]

"""The inbox: platform events made durable before the platform is acknowledged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, Update, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from bot.events import InboundEvent, Unreadable
from bot.logging import get_logger
from bot.pipeline.tables import INBOX, InboxStatus, as_text, first_open, is_postgresql, stored_json
from bot.ports import Accepted
from domain.shared.db import UTCDateTime

log = get_logger("bizbot.inbox")


def insert_events(
    session: Session, rows: list[dict[str, Any]], dialect: str
) -> set[tuple[str, str]]:
    """Insert events, skipping stored ones; return the (channel, event id) pairs that were new."""
    if not rows:
        return set()
    # One statement for the group: SQLAlchemy's "insertmanyvalues" batches the parameter sets
    # into multi-row INSERT .. RETURNING, with a compiled form that is cached, not rebuilt.
    result = session.execute(_insert(dialect), rows)
    return {(channel, event_id) for channel, event_id in result}


@cache
def _insert(dialect: str) -> ReturningInsert[Any]:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(INBOX)
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(INBOX.c.channel, INBOX.c.event_id)
    )


def inbox_row(event: InboundEvent, now: datetime) -> dict[str, Any]:
    """The column values of an event's inbox row."""
    return {
        "channel": event.address.channel,
        "event_id": event.event_id,
        "conversation_key": event.address.key,
        "kind": str(event.kind),
        "payload": event.to_wire(),
        "status": InboxStatus.PENDING,
        "received_at": now,
    }


def store_events(
    session: Session, events: list[InboundEvent], dialect: str, now: datetime
) -> list[Accepted]:
    """Insert a group of events; each learns whether it was new (the first of duplicates wins)."""
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        unique.setdefault((event.address.channel, event.event_id), inbox_row(event, now))
    # Conversations in one global order, so that processes storing the same events do not
    # deadlock; within a conversation arrival order stays (it is the order events are handled).
    rows = sorted(unique.values(), key=lambda row: str(row["conversation_key"]))
    new = insert_events(session, rows, dialect)
    results = []
    for event in events:
        key = (event.address.channel, event.event_id)
        results.append(Accepted(new=key in new))
        new.discard(key)
    return results


def recent_events(
    session: Session,
    conversation_key: str,
    sender_id: str,
    *,
    up_to: int,
    since: datetime,
    at_most: int,
) -> int:
    """How many of a sender's events in a conversation, up to inbox row ``up_to``, arrived
    after ``since``; counting stops at ``at_most``.

    Only the sender's last ``at_most`` rows are read (newest first, on the conversation's
    index), so a sender who writes a lot costs no more than one who writes little.
    """
    latest = (
        select(INBOX.c.received_at)
        .where(
            INBOX.c.conversation_key == conversation_key,
            INBOX.c.id <= up_to,
            INBOX.c.payload["sender_id"].as_string() == sender_id,
        )
        .order_by(INBOX.c.id.desc())
        .limit(at_most)
    )
    return sum(1 for received in session.scalars(latest) if received > since)


@dataclass(frozen=True, slots=True)
class Claimed:
    """An inbox row a worker holds for the length of its transaction."""

    id: int
    event: InboundEvent
    received_at: datetime


def claim_pending(
    session: Session, *, limit: int, skip_locked: bool, now: datetime
) -> list[Claimed]:
    """Up to ``limit`` pending events, in order: first the oldest pending event of each
    conversation whose earlier events are all finished, then (while there is room) the events
    waiting behind those in the same conversations, so that a long queue is worked off in
    batches instead of one event per transaction. Order within a conversation is kept: only a
    prefix of each conversation's pending events is claimed, and they are handled in id order.

    On PostgreSQL the rows stay locked (``FOR UPDATE SKIP LOCKED`` for the first events) until
    the transaction ends, so another process skips them and cannot take an event behind them
    (its predecessor is still pending); a crash rolls back and leaves them pending.

    Each row is read on its own: one this version cannot read (see ``InboundEvent.from_wire``)
    is marked failed with the reason, and the events behind it go on. (If a claim held
    nothing else, the next rows are claimed in its place.)
    """
    postgresql = is_postgresql(session)
    while True:
        rows = _pending(session, postgresql, skip_locked, limit)
        claimed: list[Claimed] = []
        unreadable: dict[int, str] = {}
        for row_id, raw, received in sorted(rows, key=lambda row: int(row[0])):
            try:
                claimed.append(Claimed(row_id, InboundEvent.from_wire(stored_json(raw)), received))
            except Unreadable as exc:
                unreadable[row_id] = str(exc)
        if unreadable:
            _park(session, unreadable, now)
        if claimed or not unreadable:
            return claimed


def _pending(
    session: Session, postgresql: bool, skip_locked: bool, limit: int
) -> list[tuple[int, str, datetime]]:
    """The rows ``claim_pending`` takes: (id, payload as text, received at), in no order."""
    heads = session.execute(_claim(postgresql, skip_locked).limit(limit)).all()
    rows = [(row_id, payload, received) for row_id, payload, received, _key in heads]
    room = limit - len(heads)
    if heads and room > 0:
        params = {"keys": sorted({key for *_, key in heads}), "heads": [r[0] for r in rows]}
        rows += session.execute(_followers(postgresql).limit(room), params).all()
    return rows


def _park(session: Session, unreadable: dict[int, str], now: datetime) -> None:
    """Mark rows this version cannot read failed, with the reason, so that the rest go on."""
    for row_id, reason in unreadable.items():
        log.warning("inbox.unreadable", inbox_id=row_id, error=reason)
    session.execute(
        _finish_failed(),
        [{"row_id": row_id, "now": now, "error": reason} for row_id, reason in unreadable.items()],
    )


@cache
def _claim(postgresql: bool, skip_locked: bool) -> Select[Any]:
    """Pending rows that are the first pending row of their conversation.

    The same set as "no earlier pending row in its conversation" (see ``first_open``).
    ``status`` is repeated on the outer query so that PostgreSQL re-checks it on the row it
    locks: a row another worker finished meanwhile is left alone.
    """
    first = first_open(INBOX, (InboxStatus.PENDING,), postgresql=postgresql)
    query = (
        select(INBOX.c.id, as_text(INBOX.c.payload), INBOX.c.received_at, INBOX.c.conversation_key)
        .where(INBOX.c.status == InboxStatus.PENDING, first)
        .order_by(INBOX.c.id)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=INBOX)
    return query


@cache
def _followers(postgresql: bool) -> Select[Any]:
    """Pending rows of the claimed conversations behind their first ones, oldest first.

    Taken in id order across those conversations, so each conversation contributes a prefix of
    its queue. Locked without skipping: no other worker can hold them, as each waits behind a
    row this one holds.
    """
    query = (
        select(INBOX.c.id, as_text(INBOX.c.payload), INBOX.c.received_at)
        .where(
            INBOX.c.status == InboxStatus.PENDING,
            INBOX.c.conversation_key.in_(bindparam("keys", expanding=True)),
            INBOX.c.id.not_in(bindparam("heads", expanding=True)),
        )
        .order_by(INBOX.c.id)
    )
    if postgresql:
        query = query.with_for_update(of=INBOX)
    return query


def finish_many(session: Session, row_ids: list[int], now: datetime) -> None:
    """Mark events processed, in one statement (one execution per row, batched by the driver)."""
    if row_ids:
        session.execute(_finish_done(), [{"row_id": row_id, "now": now} for row_id in row_ids])


def keep_blanked(session: Session, blanked: list[tuple[int, InboundEvent]]) -> None:
    """Store handled events again as they are to be kept: their secret words blanked (one
    statement for all; only events that carried a secret come here)."""
    if blanked:
        session.execute(
            _store_payload(),
            [{"row_id": row_id, "payload": event.to_wire()} for row_id, event in blanked],
        )


@cache
def _store_payload() -> Update:
    return (
        update(INBOX)
        .where(INBOX.c.id == bindparam("row_id"))
        .values(payload=bindparam("payload", type_=INBOX.c.payload.type))
    )


@cache
def _finish_done() -> Update:
    return (
        update(INBOX)
        .where(INBOX.c.id == bindparam("row_id"))
        .values(
            status=InboxStatus.DONE,
            processed_at=bindparam("now", type_=UTCDateTime()),
            correlation_id=None,
            error=None,
        )
    )


@cache
def _finish_failed() -> Update:
    return (
        update(INBOX)
        .where(INBOX.c.id == bindparam("row_id"))
        .values(
            status=InboxStatus.FAILED,
            processed_at=bindparam("now", type_=UTCDateTime()),
            error=bindparam("error"),
        )
    )


def finish(
    session: Session,
    row_id: int,
    now: datetime,
    *,
    failed: bool = False,
    correlation_id: str | None = None,
    error: str | None = None,
) -> None:
    """Mark an event processed (or failed, with the correlation id the user was shown)."""
    session.execute(
        update(INBOX)
        .where(INBOX.c.id == row_id)
        .values(
            status=InboxStatus.FAILED if failed else InboxStatus.DONE,
            processed_at=now,
            correlation_id=correlation_id,
            error=error,
        )
    )

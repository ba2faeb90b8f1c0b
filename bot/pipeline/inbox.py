"""The inbox: platform events made durable before the platform is acknowledged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from bot.events import InboundEvent
from bot.pipeline.tables import InboxRow, InboxStatus
from bot.ports import Accepted


def insert_events(
    session: Session, rows: list[dict[str, Any]], dialect: str
) -> set[tuple[str, str]]:
    """Insert events, skipping stored ones; return the (channel, event id) pairs that were new.

    The rows go as parameters of one cached statement (SQLAlchemy's "insertmanyvalues"
    batches them into multi-row INSERTs), not as a ``.values(rows)`` statement compiled anew
    for every group: that compile was most of the cost of acknowledging an event.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(InboxRow)
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(InboxRow.channel, InboxRow.event_id)
    )
    return {(channel, event_id) for channel, event_id in session.execute(stmt, rows)}


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


@dataclass(frozen=True, slots=True)
class Claimed:
    """An inbox row a worker holds for the length of its transaction."""

    id: int
    event: InboundEvent
    received_at: datetime


def claim_pending(session: Session, *, limit: int, skip_locked: bool) -> list[Claimed]:
    """The oldest pending event of each conversation whose earlier events are all finished.

    On PostgreSQL the rows stay locked (``FOR UPDATE SKIP LOCKED``) until the transaction ends,
    so another process skips them; a crash rolls back and leaves them pending.
    """
    earlier = aliased(InboxRow)
    blocked = exists().where(
        earlier.conversation_key == InboxRow.conversation_key,
        earlier.id < InboxRow.id,
        earlier.status == InboxStatus.PENDING,
    )
    query = (
        select(InboxRow.id, InboxRow.payload, InboxRow.received_at)
        .where(InboxRow.status == InboxStatus.PENDING, ~blocked)
        .order_by(InboxRow.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=InboxRow)
    return [
        Claimed(id=row_id, event=InboundEvent.from_wire(payload), received_at=received)
        for row_id, payload, received in session.execute(query)
    ]


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
        update(InboxRow)
        .where(InboxRow.id == row_id)
        .values(
            status=InboxStatus.FAILED if failed else InboxStatus.DONE,
            processed_at=now,
            correlation_id=correlation_id,
            error=error,
        )
    )

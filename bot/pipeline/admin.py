"""Looking into and repairing the pipeline: backlog, dead letters, retries, pruning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.events import Unreadable
from bot.pipeline.tables import (
    OUTBOX,
    ActionTokenRow,
    FileRow,
    InboxRow,
    InboxStatus,
    OutboxRow,
    OutboxStatus,
    as_text,
    stored_json,
)
from bot.replies import PLACEHOLDER, concealed, from_wire, to_wire

OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True, slots=True)
class OutboxView:
    """One outbox row, for operators."""

    id: int
    channel: str
    conversation: str
    kind: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    summary: str


def outbox_counts(session: Session) -> dict[str, int]:
    """How many outbox rows are in each status."""
    rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {status: count for status, count in rows}


def backlog(session: Session, channels: list[str], conversation_key: str | None = None) -> int:
    """Events not yet handled plus messages not yet delivered (for these channels)."""
    inbox = select(func.count()).select_from(InboxRow).where(InboxRow.status == InboxStatus.PENDING)
    outbox = (
        select(func.count())
        .select_from(OutboxRow)
        .where(OutboxRow.status.in_(OPEN_STATUSES), OutboxRow.channel.in_(channels))
    )
    if conversation_key is not None:
        inbox = inbox.where(InboxRow.conversation_key == conversation_key)
        outbox = outbox.where(OutboxRow.conversation_key == conversation_key)
    return int(session.scalar(inbox) or 0) + int(session.scalar(outbox) or 0)


def list_outbox(session: Session, status: str | None, limit: int) -> list[OutboxView]:
    """The newest outbox rows, optionally of one status."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxRow.status == status)
    return [_view(row) for row in session.scalars(query)]


def _view(row: OutboxRow) -> OutboxView:
    payload = row.payload
    summary = payload.get("text") or payload.get("title") or ""
    return OutboxView(
        id=row.id,
        channel=row.channel,
        conversation=row.conversation,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        summary=str(summary).replace("\n", " ")[:80],
    )


def retry_outbox(session: Session, ids: list[int], now: datetime, *, all_dead: bool = False) -> int:
    """Put dead (or waiting) rows back in line to be sent now; returns how many."""
    where = OutboxRow.status == OutboxStatus.DEAD if all_dead else OutboxRow.id.in_(ids)
    result = session.execute(
        update(OutboxRow)
        .where(where, OutboxRow.status.in_((OutboxStatus.DEAD, OutboxStatus.PENDING)))
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def drop_outbox(session: Session, ids: list[int]) -> int:
    """Give up on rows that were not sent (they are kept, marked dropped, with any secrets they
    carried blanked); returns how many."""
    droppable = and_(
        OUTBOX.c.id.in_(ids), OUTBOX.c.status.in_((OutboxStatus.DEAD, OutboxStatus.PENDING))
    )
    stored = session.execute(select(OUTBOX.c.id, as_text(OUTBOX.c.payload)).where(droppable))
    blanked = [
        {"row_id": row_id, "payload": _without_secrets(raw)}
        for row_id, raw in stored
        if '"secrets"' in raw
    ]
    result = session.execute(update(OUTBOX).where(droppable).values(status=OutboxStatus.DROPPED))
    if blanked:
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("row_id"))
            .values(payload=bindparam("payload", type_=OUTBOX.c.payload.type)),
            blanked,
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _without_secrets(raw: str) -> dict[str, Any]:
    """A stored message with its secrets blanked (all of it, if this version cannot read it)."""
    try:
        return to_wire(concealed(from_wire(stored_json(raw))))
    except Unreadable:
        return {"type": "text", "text": PLACEHOLDER}


def prune(session: Session, before: datetime, dead_before: datetime) -> int:
    """Delete finished pipeline rows: handled events and sent or dropped messages older than
    ``before``, failed events and dead messages older than ``dead_before``, and files older than
    ``before`` (a card about an older request still names its file); returns how many rows
    went. (An event stays while a message it caused is kept.)"""
    o, i = OutboxRow, InboxRow
    old_outbox = select(o.id).where(
        or_(
            and_(o.status.in_((OutboxStatus.SENT, OutboxStatus.DROPPED)), o.created_at < before),
            and_(o.status == OutboxStatus.DEAD, o.created_at < dead_before),
        )
    )
    tokens = session.execute(
        delete(ActionTokenRow).where(
            or_(ActionTokenRow.expires_at < before, ActionTokenRow.outbox_id.in_(old_outbox))
        )
    )
    session.execute(update(o).where(o.edit_of.in_(old_outbox)).values(edit_of=None))
    outbox = session.execute(delete(o).where(o.id.in_(old_outbox)))
    referenced = select(o.cause_id).where(o.cause_id.is_not(None))
    inbox = session.execute(
        delete(i).where(
            or_(
                and_(i.status == InboxStatus.DONE, i.received_at < before),
                and_(i.status == InboxStatus.FAILED, i.received_at < dead_before),
            ),
            i.id.not_in(referenced),
        )
    )
    files = session.execute(delete(FileRow).where(FileRow.created_at < before))
    results = (tokens, outbox, inbox, files)
    counts: list[int] = [r.rowcount for r in results]  # type: ignore[attr-defined]
    return sum(counts)

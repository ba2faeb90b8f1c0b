"""A conversation's history, read back from the inbox and the outbox (the web chat shows it),
a page at a time: the newest lines, or those before a line's cursor.

Lines are ordered by (time, member before bot, row id): rows written in one transaction share a
timestamp on PostgreSQL (now() is the transaction's start), and this keeps the write order, a
member's line first. A line's cursor names its row (``m12`` an inbox row, ``b34`` an outbox
row), so the page before it is the lines that come before that row in this order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.events import Address
from bot.pipeline.tables import InboxRow, OutboxRow, OutboxStatus

CURSOR = re.compile(r"([mb])([0-9]{1,18})")
MEMBER, BOT = 0, 1  # a member's line comes first among lines of the same moment


class BadCursor(ValueError):
    """A cursor that names no line of this conversation."""


@dataclass(frozen=True, slots=True)
class Line:
    """One message in a conversation, as last edited. ``message`` is the wire form; ``cursor``
    asks for the lines before this one."""

    at: datetime
    author: str  # "member" or "bot"
    message_id: str
    message: dict[str, Any]
    cursor: str


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a line stands in the order: (time, member or bot, row id)."""

    at: datetime
    rank: int
    row_id: int

    def before(
        self, at: InstrumentedAttribute[datetime], rank: int, row_id: InstrumentedAttribute[int]
    ) -> ColumnElement[bool]:
        """Rows (of one kind) that come before this place."""
        earlier = at < self.at
        if rank < self.rank:
            return or_(earlier, at == self.at)
        if rank > self.rank:
            return earlier
        return or_(earlier, and_(at == self.at, row_id < self.row_id))


def conversation_history(
    session: Session, address: Address, limit: int = 100, before: str = ""
) -> list[Line]:
    """The last ``limit`` messages of a conversation (before the line whose cursor is
    ``before``, if given), oldest first, edits applied. ``BadCursor`` if it names no line."""
    place = _place(session, address, before) if before else None
    lines = _bot_lines(session, address, limit, place) + _member_lines(
        session, address, limit, place
    )
    lines.sort(key=lambda line: (line.at, line.author != "member", _row_id(line.cursor)))
    return lines[-limit:]


def _bot_lines(session: Session, address: Address, limit: int, place: _Place | None) -> list[Line]:
    query = select(OutboxRow).where(
        OutboxRow.conversation_key == address.key,
        OutboxRow.status == OutboxStatus.SENT,
        OutboxRow.kind == "send",
        OutboxRow.platform_message_id.is_not(None),
    )
    if place is not None:
        query = query.where(place.before(OutboxRow.created_at, BOT, OutboxRow.id))
    sent = list(session.scalars(query.order_by(OutboxRow.id.desc()).limit(limit)))
    latest = _edited(session, address, [row.platform_message_id or "" for row in sent])
    return [
        Line(
            row.created_at,
            "bot",
            row.platform_message_id or "",
            latest.get(row.platform_message_id or "", row.payload),
            f"b{row.id}",
        )
        for row in sent
    ]


def _edited(session: Session, address: Address, message_ids: list[str]) -> dict[str, Any]:
    """The last payload sent for each message (its latest edit, or itself)."""
    rows = session.execute(
        select(OutboxRow.platform_message_id, OutboxRow.payload)
        .where(
            OutboxRow.conversation_key == address.key,
            OutboxRow.status == OutboxStatus.SENT,
            OutboxRow.platform_message_id.in_(message_ids),
        )
        .order_by(OutboxRow.id)
    )
    return {message_id: payload for message_id, payload in rows if message_id}


def _member_lines(
    session: Session, address: Address, limit: int, place: _Place | None
) -> list[Line]:
    query = select(InboxRow.id, InboxRow.received_at, InboxRow.payload).where(
        InboxRow.conversation_key == address.key, InboxRow.kind != "action"
    )
    if place is not None:
        query = query.where(place.before(InboxRow.received_at, MEMBER, InboxRow.id))
    rows = session.execute(query.order_by(InboxRow.id.desc()).limit(limit))
    return [
        Line(at, "member", f"in-{row_id}", _member_message(payload), f"m{row_id}")
        for row_id, at, payload in rows
    ]


def _member_message(payload: dict[str, Any]) -> dict[str, Any]:
    """What a member sent, as a text line with the files that were kept (refused ones: none)."""
    message: dict[str, Any] = {"type": "text", "text": payload.get("text", "")}
    files = [f for f in payload.get("files", ()) if isinstance(f, dict) and f.get("id")]
    if files:
        message["files"] = files
    return message


def _place(session: Session, address: Address, cursor: str) -> _Place:
    """Where the line a cursor names stands; ``BadCursor`` if it is not of this conversation."""
    found = CURSOR.fullmatch(cursor)
    if found is None:
        raise BadCursor(cursor)
    kind, row_id = found.group(1), int(found.group(2))
    if kind == "m":
        at = session.scalar(
            select(InboxRow.received_at).where(
                InboxRow.id == row_id, InboxRow.conversation_key == address.key
            )
        )
    else:
        at = session.scalar(
            select(OutboxRow.created_at).where(
                OutboxRow.id == row_id, OutboxRow.conversation_key == address.key
            )
        )
    if at is None:
        raise BadCursor(cursor)
    return _Place(at, MEMBER if kind == "m" else BOT, row_id)


def _row_id(cursor: str) -> int:
    found = CURSOR.fullmatch(cursor)
    return int(found.group(2)) if found else 0

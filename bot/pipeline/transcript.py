"""A conversation's history, read back from the inbox and the outbox (the web chat shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.events import Address
from bot.pipeline.tables import InboxRow, OutboxRow, OutboxStatus


@dataclass(frozen=True, slots=True)
class Line:
    """One message in a conversation, as last edited. ``message`` is the wire form."""

    at: datetime
    author: str  # "member" or "bot"
    message_id: str
    message: dict[str, Any]


def conversation_history(session: Session, address: Address, limit: int = 100) -> list[Line]:
    """The last ``limit`` messages of a conversation, oldest first, edits applied."""
    bot_rows = list(
        session.scalars(
            select(OutboxRow)
            .where(OutboxRow.conversation_key == address.key, OutboxRow.status == OutboxStatus.SENT)
            .order_by(OutboxRow.id.desc())
            .limit(limit * 2)
        )
    )
    bot_rows.sort(key=lambda r: r.id)
    latest: dict[str, dict[str, Any]] = {}
    for row in bot_rows:
        if row.platform_message_id:
            latest[row.platform_message_id] = row.payload
    bot_lines = [
        Line(
            row.created_at,
            "bot",
            row.platform_message_id or "",
            latest[row.platform_message_id or ""],
        )
        for row in bot_rows
        if row.kind == "send" and row.platform_message_id
    ]
    member_rows = session.execute(
        select(InboxRow.id, InboxRow.received_at, InboxRow.payload)
        .where(InboxRow.conversation_key == address.key, InboxRow.kind != "action")
        .order_by(InboxRow.id.desc())
        .limit(limit)
    )
    lines = [
        Line(at, "member", f"in-{row_id}", {"type": "text", "text": payload.get("text", "")})
        for row_id, at, payload in reversed(list(member_rows))
    ]
    # Rows written in one transaction share a timestamp on PostgreSQL (now() is the
    # transaction's start): the stable sort keeps the write order, a member's line first.
    lines += bot_lines
    lines.sort(key=lambda line: line.at)
    return lines[-limit:]

"""Writing to the outbox, inside the domain transaction (the relay claims from it: ``delivery``)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from bot.events import Address
from bot.pipeline.files import store_attachments
from bot.pipeline.tables import OUTBOX, ActionTokenRow, OutboxRow, OutboxStatus
from bot.replies import Button, Card, Message, to_wire

TOKEN_BYTES = 16  # 22 url-safe characters, far below Telegram's 64-byte callback_data limit


def new_token() -> str:
    """A fresh opaque action token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass
class OutboxWriter:
    """Queues messages in the current transaction; they go out only if it commits."""

    session: Session
    now: datetime
    cause_id: int | None
    action_ttl: timedelta
    written: int = 0

    def send(
        self,
        address: Address,
        message: Message,
        *,
        recipient_id: int | None,
        subject: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> int:
        """Queue a new message (card buttons get tokens bound to the recipient); returns its id."""
        minted, tokens = self._mint(message, recipient_id)
        row_id = self._insert(address, minted, "send", subject, None, context)
        if tokens:
            for token in tokens:
                token["outbox_id"] = row_id
            self.session.execute(insert(ActionTokenRow), tokens)
        return row_id

    def edit(
        self,
        original_id: int,
        message: Message,
        *,
        recipient_id: int | None,
        context: Mapping[str, str] | None = None,
    ) -> int:
        """Queue an in-place edit of an earlier message (e.g. a card whose button was used)."""
        original = self.session.get(OutboxRow, original_id)
        if original is None:
            raise LookupError(f"no outbox row {original_id}")
        address = Address(original.channel, original.conversation, original.workspace)
        retire_tokens(self.session, original_id, self.now)  # the old version's buttons die
        minted, tokens = self._mint(message, recipient_id)
        row_id = self._insert(address, minted, "edit", original.subject, original_id, context)
        if tokens:
            for token in tokens:
                token["outbox_id"] = original_id
            self.session.execute(insert(ActionTokenRow), tokens)
        return row_id

    def edit_subject(self, subject: str, message: Message) -> int:
        """Replace every copy of the cards about ``subject`` that is or will be shown.

        Meant for outcomes: one text for every reader. Its buttons must name who may tap them,
        since the copies go to different people (edit copies one by one to tailor them).
        """
        if isinstance(message, Card) and any(
            b.action is not None and b.action.allowed is None for b in message.buttons
        ):
            raise ValueError("buttons on a card sent to every copy must say who may tap them")
        originals = self.session.scalars(
            select(OutboxRow.id).where(
                OutboxRow.subject == subject,
                OutboxRow.kind == "send",
                OutboxRow.status.not_in((OutboxStatus.DEAD, OutboxStatus.DROPPED)),
            )
        ).all()
        for original_id in originals:
            self.edit(original_id, message, recipient_id=None)
        return len(originals)

    def _insert(
        self,
        address: Address,
        message: Message,
        kind: str,
        subject: str | None,
        edit_of: int | None,
        context: Mapping[str, str] | None,
    ) -> int:
        self.written += 1
        if message.attachments:  # a text-only message costs nothing more
            message = store_attachments(self.session, address, message, self.now)
        row = {
            "channel": address.channel,
            "workspace": address.workspace,
            "conversation": address.conversation,
            "conversation_key": address.key,
            "kind": kind,
            "edit_of": edit_of,
            "subject": subject,
            "payload": to_wire(message),
            "context": dict(context) if context else None,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": self.now,
            "cause_id": self.cause_id,
            "created_at": self.now,
        }
        result = cast(CursorResult[Any], self.session.execute(_insert_message(), row))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def _mint(
        self, message: Message, recipient_id: int | None
    ) -> tuple[Message, list[dict[str, Any]]]:
        """Replace each button's action with a token, and describe the token rows to insert."""
        if not isinstance(message, Card) or not message.buttons:
            return message, []
        buttons: list[Button] = []
        rows: list[dict[str, Any]] = []
        for button in message.buttons:
            if button.action is None:
                buttons.append(button)
                continue
            action = button.action
            token = new_token()
            allowed = (
                action.allowed
                if action.allowed is not None
                else ((recipient_id,) if recipient_id is not None else None)
            )
            ttl = action.ttl or self.action_ttl
            rows.append(
                {
                    "token": token,
                    "action": action.name,
                    "target": action.target,
                    "args": dict(action.args),
                    "allowed": list(allowed) if allowed is not None else None,
                    "single_use": action.single_use,
                    "expires_at": self.now + ttl,
                    "created_at": self.now,
                }
            )
            buttons.append(replace(button, action=None, token=token))
        return message.with_buttons(tuple(buttons)), rows


def retire_tokens(session: Session, outbox_id: int, now: datetime) -> None:
    """A card was replaced: its single-use buttons (decisions) die with the old version.

    Multi-use buttons (a language switch, an answer one may change) live until they expire.
    """
    session.execute(
        update(ActionTokenRow)
        .where(
            ActionTokenRow.outbox_id == outbox_id,
            ActionTokenRow.single_use.is_(True),
            ActionTokenRow.used_at.is_(None),
        )
        .values(used_at=now)
    )


@cache
def _insert_message() -> Insert:
    """The new row's id comes from the driver (SQLite's lastrowid, RETURNING on PostgreSQL)."""
    return insert(OUTBOX)


@dataclass(frozen=True, slots=True)
class Copy:
    """A message queued about a subject (not an edit), and how far its delivery got."""

    id: int
    subject: str
    status: str  # pending | sending | sent | dead | dropped


def messages_about(session: Session, subjects: list[str]) -> list[Copy]:
    """The messages sent about some subjects, oldest first (ix_outbox_subject)."""
    if not subjects:
        return []
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.subject, OutboxRow.status)
        .where(OutboxRow.subject.in_(subjects), OutboxRow.kind == "send")
        .order_by(OutboxRow.id)
    )
    return [Copy(row_id, str(subject), status) for row_id, subject, status in rows]

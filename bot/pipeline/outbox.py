"""Writing to the outbox (inside the domain transaction) and claiming from it (for the relay)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.events import Address
from bot.pipeline.tables import ActionTokenRow, OutboxRow, OutboxStatus
from bot.replies import Button, Card, Message, from_wire, to_wire

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
        minted, tokens = self._mint(message, recipient_id)
        row_id = self._insert(address, minted, "edit", original.subject, original_id, context)
        if tokens:
            for token in tokens:
                token["outbox_id"] = original_id
            self.session.execute(insert(ActionTokenRow), tokens)
        return row_id

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
        return int(
            self.session.execute(
                insert(OutboxRow)
                .values(
                    channel=address.channel,
                    workspace=address.workspace,
                    conversation=address.conversation,
                    conversation_key=address.key,
                    kind=kind,
                    edit_of=edit_of,
                    subject=subject,
                    payload=to_wire(message),
                    context=dict(context) if context else None,
                    status=OutboxStatus.PENDING,
                    attempts=0,
                    next_attempt_at=self.now,
                    cause_id=self.cause_id,
                    created_at=self.now,
                )
                .returning(OutboxRow.id)
            ).scalar_one()
        )

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


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row, ready to send."""

    id: int
    address: Address
    kind: str
    message: Message
    attempts: int
    created_at: datetime
    context: Mapping[str, str]
    edit_of: int | None
    edit_target: str | None  # platform message id of the original, for edits


def claim_due(
    session: Session,
    *,
    channels: list[str],
    now: datetime,
    limit: int,
    lease: timedelta,
    claimer: str,
    skip_locked: bool,
) -> list[Delivery]:
    """Claim the first due row of each conversation that has nothing earlier still in flight."""
    earlier = aliased(OutboxRow)
    due = or_(
        and_(OutboxRow.status == OutboxStatus.PENDING, OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == OutboxStatus.SENDING, OutboxRow.lease_until < now),
    )
    blocked = exists().where(
        earlier.conversation_key == OutboxRow.conversation_key,
        earlier.id < OutboxRow.id,
        earlier.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
    )
    query = (
        select(OutboxRow)
        .where(OutboxRow.channel.in_(channels), due, ~blocked)
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=OutboxRow)
    rows = list(session.scalars(query))
    if not rows:
        return []
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_([r.id for r in rows]))
        .values(status=OutboxStatus.SENDING, lease_until=now + lease, claimed_by=claimer)
    )
    targets = _edit_targets(session, [r.edit_of for r in rows if r.edit_of])
    return [
        Delivery(
            id=r.id,
            address=Address(r.channel, r.conversation, r.workspace),
            kind=r.kind,
            message=from_wire(r.payload),
            attempts=r.attempts,
            created_at=r.created_at,
            context=r.context or {},
            edit_of=r.edit_of,
            edit_target=targets.get(r.edit_of) if r.edit_of else None,
        )
        for r in rows
    ]


def _edit_targets(session: Session, ids: list[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.platform_message_id).where(OutboxRow.id.in_(ids))
    )
    return {row_id: message_id for row_id, message_id in rows}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one delivery attempt."""

    id: int
    sent: bool
    platform_message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None  # None with an error: dead letter
    count_attempt: bool = True
    adopted_by: int | None = None  # an edit sent as a new message: the original now points at it


def record_outcomes(session: Session, outcomes: list[Outcome], now: datetime, claimer: str) -> int:
    """Mark rows sent, rescheduled or dead; only rows this claimer still holds are changed."""
    changed = 0
    for o in outcomes:
        mine = and_(
            OutboxRow.id == o.id,
            OutboxRow.status == OutboxStatus.SENDING,
            OutboxRow.claimed_by == claimer,
        )
        values: dict[str, Any] = {"lease_until": None, "claimed_by": None}
        if o.sent:
            values |= {"status": OutboxStatus.SENT, "sent_at": now}
            values["platform_message_id"] = o.platform_message_id
        elif o.retry_at is not None:
            values |= {
                "status": OutboxStatus.PENDING,
                "next_attempt_at": o.retry_at,
                "last_error": o.error,
            }
        else:
            values |= {"status": OutboxStatus.DEAD, "last_error": o.error}
        if o.count_attempt:
            values["attempts"] = OutboxRow.attempts + 1
        changed += session.execute(update(OutboxRow).where(mine).values(**values)).rowcount  # type: ignore[attr-defined]
        if o.sent and o.adopted_by is not None:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == o.adopted_by)
                .values(platform_message_id=o.platform_message_id)
            )
    return changed


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

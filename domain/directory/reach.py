"""Reaching a member: which of their chat accounts gets notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.directory.models import ChatIdentity, Member
from domain.shared.errors import Conflict, NotFound

BUILT_IN = "webchat"  # every member can be reached in the web chat, by handle
HANDLE_CHANNELS = frozenset({BUILT_IN, "console", "memory"})  # sign members in by handle


@dataclass(frozen=True, slots=True)
class Account:
    """A chat account a message can be sent to (for direct messages, the user id is the chat)."""

    channel: str
    workspace: str
    user: str


def accounts_of(session: Session, member_id: int, built_in: str = BUILT_IN) -> list[Account]:
    """A member's accounts: their platform identities, then the web chat."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("No member with id {id}.", id=member_id)
    rows = session.scalars(
        select(ChatIdentity).where(ChatIdentity.member_id == member_id).order_by(ChatIdentity.id)
    )
    accounts = [Account(i.channel, i.workspace, i.platform_user_id) for i in rows]
    accounts = [a for a in accounts if a.channel not in HANDLE_CHANNELS]
    return [*accounts, Account(built_in, "", member.handle)]


def preferred_account(
    session: Session, member_id: int, enabled: frozenset[str], built_in: str = BUILT_IN
) -> Account:
    """Where a member's notifications go: their chosen channel, else their first account."""
    member = session.get(Member, member_id)
    usable = [
        a
        for a in accounts_of(session, member_id, built_in)
        if a.channel in enabled or a.channel == built_in
    ]
    chosen = [a for a in usable if member is not None and a.channel == member.preferred_channel]
    return (chosen or usable)[0]


def set_preferred_channel(
    session: Session, member_id: int, channel: str, now: datetime, built_in: str = BUILT_IN
) -> None:
    """Choose where a member's notifications go; they must have an account there."""
    if channel not in {a.channel for a in accounts_of(session, member_id, built_in)}:
        raise Conflict(
            "You have no {channel} account linked. Link one with /bind first.", channel=channel
        )
    session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(preferred_channel=channel, updated_at=now)
    )

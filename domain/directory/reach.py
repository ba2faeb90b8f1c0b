"""Reaching a member: which of their chat accounts gets notifications."""

from __future__ import annotations

from collections.abc import Collection
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
    found = _accounts_and_choices(session, [member_id], built_in)
    if member_id not in found:
        raise NotFound("No member with id {id}.", id=member_id)
    return found[member_id][0]


def _accounts_and_choices(
    session: Session, member_ids: Collection[int], built_in: str
) -> dict[int, tuple[list[Account], str | None]]:
    """Members' accounts and preferred channels, in two plain-column reads for all of them."""
    members = session.execute(
        select(Member.id, Member.handle, Member.preferred_channel).where(Member.id.in_(member_ids))
    ).all()
    identities = session.execute(
        select(
            ChatIdentity.member_id,
            ChatIdentity.channel,
            ChatIdentity.workspace,
            ChatIdentity.platform_user_id,
        )
        .where(ChatIdentity.member_id.in_(member_ids))
        .order_by(ChatIdentity.id)
    )
    accounts: dict[int, list[Account]] = {member_id: [] for member_id, _h, _p in members}
    for member_id, channel, workspace, user in identities:
        if channel not in HANDLE_CHANNELS:
            accounts[member_id].append(Account(channel, workspace, user))
    return {
        member_id: ([*accounts[member_id], Account(built_in, "", handle)], preferred)
        for member_id, handle, preferred in members
    }


def preferred_account(
    session: Session, member_id: int, enabled: frozenset[str], built_in: str = BUILT_IN
) -> Account:
    """Where a member's notifications go: their chosen channel, else their first account."""
    found = preferred_accounts(session, [member_id], enabled, built_in)
    if member_id not in found:
        raise NotFound("No member with id {id}.", id=member_id)
    return found[member_id]


def preferred_accounts(
    session: Session, member_ids: Collection[int], enabled: frozenset[str], built_in: str = BUILT_IN
) -> dict[int, Account]:
    """``preferred_account`` for several members at once (unknown ids are left out)."""
    chosen: dict[int, Account] = {}
    for member_id, (accounts, preferred) in _accounts_and_choices(
        session, member_ids, built_in
    ).items():
        usable = [a for a in accounts if a.channel in enabled or a.channel == built_in]
        chosen[member_id] = next((a for a in usable if a.channel == preferred), usable[0])
    return chosen


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

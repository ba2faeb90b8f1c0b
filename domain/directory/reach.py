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
) -> dict[int, tuple[list[Account], str | None, str | None]]:
    """Members' accounts, chosen channels and last channels, in two plain-column reads for all."""
    members = session.execute(
        select(Member.id, Member.handle, Member.preferred_channel, Member.last_channel).where(
            Member.id.in_(member_ids)
        )
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
    accounts: dict[int, list[Account]] = {member.id: [] for member in members}
    for member_id, channel, workspace, user in identities:
        if channel not in HANDLE_CHANNELS:
            accounts[member_id].append(Account(channel, workspace, user))
    return {
        member_id: ([*accounts[member_id], Account(built_in, "", handle)], chosen, last)
        for member_id, handle, chosen, last in members
    }


@dataclass(frozen=True, slots=True)
class Reach:
    """Where a member's notifications go, and why: ``chosen`` with /prefer, the channel they
    ``last`` wrote from, or the ``default`` (their first account, else the web chat)."""

    account: Account
    by: str  # chosen | last | default


def reaches(
    session: Session, member_ids: Collection[int], enabled: frozenset[str], built_in: str = BUILT_IN
) -> dict[int, Reach]:
    """The one rule for where notifications go, for several members at once (unknown ids are
    left out): the channel chosen with /prefer, else the one they last wrote from, else their
    first account. Only channels this installation can deliver to (``enabled``) count.

    Answers to commands never come here: they go back to the conversation they came from.
    """
    found: dict[int, Reach] = {}
    for member_id, (accounts, chosen, last) in _accounts_and_choices(
        session, member_ids, built_in
    ).items():
        usable = [a for a in accounts if a.channel in enabled or a.channel == built_in]
        found[member_id] = _reach(usable, chosen, last)
    return found


def _reach(usable: list[Account], chosen: str | None, last: str | None) -> Reach:
    for by, channel in (("chosen", chosen), ("last", last)):
        account = next((a for a in usable if a.channel == channel), None)
        if account is not None:
            return Reach(account, by)
    return Reach(usable[0], "default")


def reach_of(
    session: Session, member_id: int, enabled: frozenset[str], built_in: str = BUILT_IN
) -> Reach:
    """``reaches`` for one member."""
    found = reaches(session, [member_id], enabled, built_in)
    if member_id not in found:
        raise NotFound("No member with id {id}.", id=member_id)
    return found[member_id]


def preferred_account(
    session: Session, member_id: int, enabled: frozenset[str], built_in: str = BUILT_IN
) -> Account:
    """Where a member's notifications go (see ``reaches``)."""
    return reach_of(session, member_id, enabled, built_in).account


def preferred_accounts(
    session: Session, member_ids: Collection[int], enabled: frozenset[str], built_in: str = BUILT_IN
) -> dict[int, Account]:
    """Where several members' notifications go (see ``reaches``; unknown ids are left out)."""
    return {m: r.account for m, r in reaches(session, member_ids, enabled, built_in).items()}


def set_preferred_channel(
    session: Session, member_id: int, channel: str | None, now: datetime, built_in: str = BUILT_IN
) -> None:
    """Choose where a member's notifications go (they must have an account there), or with
    ``None`` go back to the channel they last wrote from."""
    if channel is not None and channel not in {
        a.channel for a in accounts_of(session, member_id, built_in)
    }:
        raise Conflict(
            "You have no {channel} account linked. Link one with /bind first.", channel=channel
        )
    session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(preferred_channel=channel, updated_at=now)
    )


def note_last_channel(session: Session, member_id: int, channel: str) -> None:
    """Remember the channel a member just wrote from. Callers skip it when the member's view
    already shows that channel, so a member writing where they wrote before costs nothing; the
    condition keeps a stale view from writing the row again."""
    session.execute(
        update(Member)
        .where(Member.id == member_id, Member.last_channel.is_distinct_from(channel))
        .values(last_channel=channel)
    )

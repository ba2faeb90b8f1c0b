"""The web chat's sign-in, history and room members, implemented on the directory and the
pipeline tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.events import Address
from bot.i18n import normalise_locale
from bot.pipeline.tables import RoomMemberRow
from bot.pipeline.transcript import conversation_history
from bot.ports import JoinedRoom, WebUser
from domain.crm import invites
from domain.directory import services as directory
from domain.directory.views import MemberView
from domain.shared.clock import Clock
from domain.shared.db import Database
from domain.shared.errors import DomainError


def _user(member: MemberView) -> WebUser:
    return WebUser(handle=member.handle, name=member.name, locale=member.locale)


class DirectoryWebAuth:
    """WebAuth on the directory: sessions and login links are member tokens."""

    def __init__(self, db: Database, clock: Clock, session_ttl: timedelta) -> None:
        self._db = db
        self._clock = clock
        self._ttl = session_ttl

    async def local_members(self) -> list[WebUser]:
        """Every active member, for the local login list."""
        members = await self._db.run(directory.list_members)
        return [_user(m) for m in members]

    async def start_local(self, handle: str) -> str | None:
        """Open a session for ``handle`` (the caller checked that local login is allowed)."""
        return await self._start(handle=handle)

    async def link_user(self, secret: str) -> WebUser | None:
        """The member a one-time login link would sign in, without using it up."""
        now = self._clock.now()
        member = await self._db.run(lambda s: directory.login_link_member(s, secret, now))
        return _user(member) if member else None

    async def start_from_link(self, secret: str) -> str | None:
        """Open a session from a one-time login link."""
        return await self._start(link=secret)

    async def _start(self, *, handle: str = "", link: str = "") -> str | None:
        now = self._clock.now()
        try:
            secret, _member = await self._db.run(
                lambda s: directory.start_web_session(s, now, self._ttl, handle=handle, link=link)
            )
        except DomainError:
            return None
        return secret

    async def invited_name(self, secret: str) -> str | None:
        """The name of the guest a one-time invitation would sign in, without using it up."""
        now = self._clock.now()
        return await self._db.run(lambda s: invites.invited_name(s, secret, now))

    async def start_guest(self, secret: str) -> str | None:
        """Open a guest's session from a one-time invitation (a customer's contact)."""
        now = self._clock.now()
        try:
            cookie, _guest = await self._db.run(lambda s: invites.start_web_guest(s, secret, now))
        except DomainError:
            return None
        return cookie

    async def user_for(self, session_secret: str) -> WebUser | None:
        """The active member, or guest, behind a session cookie."""
        now = self._clock.now()
        member = await self._db.run(lambda s: directory.web_session_member(s, session_secret, now))
        if member is not None:
            return _user(member)
        guest = await self._db.run(lambda s: invites.web_guest(s, session_secret, now, self._ttl))
        if guest is None:
            return None
        return WebUser(guest.handle, guest.name, normalise_locale(guest.locale), guest=True)

    async def end(self, session_secret: str) -> None:
        """End a session (a guest's account is unlinked)."""
        now = self._clock.now()
        await self._db.run(lambda s: directory.end_web_session(s, session_secret, now))
        await self._db.run(lambda s: invites.end_web_guest(s, session_secret))


class PipelineHistory:
    """History on the inbox and outbox tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(
        self, address: Address, limit: int, before: str = ""
    ) -> list[dict[str, Any]]:
        """The last lines of a conversation (before a line's cursor) as JSON-safe dicts."""
        lines = await self._db.run(lambda s: conversation_history(s, address, limit, before))
        return [
            {
                "id": line.message_id,
                "author": line.author,
                "at": line.at.isoformat(),
                "message": line.message,
                "cursor": line.cursor,
            }
            for line in lines
        ]


class TableRoomMembers:
    """RoomMembers on the ``room_members`` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self, channel: str, conversation: str, title: str, members: Sequence[str]
    ) -> None:
        """Put the members in the room; the room keeps its latest title."""
        now = self._clock.now()
        await self._db.run(
            lambda s: add_room_members(s, channel, conversation, title, members, now)
        )

    async def rooms_of(self, channel: str, member: str) -> list[JoinedRoom]:
        """The member's rooms on the channel, oldest first."""
        query = (
            select(RoomMemberRow.conversation, RoomMemberRow.title)
            .where(RoomMemberRow.channel == channel, RoomMemberRow.member == member)
            .order_by(RoomMemberRow.added_at, RoomMemberRow.conversation)
        )
        rows = await self._db.run(lambda s: list(s.execute(query)))
        return [JoinedRoom(conversation, title) for conversation, title in rows]


def add_room_members(
    session: Session,
    channel: str,
    conversation: str,
    title: str,
    members: Sequence[str],
    now: datetime,
) -> None:
    """Add the members not yet in the room (adding one twice changes nothing)."""
    in_room = (RoomMemberRow.channel == channel, RoomMemberRow.conversation == conversation)
    present = set(session.scalars(select(RoomMemberRow.member).where(*in_room)))
    session.execute(update(RoomMemberRow).where(*in_room).values(title=title[:200]))
    for member in dict.fromkeys(members):
        if member not in present:
            session.add(RoomMemberRow(channel=channel, conversation=conversation, member=member,
                                      title=title[:200], added_at=now))  # fmt: skip
    session.flush()

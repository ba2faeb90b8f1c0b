"""Delivering to the web chat: push to the member's open sockets; the outbox keeps the history.

A room (a deal room) is a conversation ``room:<name>`` of several members: its members are kept
through the ``RoomMembers`` port (a kernel table), so that their sockets join it when they
connect, and the tabs already open join it when the room is opened.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from adapters.webchat.render import frame
from adapters.webchat.translate import CHANNEL, address_of
from bot.events import Address
from bot.ports import PermanentDeliveryError, RoomMembers, RoomRequest
from bot.replies import Message

ROOM_PREFIX = "room:"  # a handle has no colon: no member's conversation starts with it


def room_address(name: str) -> Address:
    """The web chat conversation of the room named ``name``."""
    return Address(CHANNEL, ROOM_PREFIX + name)


def is_room(conversation: str) -> bool:
    """Whether a web chat conversation is a room (else a member's chat with the bot)."""
    return conversation.startswith(ROOM_PREFIX)


class Hub:
    """The open web chat sockets of this process, by conversation (a member's, or a room's)."""

    def __init__(self) -> None:
        self._sockets: defaultdict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self._joined: defaultdict[web.WebSocketResponse, set[str]] = defaultdict(set)
        self._titles: dict[str, str] = {}

    def join(self, conversation: str, ws: web.WebSocketResponse) -> None:
        """A browser tab connected (to its member's conversation, or to one of their rooms)."""
        self._sockets[conversation].add(ws)
        self._joined[ws].add(conversation)

    def leave(self, ws: web.WebSocketResponse) -> None:
        """A browser tab went away: out of every conversation it was in."""
        for conversation in self._joined.pop(ws, set()):
            sockets = self._sockets.get(conversation)
            if sockets is not None:
                sockets.discard(ws)
                if not sockets:
                    del self._sockets[conversation]

    def name_room(self, conversation: str, title: str) -> None:
        """Remember a room's title, to label its messages."""
        self._titles[conversation] = title

    def title_of(self, conversation: str) -> str:
        """A room's title ("" if this process has not seen the room)."""
        return self._titles.get(conversation, "")

    async def open_room(self, conversation: str, title: str, handles: Iterable[str]) -> None:
        """Put the members' open tabs in a room and tell them of it."""
        self.name_room(conversation, title)
        for handle in handles:
            for ws in list(self._sockets.get(address_of(handle).conversation, ())):
                self.join(conversation, ws)
        await self.publish(conversation, {"type": "room", "room": conversation, "title": title})

    async def publish(self, conversation: str, payload: dict[str, Any]) -> int:
        """Push a frame to every open tab of a conversation; returns how many got it."""
        delivered = 0
        for ws in list(self._sockets.get(conversation, ())):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(payload)
                delivered += 1
        return delivered

    async def close_all(self) -> None:
        """Close every socket (at shutdown)."""
        for ws in list(self._joined):
            await ws.close()


class WebChatClient:
    """The web chat's ChannelClient. A member who is offline sees the message in their history.

    It opens rooms when given where their members are kept (``RoomMembers``); without it, a
    room is refused and the flow falls back to the owner's own chat.
    """

    channel = CHANNEL

    def __init__(self, hub: Hub, members: RoomMembers | None = None) -> None:
        self._hub = hub
        self._members = members

    async def open_room(self, room: RoomRequest) -> Address:
        """The room ``room:<name>``: the same room whenever it is opened again under that name;
        its members are recorded before their open tabs join it."""
        if self._members is None:
            raise PermanentDeliveryError("the web chat keeps no room members here")
        address = room_address(room.name)
        await self._members.add(CHANNEL, address.conversation, room.title, room.members)
        await self._hub.open_room(address.conversation, room.title, room.members)
        return address

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        """Push a new message to the member's tabs (or the room's members' tabs)."""
        message_id = uuid.uuid4().hex[:16]
        await self._hub.publish(
            address.conversation, self._frame("message", message_id, address, message)
        )
        return message_id

    async def edit(
        self,
        address: Address,
        message_id: str,
        message: Message,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Replace a message in the member's tabs."""
        await self._hub.publish(
            address.conversation, self._frame("update", message_id, address, message)
        )

    def pace(self, address: Address) -> float:
        """Our own page has no rate limit."""
        return 0.0

    def _frame(
        self, kind: str, message_id: str, address: Address, message: Message
    ) -> dict[str, Any]:
        payload = frame(kind, message_id, message)
        if is_room(address.conversation):
            payload["room"] = address.conversation
            payload["title"] = self._hub.title_of(address.conversation)
        return payload

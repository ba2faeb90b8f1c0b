"""Delivering to the web chat: push to the member's open sockets; the outbox keeps the history."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters.webchat.render import frame
from adapters.webchat.translate import CHANNEL
from bot.events import Address
from bot.replies import Message


class Hub:
    """The open web chat sockets of this process, by conversation."""

    def __init__(self) -> None:
        self._sockets: defaultdict[str, set[web.WebSocketResponse]] = defaultdict(set)

    def join(self, conversation: str, ws: web.WebSocketResponse) -> None:
        """A browser tab connected."""
        self._sockets[conversation].add(ws)

    def leave(self, conversation: str, ws: web.WebSocketResponse) -> None:
        """A browser tab went away."""
        sockets = self._sockets.get(conversation)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[conversation]

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
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close()


class WebChatClient:
    """The web chat's ChannelClient. A member who is offline sees the message in their history."""

    channel = CHANNEL

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        """Push a new message to the member's tabs."""
        message_id = uuid.uuid4().hex[:16]
        await self._hub.publish(address.conversation, frame("message", message_id, message))
        return message_id

    async def edit(
        self,
        address: Address,
        message_id: str,
        message: Message,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Replace a message in the member's tabs."""
        await self._hub.publish(address.conversation, frame("update", message_id, message))

    def pace(self, address: Address) -> float:
        """Our own page has no rate limit."""
        return 0.0

"""The memory channel's client: keeps every message and edit, and can be told to fail."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.events import Address
from bot.ports import RoomRequest
from bot.replies import Card, Message, as_text

CHANNEL = "memory"


@dataclass
class Posted:
    """One message as the platform would show it now, with its earlier versions."""

    message_id: str
    address: Address
    message: Message
    versions: list[Message] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The message as plain text."""
        return as_text(self.message)


class MemoryClient:
    """A ChannelClient that records instead of sending.

    Queue exceptions in ``failures`` to make the next sends fail in order (None lets one through).
    """

    def __init__(self, channel: str = CHANNEL) -> None:
        self.channel = channel
        self.posted: dict[str, Posted] = {}
        self.calls: list[tuple[str, str]] = []  # ("send"|"edit", message id)
        self.failures: deque[Exception | None] = deque()
        self.waits: deque[float] = deque()
        self._ids = itertools.count(1)

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        """Record a new message."""
        self._maybe_fail()
        message_id = f"m{next(self._ids)}"
        self.posted[message_id] = Posted(message_id, address, message, [message])
        self.calls.append(("send", message_id))
        return message_id

    async def edit(
        self,
        address: Address,
        message_id: str,
        message: Message,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Replace a recorded message."""
        self._maybe_fail()
        posted = self.posted[message_id]
        posted.message = message
        posted.versions.append(message)
        self.calls.append(("edit", message_id))

    def pace(self, address: Address) -> float:
        """No limits, unless a test queued waits."""
        return self.waits.popleft() if self.waits else 0.0

    def _maybe_fail(self) -> None:
        if self.failures:
            failure = self.failures.popleft()
            if failure is not None:
                raise failure

    def conversation(self, conversation: str) -> list[Posted]:
        """What a conversation shows now, oldest first."""
        return [p for p in self.posted.values() if p.address.conversation == conversation]

    def last(self, conversation: str) -> Posted:
        """The newest message of a conversation."""
        return self.conversation(conversation)[-1]

    def cards(self, conversation: str) -> list[Card]:
        """The cards a conversation shows now."""
        return [p.message for p in self.conversation(conversation) if isinstance(p.message, Card)]


class MemoryRoomsClient(MemoryClient):
    """A memory channel that also opens rooms (deal rooms): one per name, as Slack finds a
    channel by its name. Queue exceptions in ``room_failures`` to make openings fail."""

    def __init__(self, channel: str = CHANNEL) -> None:
        super().__init__(channel)
        self.rooms: dict[str, tuple[str, ...]] = {}  # name -> members
        self.openings = 0
        self.room_failures: deque[Exception] = deque()

    async def open_room(self, room: RoomRequest) -> Address:
        """Open the room (or find it), with its members in it."""
        self.openings += 1
        if self.room_failures:
            raise self.room_failures.popleft()
        members = self.rooms.get(room.name, ())
        self.rooms[room.name] = tuple(dict.fromkeys((*members, *room.members)))
        return Address(self.channel, room.name, room.workspace)

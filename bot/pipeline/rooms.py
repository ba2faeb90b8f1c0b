"""The room opener: opens the deal rooms the flows wanted, through the channels that can.

A flow's step records the room (``domain.flows.rooms.want_room``) and queues what it says there
on the held address ``room:<name>`` (``held_address``): the relay has no client for the channel
``room``, so those rows wait. This loop claims each room due on a channel whose client here can
open rooms (``bot.ports.RoomOpener``; a process without that channel leaves the room to one
with it), asks it to open the room (the name makes a retry find the room made before), and in
one transaction records the room and moves its held messages to it. A platform that refuses
(``PermanentDeliveryError``), or a room that failed ``max_attempts`` times, falls back to the
owner's own chat, where the held messages go instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.context import Policies, address_of
from bot.events import Address
from bot.logging import get_logger
from bot.metrics import Metrics
from bot.pipeline.loop import WakeableLoop
from bot.pipeline.tables import OutboxRow
from bot.ports import ChannelClient, PermanentDeliveryError, RoomOpener, RoomRequest
from domain.flows import rooms
from domain.flows.models import DealRoom
from domain.shared.clock import Clock
from domain.shared.db import Database

log = get_logger("bizbot.rooms")

HELD_CHANNEL = "room"  # no client has this channel: its rows wait for their room
BATCH = 10


def held_address(name: str) -> Address:
    """Where messages for a room still being opened wait."""
    return Address(HELD_CHANNEL, name)


def opening_channels(clients: dict[str, ChannelClient]) -> frozenset[str]:
    """The channels whose clients can open rooms."""
    return frozenset(openers(clients))


def openers(clients: dict[str, ChannelClient]) -> dict[str, RoomOpener]:
    """The clients that can open rooms, by channel."""
    found: dict[str, object] = dict(clients)
    return {name: c for name, c in found.items() if isinstance(c, RoomOpener)}


def release_held(session: Session, name: str, to: Address) -> int:
    """Move the messages held for room ``name`` to where it now is; how many."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.channel == HELD_CHANNEL, OutboxRow.conversation == name)
        .values(
            channel=to.channel,
            workspace=to.workspace,
            conversation=to.conversation,
            conversation_key=to.key,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class _Claimed:
    deal_id: int
    name: str
    channel: str
    request: RoomRequest
    owner_id: int


class Rooms(WakeableLoop):
    """Opens wanted rooms: woken when the flows queued messages, polling as a backstop."""

    def __init__(
        self,
        db: Database,
        clients: dict[str, ChannelClient],
        clock: Clock,
        metrics: Metrics,
        policies: Callable[[], Policies],
        *,
        poll_interval: float,
        max_attempts: int,
        on_messages: Callable[[], None] = lambda: None,
        on_progress: Callable[[], None] = lambda: None,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__("rooms", metrics, poll_interval, pause)  # woken: flows queued messages
        self._db = db
        self._openers = openers(clients)  # a room on another channel is another process's
        self._clock = clock
        self._policies = policies
        self._max_attempts = max_attempts
        self._on_messages = on_messages
        self._on_progress = on_progress

    def has_work(self) -> bool:
        """Nothing to do when no channel here opens rooms. (Stopped while opening a room, the
        room stays claimed until its lease ends, then is opened again under the same name.)"""
        return bool(self._openers)

    def backlog(self, session: Session) -> int:
        """Rooms waiting to be opened now by this process (in the caller's transaction)."""
        if not self._openers:
            return 0
        return rooms.due_count(session, self._clock.now(), sorted(self._openers))

    async def run_once(self) -> int:
        """Open the rooms due now; how many were settled or retried."""
        skip_locked = self._db.dialect == "postgresql"
        claimed = await self._db.run(lambda s: self._claim(s, skip_locked))
        for room in claimed:
            await self._open(room)
        if claimed:
            self._on_progress()
        return len(claimed)

    def _claim(self, session: Session, skip_locked: bool) -> list[_Claimed]:
        now, channels = self._clock.now(), sorted(self._openers)
        return [
            _Claimed(r.deal_id, r.name, r.channel, _request(r), r.owner_id)
            for r in rooms.claim_due(session, now, BATCH, channels, skip_locked=skip_locked)
        ]

    async def _open(self, room: _Claimed) -> None:
        try:
            address = await self._openers[room.channel].open_room(room.request)
        except PermanentDeliveryError as exc:
            refused = str(exc)
            await self._db.run(lambda s: self._fall_back(s, room, refused))
            return
        except Exception as exc:  # noqa: BLE001 - recorded on the room and retried
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("rooms.open_failed", room=room.name, error=reason)
            self._metrics.errors.labels("rooms").inc()
            await self._db.run(lambda s: self._retry(s, room, reason))
            return
        await self._db.run(lambda s: self._opened(s, room, address))

    def _opened(self, session: Session, room: _Claimed, address: Address) -> None:
        now = self._clock.now()
        if rooms.opened(session, room.deal_id, address.conversation, address.workspace, now):
            release_held(session, room.name, address)
            log.info("rooms.opened", room=room.name, channel=address.channel)
            self._on_messages()

    def _retry(self, session: Session, room: _Claimed, reason: str) -> None:
        if rooms.failed(session, room.deal_id, reason, self._clock.now()) >= self._max_attempts:
            self._fall_back(session, room, reason)

    def _fall_back(self, session: Session, room: _Claimed, reason: str) -> None:
        owner = address_of(session, self._policies(), room.owner_id)
        where = (owner.channel, owner.workspace, owner.conversation)
        if rooms.fell_back(session, room.deal_id, where, reason, self._clock.now()):
            release_held(session, room.name, owner)
            log.info("rooms.direct", room=room.name, reason=reason)
            self._on_messages()


def _request(room: DealRoom) -> RoomRequest:
    return RoomRequest(room.name, room.title, tuple(room.members), room.workspace)

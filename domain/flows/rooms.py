"""Deal rooms (issue 16 point 3): one conversation per deal in the sales flow where each step
is announced to the owner, their manager and whoever acts on it.

Opening a room is I/O on a chat platform, which no transaction may wait for, so it is done in
two durable halves:

1. the flow's step **wants** the room (``want_room``): a ``flow_deal_rooms`` row, once per deal,
   ``opening`` under a stable name (``deal-<id>``), with its members; what the flow says in the
   room meanwhile is queued for it and held (the kernel's ``bot/pipeline/rooms.py``);
2. the kernel's room opener **claims** it (``claim_due``), asks the channel to open a room under
   that name and **records** it (``opened``), or, where the platform cannot, falls back to the
   owner's own chat (``fell_back``); either way the held messages go there.

A crash between the platform's answer and the record leaves the row ``opening``: the next
claim asks again under the same name, and the channel finds the room it made (Slack looks the
channel up by name), so a deal never gets two rooms where the platform can look rooms up.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.flows.models import DealRoom

OPENING, OPEN, DIRECT = "opening", "open", "direct"
CLAIM_LEASE = timedelta(minutes=2)  # a claimed room is not claimed again meanwhile
MAX_WAIT = timedelta(hours=1)


def room_name(deal_id: int) -> str:
    """The room's stable name: what the platform finds it by on a retry."""
    return f"deal-{deal_id}"


def room_of(session: Session, deal_id: int) -> DealRoom | None:
    """The deal's room, if the flow wanted one."""
    return session.get(DealRoom, deal_id)


def want_room(
    session: Session,
    deal_id: int,
    *,
    title: str,
    owner_id: int,
    locale: str,
    where: tuple[str, str, str],  # channel, workspace, the owner's user id there
    members: Sequence[str],
    can_open: bool,
    now: datetime,
) -> DealRoom:
    """The deal's room, recorded once: ``opening`` on the owner's channel when that channel can
    open rooms, else ``direct`` (the owner's own chat, as before rooms)."""
    room = session.get(DealRoom, deal_id)
    if room is not None:
        return room
    channel, workspace, owner_user = where
    room = DealRoom(
        deal_id=deal_id,
        name=room_name(deal_id),
        title=title[:200],
        owner_id=owner_id,
        locale=locale,
        channel=channel,
        workspace=workspace,
        conversation="" if can_open else owner_user,
        members=list(dict.fromkeys(members)),
        status=OPENING if can_open else DIRECT,
        next_attempt_at=now if can_open else None,
        created_at=now,
        opened_at=None if can_open else now,
    )
    session.add(room)
    session.flush()
    return room


def claim_due(
    session: Session, now: datetime, limit: int, channels: Collection[str], *, skip_locked: bool
) -> list[DealRoom]:
    """Rooms on these channels to open now, leased for ``CLAIM_LEASE`` so that another pass
    does not take them too."""
    query = (
        select(DealRoom)
        .where(
            DealRoom.status == OPENING,
            DealRoom.next_attempt_at <= now,
            DealRoom.channel.in_(channels),
        )
        .order_by(DealRoom.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    rooms = list(session.scalars(query))
    for room in rooms:
        room.next_attempt_at = now + CLAIM_LEASE
    session.flush()
    return rooms


def due_count(session: Session, now: datetime, channels: Collection[str]) -> int:
    """How many rooms on these channels wait to be opened now."""
    query = select(func.count()).where(
        DealRoom.status == OPENING, DealRoom.next_attempt_at <= now, DealRoom.channel.in_(channels)
    )
    return int(session.scalar(query) or 0)


def opened(
    session: Session, deal_id: int, conversation: str, workspace: str, now: datetime
) -> bool:
    """Record where the platform opened the room; False if it was settled before."""
    room = _locked(session, deal_id)
    if room is None or room.status != OPENING:
        return False
    room.status, room.conversation, room.workspace = OPEN, conversation, workspace
    room.opened_at, room.next_attempt_at = now, None
    session.flush()
    return True


def fell_back(
    session: Session, deal_id: int, where: tuple[str, str, str], reason: str, now: datetime
) -> bool:
    """The platform cannot open the room: the owner's own chat stands in for it."""
    room = _locked(session, deal_id)
    if room is None or room.status != OPENING:
        return False
    room.channel, room.workspace, room.conversation = where
    room.status, room.last_error = DIRECT, reason[:500]
    room.opened_at, room.next_attempt_at = now, None
    session.flush()
    return True


def failed(session: Session, deal_id: int, reason: str, now: datetime) -> int:
    """A failed attempt: tried again later (doubling from 10 s, at most an hour); the attempts
    so far."""
    room = _locked(session, deal_id)
    if room is None or room.status != OPENING:
        return 0
    room.attempts += 1
    wait = min(timedelta(seconds=10 * 2 ** (room.attempts - 1)), MAX_WAIT)
    room.next_attempt_at, room.last_error = now + wait, reason[:500]
    session.flush()
    return room.attempts


def _locked(session: Session, deal_id: int) -> DealRoom | None:
    query = (
        select(DealRoom)
        .where(DealRoom.deal_id == deal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one_or_none()

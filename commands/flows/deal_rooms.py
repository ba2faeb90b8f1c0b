"""Deal rooms in chat (issue 16 point 3): the room a deal's flow is announced in, wanted at the
flow's first step with the owner, their manager, the contract's approvers and the planners as
members; and ``announce``, which says a step there once (in the consumer's transaction).

The room is on the owner's channel. Where that channel's client opens rooms
(``Policies.room_channels``) it is opened by the kernel's room opener and what is said meanwhile
waits for it (``bot/pipeline/rooms.py``); elsewhere the room is the owner's own chat, as before
rooms. The room speaks its owner's language. The logic and records: ``domain/flows/rooms.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from bot.context import address_of
from bot.events import Address
from bot.i18n import _, t
from bot.pipeline.flows import FlowContext
from bot.pipeline.rooms import held_address
from bot.replies import Message
from domain.directory.models import Member
from domain.directory.reach import accounts_of
from domain.directory.services import holders_else_admins
from domain.flows import rooms
from domain.flows.models import DealRoom


def want_room(
    session: Session,
    context: FlowContext,
    deal_id: int,
    deal_name: str,
    customer: str,
    owner_id: int,
    acting: Iterable[int],
) -> DealRoom:
    """The deal's room, wanted once: the owner, their manager, ``acting`` (the contract's
    approvers) and the planners, on the owner's channel."""
    owner = context.member(owner_id)
    where = address_of(session, context.policies, owner_id)
    manager = session.get_one(Member, owner_id).manager_id
    planners = [m.id for m in holders_else_admins(session, "production")]
    people = dict.fromkeys([owner_id, *([manager] if manager else []), *acting, *planners])
    built_in = context.policies.built_in_channel
    users = [
        account.user
        for member_id in people
        for account in accounts_of(session, member_id, built_in)
        if account.channel == where.channel and account.workspace == where.workspace
    ]
    title = t(owner.locale, _("Deal #{deal} {name} · {customer}"), deal=deal_id, name=deal_name,
              customer=customer)  # fmt: skip
    return rooms.want_room(
        session,
        deal_id,
        title=title,
        owner_id=owner_id,
        locale=owner.locale,
        where=(where.channel, where.workspace, where.conversation),
        members=list(dict.fromkeys(users)),
        can_open=where.channel in context.policies.room_channels,
        now=context.now,
    )


def _room_address(room: DealRoom) -> Address:
    """Where to say something in the room now (held while it is being opened)."""
    if room.status == rooms.OPENING:
        return held_address(room.name)
    return Address(room.channel, room.conversation, room.workspace)


def announce(context: FlowContext, deal_id: int, message: Message, *, subject: str) -> int | None:
    """Say a step of the deal's flow in its room; None when the deal has no room (a deal
    won before rooms): then the owner is told directly."""
    room = rooms.room_of(context.session, deal_id)
    if room is None:
        return None
    if room.status == rooms.DIRECT:  # the owner's own chat, wherever they are now
        return context.notify(room.owner_id, message, subject=subject)
    return context.outbox.send(
        _room_address(room), message, recipient_id=room.owner_id, subject=subject
    )


def tell(
    context: FlowContext, deal_id: int, owner_id: int, message: Message, *, subject: str
) -> int:
    """Say it in the deal's room, else to the owner directly."""
    sent = announce(context, deal_id, message, subject=subject)
    return sent if sent is not None else context.notify(owner_id, message, subject=subject)


def room_locale(context: FlowContext, deal_id: int, owner_id: int) -> str:
    """The language the deal's room speaks (its owner's)."""
    room = rooms.room_of(context.session, deal_id)
    return room.locale if room is not None else context.member(owner_id).locale

"""Writing to a customer's contact in their own chat, and binding buttons to them.

A guest is not a member: the dispatcher acts for a guest with the actor id
``guest_actor_id(contact_id)`` (negative, so it never collides with a member's), and a button
sent to a guest is bound to that id, so only that contact can tap it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.events import Address
from bot.i18n import normalise_locale
from bot.pipeline.outbox import OutboxWriter
from bot.replies import Message
from domain.crm.guests import reach_of


def guest_actor_id(contact_id: int) -> int:
    """The actor id the dispatcher gives a guest (and binds their buttons to)."""
    return -contact_id


def contact_of_actor(actor_id: int) -> int | None:
    """The contact a guest actor id stands for; None for a member."""
    return -actor_id if actor_id < 0 else None


def tell_contact(
    session: Session,
    outbox: OutboxWriter,
    contact_id: int,
    compose: Callable[[str], Message],
    *,
    fallback_locale: str,
    subject: str | None = None,
) -> bool:
    """Send ``compose(locale)`` to the contact's chat; False (nothing sent) if they have none."""
    reach = reach_of(session, contact_id)
    if reach is None:
        return False
    locale = normalise_locale(reach.locale) if reach.locale else fallback_locale
    address = Address(reach.channel, reach.conversation, reach.workspace)
    outbox.send(address, compose(locale), recipient_id=guest_actor_id(contact_id), subject=subject)
    return True

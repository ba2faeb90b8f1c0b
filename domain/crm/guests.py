"""Customers' contacts as guests: the chat accounts bound to a contact.

(The guests work extends this module with invites, binding and what a guest may reach.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Contact, GuestAccount


@dataclass(frozen=True, slots=True)
class GuestReach:
    """Where and in which language to write to a contact: their newest active chat account."""

    contact_id: int
    channel: str
    workspace: str
    conversation: str
    locale: str


def reach_of(session: Session, contact_id: int) -> GuestReach | None:
    """How to reach a contact in chat, or None if no chat account is bound to them."""
    account = session.scalars(
        select(GuestAccount)
        .where(GuestAccount.contact_id == contact_id, GuestAccount.active.is_(True))
        .order_by(GuestAccount.id.desc())
        .limit(1)
    ).first()
    contact = session.get(Contact, contact_id)
    if account is None or contact is None:
        return None
    return GuestReach(
        contact_id=contact_id,
        channel=account.channel,
        workspace=account.workspace,
        conversation=account.conversation_id or account.platform_user_id,
        locale=contact.locale,
    )

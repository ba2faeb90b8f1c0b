"""Handing a rep's customers over to another rep: the customers, their open deals (owner) and
the open tickets assigned to the leaving rep move together, in the caller's transaction, and
every moved record is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.access import audit
from domain.crm.customers import CLOSED_TICKET, can_own
from domain.crm.models import Contact, Customer, Deal, Ticket
from domain.directory.services import member_view
from domain.shared.errors import DomainError


@dataclass(frozen=True, slots=True)
class Handover:
    """What moved: customer, deal and ticket ids, and the moved customers' contacts."""

    customers: list[int]
    deals: list[int]
    tickets: list[int]
    contacts: list[int]


def transfer(
    session: Session,
    *,
    from_id: int,
    to_id: int,
    customer_ids: Sequence[int] | None,
    actor_id: int,
    now: datetime,
) -> Handover:
    """Move ``from_id``'s customers (all, or those listed) to ``to_id``."""
    if from_id == to_id:
        raise DomainError("Hand customers over to someone else.")
    if not can_own(session, to_id):
        raise DomainError(
            "@{handle} does not use the CRM.", handle=member_view(session, to_id).handle
        )
    customers = _customers(session, from_id, customer_ids)
    if not customers:
        raise DomainError(
            "@{handle} has no customers to hand over.", handle=member_view(session, from_id).handle
        )
    ids = [c.id for c in customers]
    moved = Move(from_id, to_id, actor_id, now)
    for customer in customers:
        customer.owner_id, customer.updated_at = to_id, now
        _audit(session, "customer", customer.id, moved)
    deals = _move_deals(session, ids, moved)
    tickets = _move_tickets(session, ids, moved)
    contacts = session.scalars(select(Contact.id).where(Contact.customer_id.in_(ids))).all()
    session.flush()
    return Handover(ids, deals, tickets, list(contacts))


def _customers(session: Session, from_id: int, ids: Sequence[int] | None) -> list[Customer]:
    query = select(Customer).where(Customer.owner_id == from_id).order_by(Customer.id)
    if ids is None:
        return list(session.scalars(query))
    found = list(session.scalars(query.where(Customer.id.in_(ids))))
    missing = sorted(set(ids) - {c.id for c in found})
    if missing:
        raise DomainError(
            "Customer #{id} is not @{handle}'s.",
            id=missing[0],
            handle=member_view(session, from_id).handle,
        )
    return found


@dataclass(frozen=True, slots=True)
class Move:
    """Who hands over to whom, who asked, and when."""

    from_id: int
    to_id: int
    actor_id: int
    now: datetime


def _move_deals(session: Session, customer_ids: list[int], moved: Move) -> list[int]:
    deals = session.scalars(
        select(Deal).where(
            Deal.customer_id.in_(customer_ids),
            Deal.status == "open",
            Deal.owner_id == moved.from_id,
        )
    ).all()
    for deal in deals:
        deal.owner_id, deal.version = moved.to_id, deal.version + 1
        _audit(session, "deal", deal.id, moved)
    return [d.id for d in deals]


def _move_tickets(session: Session, customer_ids: list[int], moved: Move) -> list[int]:
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.customer_id.in_(customer_ids),
            Ticket.status.not_in(CLOSED_TICKET),
            Ticket.assignee_id == moved.from_id,
        )
    ).all()
    for ticket in tickets:
        ticket.assignee_id, ticket.version = moved.to_id, ticket.version + 1
        _audit(session, "ticket", ticket.id, moved)
    return [t.id for t in tickets]


def _audit(session: Session, kind: str, target_id: int, moved: Move) -> None:
    audit(
        session,
        moved.actor_id,
        "handover",
        (kind, target_id),
        moved.now,
        from_owner=moved.from_id,
        to_owner=moved.to_id,
    )

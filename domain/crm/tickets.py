"""Service tickets: opening one, and what a customer's contact may see of theirs.

(The tickets work extends this module with assignment, status moves, SLA timers and ratings.)"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Ticket, TicketEvent
from domain.shared.errors import DomainError

PRIORITIES = ("low", "normal", "high", "urgent")
REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read out on the phone
SUBJECT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as commands see it; ``ref`` is what a customer is shown instead of the id."""

    id: int
    ref: str
    customer_id: int
    contact_id: int | None
    subject: str
    category: str
    priority: str
    status: str
    assignee_id: int | None
    created_at: datetime
    rating: int | None


def new_ref() -> str:
    """A non-guessable ticket reference such as ``T-7KQ2M9XA`` (40 bits of randomness)."""
    return "T-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def open_ticket(
    session: Session,
    *,
    customer_id: int,
    contact_id: int | None,
    subject: str,
    now: datetime,
    actor_id: int | None,
    category: str = "",
    priority: str = "normal",
) -> TicketView:
    """Open a ticket (``actor_id`` None: the customer opened it) and start its timeline."""
    subject = " ".join(subject.split())
    if not subject:
        raise DomainError("Say what the ticket is about.")
    if len(subject) > SUBJECT_LIMIT:
        raise DomainError("Keep the subject under {limit} characters.", limit=SUBJECT_LIMIT)
    if priority not in PRIORITIES:
        raise DomainError("Priority is one of: {choices}.", choices=", ".join(PRIORITIES))
    ticket = Ticket(
        ref=new_ref(),
        customer_id=customer_id,
        contact_id=contact_id,
        subject=subject,
        category=category,
        priority=priority,
        status="new",
        created_at=now,
    )
    session.add(ticket)
    session.flush()
    session.add(
        TicketEvent(ticket_id=ticket.id, kind="opened", body=subject, actor_id=actor_id,
                    public=True, at=now)
    )  # fmt: skip
    session.flush()
    return view_of(ticket)


def tickets_of_contact(session: Session, contact_id: int) -> list[TicketView]:
    """The tickets a contact opened or is named on, newest first (what a guest may list)."""
    rows = session.scalars(
        select(Ticket).where(Ticket.contact_id == contact_id).order_by(Ticket.id.desc())
    )
    return [view_of(t) for t in rows]


def view_of(ticket: Ticket) -> TicketView:
    """The view of a ticket row."""
    return TicketView(
        id=ticket.id,
        ref=ticket.ref,
        customer_id=ticket.customer_id,
        contact_id=ticket.contact_id,
        subject=ticket.subject,
        category=ticket.category,
        priority=ticket.priority,
        status=ticket.status,
        assignee_id=ticket.assignee_id,
        created_at=ticket.created_at,
        rating=ticket.rating,
    )

"""Service tickets: opening one, who sees which, the status flow with its timeline, and the
customer's rating. Every move is a compare-and-set on ``Ticket.version``, so a duplicate or
concurrent move applies once; every change is a ``TicketEvent`` saying who and when.

Status flow: new → assigned → in_progress ⇄ waiting (for the customer) → resolved → closed.
The first response is the first public update, the first move to in_progress or waiting, or the
resolve, whichever comes first; assigning alone is not a response."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from domain.crm.models import Customer, Ticket, TicketEvent
from domain.crm.scope import Scope, scope_of
from domain.crm.ticket_sla import TicketPolicy, start_clocks, stop_clock
from domain.directory.models import Department
from domain.directory.roles import Permission, Role, allows
from domain.directory.views import MemberView
from domain.shared.errors import Conflict, DomainError, NotFound

PRIORITIES = ("low", "normal", "high", "urgent")
OPEN = ("new", "assigned", "in_progress", "waiting")
DONE = ("resolved", "closed")
WORKING = ("in_progress", "waiting")
REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read out on the phone
SUBJECT_LIMIT = 500
TEXT_LIMIT = 4000
CATEGORY_LIMIT = 64
LISTED = 20
Listing = Literal["mine", "open", "all"]


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


@dataclass(frozen=True, slots=True)
class EventView:
    """One timeline entry."""

    kind: str
    body: str
    actor_id: int | None
    public: bool
    at: datetime


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
    policy: TicketPolicy | None = None,
) -> TicketView:
    """Open a ticket (``actor_id`` None: the customer opened it), start its timeline and its
    SLA clocks; ``watchers`` says whom to tell."""
    subject = " ".join(subject.split())
    category = " ".join(category.split())
    if len(category) > CATEGORY_LIMIT:
        raise DomainError("Keep the category under {limit} characters.", limit=CATEGORY_LIMIT)
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
    start_clocks(session, ticket.id, priority, policy or TicketPolicy(), now)
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


def ticket_scope(session: Session, member_id: int, roles: tuple[str, ...]) -> Scope:
    """Whose tickets (and, to open one, whose customers) a member reaches: service people and
    holders of ``crm.all`` everyone's, others their CRM scope (plus tickets assigned to them)."""
    if Role.SERVICE in roles or allows(roles, Permission.CRM_ALL):
        return Scope(member_id, frozenset(), everyone=True)
    return scope_of(session, member_id, roles)


def ticket_in_scope(session: Session, scope: Scope, ticket_id: int) -> Ticket:
    """The ticket, if its customer is in scope or it is assigned to the scope's member;
    ``NotFound`` otherwise, worded like a missing one."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not _visible(session, scope, ticket):
        raise NotFound("There is no ticket #{id} that you can see.", id=ticket_id)
    return ticket


def _visible(session: Session, scope: Scope, ticket: Ticket) -> bool:
    if scope.everyone or ticket.assignee_id == scope.member_id:
        return True
    owner = session.scalar(select(Customer.owner_id).where(Customer.id == ticket.customer_id))
    return scope.covers(owner)


def tickets_for(session: Session, scope: Scope, listing: Listing) -> list[TicketView]:
    """The newest tickets a member sees: assigned to them, open, or all."""
    query = select(Ticket).join(Customer, Customer.id == Ticket.customer_id)
    if not scope.everyone:
        query = query.where(
            or_(Customer.owner_id.in_(scope.owner_ids), Ticket.assignee_id == scope.member_id)
        )
    if listing == "mine":
        query = query.where(Ticket.assignee_id == scope.member_id, Ticket.status.in_(OPEN))
    elif listing == "open":
        query = query.where(Ticket.status.in_(OPEN))
    rows = session.scalars(query.order_by(Ticket.id.desc()).limit(LISTED))
    return [view_of(t) for t in rows]


def timeline(session: Session, ticket_id: int) -> list[EventView]:
    """A ticket's timeline, oldest first."""
    rows = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    )
    return [EventView(e.kind, e.body, e.actor_id, e.public, e.at) for e in rows]


def watchers(session: Session, ticket: TicketView, policy: TicketPolicy) -> tuple[int, ...]:
    """Whom to tell of a new ticket: the customer's owner and the service department's head."""
    owner = session.scalar(select(Customer.owner_id).where(Customer.id == ticket.customer_id))
    head = session.scalar(
        select(Department.head_id).where(Department.name == policy.service_department)
    )
    return tuple(dict.fromkeys(m for m in (owner, head) if m is not None))


def assign_ticket(
    session: Session, ticket: Ticket, assignee: MemberView, actor_id: int, now: datetime
) -> TicketView:
    """Give an open ticket to a member; it becomes ``assigned`` (again, if it was worked on)."""
    must_be_open(ticket)
    if not assignee.active or not allows(assignee.roles, Permission.CRM_USE):
        raise DomainError("Tickets can be assigned only to active members who use the CRM.")
    if ticket.assignee_id == assignee.id:
        raise Conflict("Ticket #{id} is already assigned to them.", id=ticket.id)
    _move(session, ticket, {"assignee_id": assignee.id, "status": "assigned"})
    _log(session, ticket, "assigned", assignee.handle, actor_id, now)
    return view_of(ticket)


def update_ticket(
    session: Session,
    ticket: Ticket,
    actor_id: int,
    now: datetime,
    *,
    text: str,
    status: str | None = None,
    public: bool = False,
) -> TicketView:
    """Add a timeline entry and maybe move to in_progress or waiting (``public``: the customer
    is told); the first public update or first such move is the first response."""
    must_be_open(ticket)
    text = _clean(text)
    if not text and status is None:
        raise DomainError("Say what happened, for example: /ticket update 12 called the customer")
    values: dict[str, Any] = {}
    if status is not None and status != ticket.status:
        if status not in WORKING:
            raise DomainError("A ticket's status can be set to in_progress or waiting.")
        if ticket.assignee_id is None:
            raise DomainError(
                "Ticket #{id} has no assignee yet: assign it first with /ticket assign {id} "
                "@member.",
                id=ticket.id,
            )
        values["status"] = status
    if ticket.first_response_at is None and (public or values):
        values["first_response_at"] = now
    _move(session, ticket, values)
    if "status" in values:
        _log(session, ticket, "status", status or "", actor_id, now)
    if text:
        _log(session, ticket, "reply" if public else "note", text, actor_id, now, public=public)
    if "first_response_at" in values:
        stop_clock(session, ticket.id, "response")
    return view_of(ticket)


def resolve_ticket(
    session: Session, ticket: Ticket, actor_id: int, now: datetime, *, text: str = ""
) -> TicketView:
    """Resolve an open ticket (an unassigned one becomes the resolver's) and stop its clocks."""
    must_be_open(ticket)
    text = _clean(text)
    values: dict[str, Any] = {"status": "resolved", "resolved_at": now}
    if ticket.assignee_id is None:
        values["assignee_id"] = actor_id
    if ticket.first_response_at is None:
        values["first_response_at"] = now
    _move(session, ticket, values)
    _log(session, ticket, "resolved", text, actor_id, now, public=True)
    stop_clock(session, ticket.id, "response")
    stop_clock(session, ticket.id, "resolution")
    return view_of(ticket)


def close_ticket(session: Session, ticket: Ticket, actor_id: int, now: datetime) -> TicketView:
    """Close a resolved ticket."""
    if ticket.status == "closed":
        raise Conflict("Ticket #{id} is already closed.", id=ticket.id)
    if ticket.status != "resolved":
        raise DomainError(
            "Ticket #{id} is not resolved yet: resolve it first with /ticket resolve {id}.",
            id=ticket.id,
        )
    _move(session, ticket, {"status": "closed", "closed_at": now})
    _log(session, ticket, "closed", "", actor_id, now)
    return view_of(ticket)


def rate_ticket(
    session: Session, ticket_id: int, contact_id: int, rating: int, now: datetime
) -> bool:
    """Store the contact's 1–5 rating of their resolved ticket; False if it was already rated."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.contact_id != contact_id:
        raise NotFound("There is no such ticket.")
    if not 1 <= rating <= 5:
        raise DomainError("A rating is 1 to 5.")
    if ticket.status not in DONE:
        raise DomainError("This ticket is not resolved yet.")
    stored = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.rating.is_(None))
        .values(rating=rating, rated_at=now)
        .execution_options(synchronize_session=False)
    )
    if stored.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(ticket)
    _log(session, ticket, "rated", str(rating), None, now)
    return True


def must_be_open(ticket: Ticket) -> None:
    """Refuse work on a resolved or closed ticket (``Conflict`` says which)."""
    if ticket.status == "closed":
        raise Conflict("Ticket #{id} is closed.", id=ticket.id)
    if ticket.status == "resolved":
        raise Conflict("Ticket #{id} is already resolved.", id=ticket.id)


def _clean(text: str) -> str:
    text = text.strip()
    if len(text) > TEXT_LIMIT:
        raise DomainError("Keep it under {limit} characters.", limit=TEXT_LIMIT)
    return text


def _move(session: Session, ticket: Ticket, values: dict[str, Any]) -> None:
    """Write ``values`` if nobody changed the ticket since it was read (else ``Conflict``)."""
    moved = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == ticket.version)
        .values(**values, version=ticket.version + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "Ticket #{id} was changed meanwhile; look again with /ticket show {id}.", id=ticket.id
        )
    session.refresh(ticket)


def _log(
    session: Session,
    ticket: Ticket,
    kind: str,
    body: str,
    actor_id: int | None,
    now: datetime,
    *,
    public: bool = False,
) -> None:
    session.add(
        TicketEvent(ticket_id=ticket.id, kind=kind, body=body, actor_id=actor_id, public=public,
                    at=now)
    )  # fmt: skip

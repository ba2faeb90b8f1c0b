"""A customer's history: communication records (calls, visits, meetings, messages, emails) and
internal notes, newest first. Logging one against a deal keeps the deal's last activity fresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Activity, Contact, Customer, Deal
from domain.directory.models import Member
from domain.shared.errors import DomainError, NotFound

KINDS = ("call", "visit", "meeting", "message", "email", "note")
RECORD_KINDS = KINDS[:-1]  # what `/log` takes; a note is written with `/note`
DIRECTIONS = ("in", "out", "internal")
BODY_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class ActivityView:
    """One entry of a customer's history, with the names commands show next to it."""

    id: int
    customer_id: int
    contact_id: int | None
    contact_name: str | None
    deal_id: int | None
    kind: str
    direction: str
    body: str
    author_id: int | None
    author_name: str | None
    occurred_at: datetime

    @property
    def internal(self) -> bool:
        """Whether this is an internal note, never shown to the customer."""
        return self.direction == "internal"


def log_activity(
    session: Session,
    *,
    customer_id: int,
    contact_id: int | None,
    kind: str,
    direction: str,
    body: str,
    author_id: int | None,
    now: datetime,
    occurred_at: datetime | None = None,
    deal_id: int | None = None,
) -> int:
    """Record a communication or a note for a customer; returns the record's id."""
    body = body.strip()
    _check(session, customer_id, contact_id, kind, direction, body, deal_id)
    activity = Activity(
        customer_id=customer_id,
        contact_id=contact_id,
        deal_id=deal_id,
        kind=kind,
        direction=direction,
        body=body,
        author_id=author_id,
        occurred_at=occurred_at or now,
        created_at=now,
    )
    session.add(activity)
    if deal_id is not None:
        deal = session.get(Deal, deal_id)
        if deal is not None:
            deal.last_activity_at = max(deal.last_activity_at, occurred_at or now)
    session.flush()
    return activity.id


def _check(
    session: Session,
    customer_id: int,
    contact_id: int | None,
    kind: str,
    direction: str,
    body: str,
    deal_id: int | None,
) -> None:
    if kind not in KINDS:
        raise DomainError("A record is one of: {choices}.", choices=", ".join(KINDS))
    if direction not in DIRECTIONS:
        raise DomainError("A direction is one of: {choices}.", choices=", ".join(DIRECTIONS))
    if (kind == "note") != (direction == "internal"):
        raise DomainError("Only a note is internal, and a note is always internal.")
    if not body:
        raise DomainError("Say what happened.")
    if len(body) > BODY_LIMIT:
        raise DomainError("Keep it under {limit} characters.", limit=BODY_LIMIT)
    if session.get(Customer, customer_id) is None:
        raise NotFound("There is no customer #{id} that you can see.", id=customer_id)
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer_id:
            raise DomainError("Contact #{id} is not one of this customer's.", id=contact_id)
    if deal_id is not None:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.customer_id != customer_id:
            raise DomainError("Deal #{id} is not one of this customer's.", id=deal_id)


def history_of(
    session: Session, customer_id: int, *, limit: int, include_internal: bool
) -> list[ActivityView]:
    """The customer's newest ``limit`` records, internal notes only if asked for."""
    query = (
        select(Activity, Contact.name, Member.name)
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .outerjoin(Member, Member.id == Activity.author_id)
        .where(Activity.customer_id == customer_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    if not include_internal:
        query = query.where(Activity.direction != "internal")
    return [
        ActivityView(
            id=a.id,
            customer_id=a.customer_id,
            contact_id=a.contact_id,
            contact_name=contact_name,
            deal_id=a.deal_id,
            kind=a.kind,
            direction=a.direction,
            body=a.body,
            author_id=a.author_id,
            author_name=author_name,
            occurred_at=a.occurred_at,
        )
        for a, contact_name, author_name in session.execute(query)
    ]

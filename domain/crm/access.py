"""Loading CRM records through the actor's scope, and the audit trail.

Every id a member types goes through these loaders: a record outside the scope is reported
exactly like one that does not exist, so ids cannot be probed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from domain.crm.models import Contact, CrmAudit, Customer
from domain.crm.scope import Scope
from domain.shared.errors import NotFound


def customer_in_scope(session: Session, scope: Scope, customer_id: int) -> Customer:
    """The customer, if the scope covers its owner; ``NotFound`` otherwise."""
    customer = session.get(Customer, customer_id)
    if customer is None or not scope.covers(customer.owner_id):
        raise NotFound("There is no customer #{id} that you can see.", id=customer_id)
    return customer


def contact_in_scope(session: Session, scope: Scope, contact_id: int) -> Contact:
    """The contact, if the scope covers its customer's owner; ``NotFound`` otherwise."""
    contact = session.get(Contact, contact_id)
    customer = session.get(Customer, contact.customer_id) if contact else None
    if contact is None or customer is None or not scope.covers(customer.owner_id):
        raise NotFound("There is no contact #{id} that you can see.", id=contact_id)
    return contact


def audit(
    session: Session,
    actor_id: int | None,
    action: str,
    target: tuple[str, int],
    now: datetime,
    **detail: Any,
) -> None:
    """Append one entry to the CRM audit trail (in the caller's transaction)."""
    kind, target_id = target
    session.add(
        CrmAudit(
            actor_id=actor_id,
            action=action,
            target_kind=kind,
            target_id=target_id,
            detail=detail,
            at=now,
        )
    )

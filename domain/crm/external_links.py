"""Customers a member adds on a chat platform (WeCom external contacts) as CRM contacts.

When a member adds a customer on WeCom, the customer is looked for among the contacts the member
can see: the same account already linked by a colleague, a phone number the member noted, or the
name (the member's remark, else the customer's own). One clear match is linked at once; anything
else is offered to the member, who links a contact in their scope or makes a new customer.
Links and unlinks are audited; only the member who added the account (or ``crm.all``) may link it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.crm.access import audit, contact_in_scope
from domain.crm.customers import PHONE, add_contact, add_customer
from domain.crm.models import Contact, Customer, ExternalLink
from domain.crm.scope import Scope
from domain.crm.search import fold
from domain.directory.external_contacts import (
    ExternalContactView,
    external_contact,
    same_customer,
)
from domain.directory.roles import Permission, allows
from domain.directory.services import resolve_sender
from domain.directory.views import MemberView
from domain.shared.errors import Conflict, NotFound
from domain.timers.services import schedule

KIND = "crm.external_contact"  # the timer that matches an added (or removed) external contact
OFFERED = 3  # candidates shown as buttons
SEARCHED = 50  # customers looked through for a match
DIGITS = re.compile(r"\D")


class Reason(StrEnum):
    """Why a contact is a candidate, strongest first."""

    COLLEAGUE = "colleague"  # a colleague linked the same customer account to it
    PHONE = "phone"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A contact the external contact may be."""

    contact_id: int
    contact_name: str
    customer_id: int
    customer_name: str
    reason: Reason


@dataclass(frozen=True, slots=True)
class LinkView:
    """An external contact known as a CRM contact."""

    external_contact_id: int
    contact_id: int
    contact_name: str
    customer_id: int
    customer_name: str
    matched: bool
    active: bool  # still a contact on the platform


def contact_changed(session: Session, external_contact_id: int, now: datetime) -> None:
    """An external contact was added or removed: match it (or note the removal) right away, in a
    durable timer, so the change is handled even if the server stops now."""
    schedule(
        session,
        kind=KIND,
        due_at=now,
        now=now,
        subject=f"external_contact:{external_contact_id}",
        payload={"external_contact": external_contact_id},
    )


def added_by(session: Session, contact: ExternalContactView) -> MemberView | None:
    """The member whose account added the external contact, if they use the CRM."""
    member = resolve_sender(
        session, contact.channel, contact.workspace, contact.staff_user_id, by_handle=False
    )
    if member is None or not member.active or not allows(member.roles, Permission.CRM_USE):
        return None
    return member


def yours(session: Session, member: MemberView, external_contact_id: int) -> ExternalContactView:
    """An external contact the member added (any, with ``crm.all``); ``NotFound`` otherwise."""
    found = external_contact(session, external_contact_id)
    adder = added_by(session, found) if found is not None else None
    mine = adder is not None and adder.id == member.id
    if found is None or not (mine or allows(member.roles, Permission.CRM_ALL)):
        raise NotFound("There is no WeCom customer #{id} of yours.", id=external_contact_id)
    return found


def candidates(session: Session, scope: Scope, contact: ExternalContactView) -> list[Candidate]:
    """Contacts in scope the external contact may be, strongest reason first."""
    found = {c.contact_id: c for c in _linked_by_colleagues(session, scope, contact)}
    for candidate in _by_phone_or_name(session, scope, contact):
        found.setdefault(candidate.contact_id, candidate)
    order = list(Reason)
    return sorted(found.values(), key=lambda c: (order.index(c.reason), c.contact_id))


def clear_match(found: list[Candidate]) -> Candidate | None:
    """The one candidate to link without asking: alone at the strongest reason found."""
    if not found:
        return None
    strongest = [c for c in found if c.reason == found[0].reason]
    return strongest[0] if len(strongest) == 1 else None


def link(
    session: Session,
    scope: Scope,
    contact: ExternalContactView,
    contact_id: int,
    *,
    actor_id: int | None,
    now: datetime,
    matched: bool = False,
) -> LinkView:
    """Link the external contact to a contact in scope (again: nothing changes; to another
    contact: moved, and audited as such)."""
    target = contact_in_scope(session, scope, contact_id)
    row = _link_row(session, contact.id)
    if row is not None and row.contact_id == target.id:
        return _view(session, row, contact)
    if row is None:
        row = ExternalLink(external_contact_id=contact.id, contact_id=target.id, linked_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError as exc:  # a tap and a match at the same moment
            raise Conflict(
                "WeCom customer #{id} was just linked; try again.", id=contact.id
            ) from exc
    row.contact_id, row.matched, row.linked_by, row.linked_at = target.id, matched, actor_id, now
    session.flush()
    audit(
        session,
        actor_id,
        "contact.external_linked",
        ("contact", target.id),
        now,
        external_contact=contact.id,
        channel=contact.channel,
        matched=matched,
    )
    return _view(session, row, contact)


def unlink(
    session: Session, scope: Scope, contact: ExternalContactView, actor_id: int, now: datetime
) -> LinkView:
    """Forget which contact the external contact is; ``NotFound`` if it was not linked."""
    row = _link_row(session, contact.id)
    if row is None:
        raise NotFound("WeCom customer #{id} is not linked to a contact.", id=contact.id)
    contact_in_scope(session, scope, row.contact_id)
    view = _view(session, row, contact)
    session.delete(row)
    session.flush()
    audit(
        session,
        actor_id,
        "contact.external_unlinked",
        ("contact", row.contact_id),
        now,
        external_contact=contact.id,
    )
    return view


def link_as_new_customer(
    session: Session, scope: Scope, contact: ExternalContactView, owner_id: int, now: datetime
) -> LinkView:
    """A new customer (their company, else the person) with the external contact as its contact,
    owned by ``owner_id``, and linked."""
    if _link_row(session, contact.id) is not None:
        raise Conflict("WeCom customer #{id} is already linked to a contact.", id=contact.id)
    profile = contact.profile
    name = profile.display_name or contact.external_user_id
    phones = [p for p in profile.phones if PHONE.match(p)]
    customer_id = add_customer(
        session,
        values={
            "name": profile.corp_name or name,
            "kind": "company" if profile.corp_name else "person",
            "source": contact.channel,
        },
        owner_id=owner_id,
        actor_id=owner_id,
        now=now,
    )
    customer = session.get_one(Customer, customer_id)
    contact_id = add_contact(
        session, customer, values={"name": name, "phone": phones}, actor_id=owner_id, now=now
    )
    return link(session, scope, contact, contact_id, actor_id=owner_id, now=now)


def link_of(session: Session, contact: ExternalContactView) -> LinkView | None:
    """The contact the external contact is linked to, if any."""
    row = _link_row(session, contact.id)
    return _view(session, row, contact) if row is not None else None


def removed(session: Session, contact: ExternalContactView, now: datetime) -> LinkView | None:
    """The platform says the member removed the customer: audited on the linked contact (which
    keeps the link, shown as removed); None if it was never linked."""
    found = link_of(session, contact)
    if found is not None:
        audit(
            session,
            None,
            "contact.external_removed",
            ("contact", found.contact_id),
            now,
            external_contact=contact.id,
        )
    return found


def links_of_contacts(session: Session, contact_ids: list[int]) -> dict[int, list[LinkView]]:
    """The external accounts linked to each of these contacts."""
    found: dict[int, list[LinkView]] = {}
    rows = session.scalars(
        select(ExternalLink)
        .where(ExternalLink.contact_id.in_(contact_ids))
        .order_by(ExternalLink.id)
    )
    for row in rows:
        account = external_contact(session, row.external_contact_id)
        if account is not None:
            found.setdefault(row.contact_id, []).append(_view(session, row, account))
    return found


def _linked_by_colleagues(
    session: Session, scope: Scope, contact: ExternalContactView
) -> list[Candidate]:
    others = [o.id for o in same_customer(session, contact)]
    if not others:
        return []
    rows = session.scalars(
        select(ExternalLink.contact_id).where(ExternalLink.external_contact_id.in_(others))
    )
    return [
        c for c in (_candidate(session, scope, cid, Reason.COLLEAGUE) for cid in set(rows)) if c
    ]


def _by_phone_or_name(
    session: Session, scope: Scope, contact: ExternalContactView
) -> list[Candidate]:
    profile = contact.profile
    names = {fold(n) for n in (profile.remark, profile.name)} - {""}
    phones = {_phone_key(p) for p in profile.phones} - {""}
    needles = names | phones
    if not needles:
        return []
    query = select(Customer).where(
        or_(*(Customer.search_key.contains(n, autoescape=True) for n in needles))
    )
    if not scope.everyone:
        query = query.where(Customer.owner_id.in_(scope.owner_ids))
    customers = {c.id: c for c in session.scalars(query.order_by(Customer.id).limit(SEARCHED))}
    rows = session.scalars(
        select(Contact).where(Contact.customer_id.in_(customers)).order_by(Contact.id)
    )
    found = []
    for row in rows:
        reason = _reason(row, names, phones)
        if reason is not None:
            customer = customers[row.customer_id]
            found.append(Candidate(row.id, row.name, customer.id, customer.name, reason))
    return found


def _reason(row: Contact, names: set[str], phones: set[str]) -> Reason | None:
    if phones & {_phone_key(str(p)) for p in row.phones}:
        return Reason.PHONE
    if fold(row.name) in names:
        return Reason.NAME
    return None


def _phone_key(text: str) -> str:
    """A phone number's digits, without China's country code on a mobile number."""
    digits = DIGITS.sub("", text)
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _candidate(session: Session, scope: Scope, contact_id: int, reason: Reason) -> Candidate | None:
    row = session.get(Contact, contact_id)
    customer = session.get(Customer, row.customer_id) if row is not None else None
    if row is None or customer is None or not scope.covers(customer.owner_id):
        return None
    return Candidate(row.id, row.name, customer.id, customer.name, reason)


def _link_row(session: Session, external_contact_id: int) -> ExternalLink | None:
    return session.scalars(
        select(ExternalLink).where(ExternalLink.external_contact_id == external_contact_id)
    ).one_or_none()


def _view(session: Session, row: ExternalLink, contact: ExternalContactView) -> LinkView:
    target = session.get_one(Contact, row.contact_id)
    customer = session.get_one(Customer, target.customer_id)
    return LinkView(
        external_contact_id=row.external_contact_id,
        contact_id=target.id,
        contact_name=target.name,
        customer_id=customer.id,
        customer_name=customer.name,
        matched=row.matched,
        active=contact.active,
    )

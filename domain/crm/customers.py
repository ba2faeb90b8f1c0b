"""Customers and their contacts: adding, changing, finding and assigning them to a rep.

Each customer keeps a ``search_key`` (see domain/crm/search.py) so that ``find`` matches partial,
case- and width-insensitive text, Chinese included."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.crm.access import audit
from domain.crm.models import Contact, Customer, Deal, Ticket
from domain.crm.scope import Scope
from domain.crm.search import fold, fold_phone, search_key_for
from domain.crm.tickets import TicketView
from domain.crm.tickets import view_of as ticket_view
from domain.directory.models import Member
from domain.directory.roles import Permission, allows
from domain.directory.services import member_view
from domain.shared.errors import Conflict, DomainError

KINDS = ("company", "person")
CUSTOMER_KEYS = (
    "name", "kind", "industry", "tier", "source", "tags", "phone", "email", "address", "key",
)  # fmt: skip
CONTACT_KEYS = ("name", "title", "phone", "email", "channel", "lang", "prefs")
LIMITS = {
    "name": 200, "industry": 100, "tier": 32, "source": 100, "phone": 64, "email": 320,
    "address": 500, "key": 128, "title": 200, "channel": 32, "lang": 16, "prefs": 2000, "tag": 50,
}  # fmt: skip
CLOSED_TICKET = ("resolved", "closed")
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{2,30}(?:(?:x|ext\.?)\s?[0-9]{1,6})?$", re.I)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Value = str | list[str]


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A customer as commands see it."""

    id: int
    kind: str
    name: str
    industry: str
    tier: str
    source: str
    tags: tuple[str, ...]
    owner_id: int
    owner_name: str
    owner_handle: str
    address: str
    phone: str
    email: str
    external_key: str | None


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact as commands see it."""

    id: int
    customer_id: int
    name: str
    title: str
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    channel: str
    locale: str
    preferences: str


@dataclass(frozen=True, slots=True)
class Found:
    """One page of customers and how many there are in all."""

    customers: list[CustomerView]
    total: int


def refresh_search_key(session: Session, customer: Customer) -> None:
    """Recompute the customer's search key from it and its contacts."""
    _set_search_key(customer, _contacts(session, customer.id))


def refresh_search_keys(session: Session, customer_ids: Collection[int]) -> None:
    """Recompute the search keys of many customers at once (an import batch), in two queries."""
    if not customer_ids:
        return
    contacts: dict[int, list[Contact]] = defaultdict(list)
    query = select(Contact).where(Contact.customer_id.in_(customer_ids)).order_by(Contact.id)
    for contact in session.scalars(query):
        contacts[contact.customer_id].append(contact)
    for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
        _set_search_key(customer, contacts[customer.id])


def _set_search_key(customer: Customer, contacts: Sequence[Contact]) -> None:
    phones = [customer.phone, *(p for c in contacts for p in c.phones)]
    emails = [customer.email, *(e for c in contacts for e in c.emails)]
    customer.search_key = search_key_for(
        customer.name, phones, emails, others=[c.name for c in contacts]
    )


def _contacts(session: Session, customer_id: int) -> Sequence[Contact]:
    query = select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id)
    return session.scalars(query).all()


def clean(key: str, value: Value) -> Value:
    """A customer's or contact's field value, checked; ``DomainError`` says what is wrong."""
    if isinstance(value, list):
        return [str(clean(key, v)) for v in value if v.strip()]
    value = " ".join(value.split()) if key != "prefs" else value.strip()
    limit = LIMITS.get(key, LIMITS["tag"])
    if len(value) > limit:
        raise DomainError("{field} must be at most {limit} characters.", field=key, limit=limit)
    if key == "name" and not value:
        raise DomainError("A name cannot be empty.")
    if key == "kind" and value not in KINDS:
        raise DomainError("kind must be one of: {choices}.", choices=", ".join(KINDS))
    if key == "phone" and value and not PHONE.match(value):
        raise DomainError("{value} is not a phone number.", value=value)
    if key == "email" and value and not EMAIL.match(value):
        raise DomainError("{value} is not an email address.", value=value)
    return value


def add_customer(
    session: Session,
    *,
    values: Mapping[str, Value],
    owner_id: int,
    actor_id: int,
    now: datetime,
) -> int:
    """Add a customer owned by ``owner_id``; returns its id."""
    _check_keys(values, CUSTOMER_KEYS)
    customer = Customer(owner_id=owner_id, created_at=now, updated_at=now, name="")
    _apply(session, customer, {"kind": "company", **values})
    if not customer.name:
        raise DomainError("A name cannot be empty.")
    try:
        with session.begin_nested():  # on a clash, only this insert is undone
            session.add(customer)
    except IntegrityError as exc:  # the same external key, added by someone else just now
        key = customer.external_key
        raise Conflict("The external key {key} is already used.", key=key) from exc
    refresh_search_key(session, customer)
    audit(session, actor_id, "customer.added", ("customer", customer.id), now, owner=owner_id)
    return customer.id


def edit_customer(
    session: Session, customer: Customer, values: Mapping[str, Value], actor_id: int, now: datetime
) -> None:
    """Change some of a customer's fields (all checked first: one bad value changes nothing)."""
    _check_keys(values, CUSTOMER_KEYS)
    if not values:
        raise DomainError("Say what to change, for example: {example}", example="tier=A")
    try:
        with session.begin_nested():  # on a clash, the changes are undone with the savepoint
            _apply(session, customer, values)
            customer.updated_at = now
    except IntegrityError as exc:  # the same external key, set by someone else just now
        raise Conflict("The external key {key} is already used.", key=values.get("key")) from exc
    refresh_search_key(session, customer)
    audit(
        session, actor_id, "customer.edited", ("customer", customer.id), now, fields=sorted(values)
    )


def _check_keys(values: Mapping[str, Value], allowed: Sequence[str]) -> None:
    unknown = [k for k in values if k not in allowed]
    if unknown:
        raise DomainError(
            "Unknown field {field}. You can set: {allowed}.",
            field=unknown[0],
            allowed=", ".join(allowed),
        )


def _apply(session: Session, customer: Customer, values: Mapping[str, Value]) -> None:
    cleaned = {k: clean("tag" if k == "tags" else k, v) for k, v in values.items()}
    key = cleaned.get("key")
    if key is not None:
        _check_external_key(session, Customer, str(key), customer.id)
    for field, value in cleaned.items():
        column = {"key": "external_key"}.get(field, field)
        setattr(customer, column, (value or None) if field == "key" else value)


def _check_external_key(
    session: Session, table: type[Customer] | type[Contact], key: str, own_id: int | None
) -> None:
    if not key:
        return
    taken = session.scalar(select(table.id).where(table.external_key == key))
    if taken is not None and taken != own_id:
        raise Conflict("The external key {key} is already used.", key=key)


def check_owner(session: Session, scope: Scope, owner_id: int) -> None:
    """Refuse an owner who is inactive, cannot use the CRM, or is outside the actor's scope."""
    member = member_view(session, owner_id)
    if not scope.covers(owner_id) or not member.active:
        raise DomainError(
            "@{handle} is not someone you can give customers to.", handle=member.handle
        )
    if not allows(member.roles, Permission.CRM_USE):
        raise DomainError("@{handle} does not use the CRM.", handle=member.handle)


def can_own(session: Session, owner_id: int) -> bool:
    """Whether a member may own customers: active, with ``crm.use``."""
    member = member_view(session, owner_id)
    return member.active and allows(member.roles, Permission.CRM_USE)


def assign_customer(
    session: Session, customer: Customer, owner_id: int, actor_id: int, now: datetime
) -> int:
    """Give a customer to another rep (active, with ``crm.use``); returns the previous owner."""
    if not can_own(session, owner_id):
        handle = member_view(session, owner_id).handle
        raise DomainError("@{handle} does not use the CRM.", handle=handle)
    previous = customer.owner_id
    if previous == owner_id:
        raise DomainError(
            "@{handle} already owns this customer.", handle=member_view(session, owner_id).handle
        )
    customer.owner_id = owner_id
    customer.updated_at = now
    audit(session, actor_id, "customer.assigned", ("customer", customer.id), now,
          from_owner=previous, to_owner=owner_id)  # fmt: skip
    return previous


def find_customers(session: Session, scope: Scope, text: str, *, limit: int) -> Found:
    """Customers in scope whose name, phone or email (or a contact's) contain ``text``."""
    needles = {fold(text), fold_phone(text)} - {""}
    if not needles:
        raise DomainError("Say what to look for: a name, a phone number or an email.")
    matches = [Customer.search_key.contains(n, autoescape=True) for n in needles]
    condition = matches[0] if len(matches) == 1 else matches[0] | matches[1]
    return _page(session, scope, condition, limit=limit, offset=0)


def customers_of(
    session: Session, scope: Scope, owner_ids: set[int] | None, *, limit: int, offset: int
) -> Found:
    """Customers owned by ``owner_ids`` (None: everyone in scope), by name."""
    condition = Customer.owner_id.in_(owner_ids) if owner_ids is not None else None
    return _page(session, scope, condition, limit=limit, offset=offset)


def _page(session: Session, scope: Scope, condition: object, *, limit: int, offset: int) -> Found:
    query = select(Customer, Member.name, Member.handle).join(
        Member, Member.id == Customer.owner_id
    )
    if condition is not None:
        query = query.where(condition)  # type: ignore[arg-type]
    if not scope.everyone:
        query = query.where(Customer.owner_id.in_(scope.owner_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Customer.name, Customer.id).limit(limit).offset(offset))
    return Found([_view(c, name, handle) for c, name, handle in rows], total)


def existing_customer_ids(session: Session, ids: Collection[int]) -> set[int]:
    """Which of these customer numbers the CRM has (for files that name customers by number,
    such as ``bizbot erp import``'s price lists)."""
    if not ids:
        return set()
    return set(session.scalars(select(Customer.id).where(Customer.id.in_(set(ids)))))


def customer_view(session: Session, customer: Customer) -> CustomerView:
    """The view of a customer row."""
    owner = session.get(Member, customer.owner_id)
    return _view(customer, owner.name if owner else "", owner.handle if owner else "")


def _view(c: Customer, owner_name: str, owner_handle: str) -> CustomerView:
    return CustomerView(
        id=c.id, kind=c.kind, name=c.name, industry=c.industry, tier=c.tier, source=c.source,
        tags=tuple(c.tags or ()), owner_id=c.owner_id, owner_name=owner_name,
        owner_handle=owner_handle, address=c.address, phone=c.phone, email=c.email,
        external_key=c.external_key,
    )  # fmt: skip


def contacts_of(session: Session, customer_id: int) -> list[ContactView]:
    """The customer's contacts, oldest first."""
    return [contact_view(c) for c in _contacts(session, customer_id)]


def contact_view(c: Contact) -> ContactView:
    """The view of a contact row."""
    return ContactView(
        id=c.id, customer_id=c.customer_id, name=c.name, title=c.title,
        phones=tuple(c.phones or ()), emails=tuple(c.emails or ()), channel=c.preferred_channel,
        locale=c.locale, preferences=c.preferences,
    )  # fmt: skip


def add_contact(
    session: Session,
    customer: Customer,
    *,
    values: Mapping[str, Value],
    actor_id: int,
    now: datetime,
) -> int:
    """Add a contact to a customer; returns its id."""
    _check_keys(values, CONTACT_KEYS)
    contact = Contact(customer_id=customer.id, name="", created_at=now, updated_at=now)
    _apply_contact(contact, values)
    if not contact.name:
        raise DomainError("A name cannot be empty.")
    session.add(contact)
    session.flush()
    refresh_search_key(session, customer)
    audit(session, actor_id, "contact.added", ("contact", contact.id), now, customer=customer.id)
    return contact.id


def edit_contact(
    session: Session, contact: Contact, values: Mapping[str, Value], actor_id: int, now: datetime
) -> None:
    """Change some of a contact's fields (all checked first: one bad value changes nothing)."""
    _check_keys(values, CONTACT_KEYS)
    if not values:
        raise DomainError("Say what to change, for example: {example}", example="title=CTO")
    _apply_contact(contact, values)
    contact.updated_at = now
    session.flush()
    customer = session.get(Customer, contact.customer_id)
    if customer is not None:
        refresh_search_key(session, customer)
    audit(session, actor_id, "contact.edited", ("contact", contact.id), now, fields=sorted(values))


CONTACT_COLUMNS = {
    "phone": "phones", "email": "emails", "channel": "preferred_channel", "lang": "locale",
    "prefs": "preferences",
}  # fmt: skip


def _apply_contact(contact: Contact, values: Mapping[str, Value]) -> None:
    cleaned = {k: clean(k, v) for k, v in values.items()}
    for field, value in cleaned.items():
        if field in ("phone", "email") and not isinstance(value, list):
            value = [value] if value else []
        setattr(contact, CONTACT_COLUMNS.get(field, field), value)


@dataclass(frozen=True, slots=True)
class DealLine:
    """An open deal as a customer's card lists it."""

    id: int
    name: str
    stage: str
    amount: Decimal
    currency: str
    expected_close: date | None


def open_deals_of(session: Session, customer_id: int) -> list[DealLine]:
    """The customer's open deals, oldest first."""
    deals = session.scalars(
        select(Deal).where(Deal.customer_id == customer_id, Deal.status == "open").order_by(Deal.id)
    )
    return [DealLine(d.id, d.name, d.stage, d.amount, d.currency, d.expected_close) for d in deals]


def open_tickets_of(session: Session, customer_id: int) -> list[TicketView]:
    """The customer's tickets not yet resolved or closed, oldest first."""
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.not_in(CLOSED_TICKET))
        .order_by(Ticket.id)
    )
    return [ticket_view(t) for t in tickets]

"""Leads: prospects not yet customers, maybe brought by a campaign, owned by the rep who added
them and seen through the same scope as customers. A lead converts once, into a customer (and
optionally a deal at the first stage), or is dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.crm.access import audit
from domain.crm.campaigns import campaign_view
from domain.crm.customers import refresh_search_key
from domain.crm.deals import DealRules, DealTerms, check_terms, start_deal
from domain.crm.models import Contact, Customer, Lead
from domain.crm.scope import Scope
from domain.shared.errors import Conflict, DomainError, NotFound

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"name": 200, "company": 200, "phone": 64, "email": 320}


@dataclass(frozen=True, slots=True)
class LeadDraft:
    """What a new lead is made of."""

    name: str
    company: str = ""
    phone: str = ""
    email: str = ""
    campaign_id: int | None = None


@dataclass(frozen=True, slots=True)
class LeadView:
    """A lead as commands see it."""

    id: int
    name: str
    company: str
    phone: str
    email: str
    campaign_id: int | None
    owner_id: int
    status: str
    customer_id: int | None
    deal_id: int | None


@dataclass(frozen=True, slots=True)
class DealRequest:
    """The deal a lead converts into, if any: its name and terms, checked as ``/deal add`` does."""

    name: str
    terms: DealTerms
    rules: DealRules
    today: date


@dataclass(frozen=True, slots=True)
class Conversion:
    """What a conversion made: the customer, and the deal if one was asked for."""

    lead: LeadView
    customer_id: int
    deal_id: int | None


def add_lead(session: Session, draft: LeadDraft, owner_id: int, now: datetime) -> LeadView:
    """Add a lead owned by ``owner_id``; its campaign must exist."""
    fields = {k: " ".join(getattr(draft, k).split()) for k in LIMITS}
    if not fields["name"]:
        raise DomainError("Give the lead a name.")
    if any(len(fields[k]) > limit for k, limit in LIMITS.items()):
        raise DomainError("Keep the name, company, phone and email short.")
    if fields["email"] and not EMAIL.match(fields["email"]):
        raise DomainError("{email} is not an email address.", email=fields["email"])
    if draft.campaign_id is not None:
        campaign_view(session, draft.campaign_id)
    lead = Lead(**fields, campaign_id=draft.campaign_id, owner_id=owner_id, created_at=now)
    session.add(lead)
    session.flush()
    return view_of(lead)


def lead_in_scope(session: Session, scope: Scope, lead_id: int) -> Lead:
    """The lead, if the scope covers its owner; ``NotFound`` otherwise."""
    lead = session.get(Lead, lead_id)
    if lead is None or not scope.covers(lead.owner_id):
        raise NotFound("There is no lead #{id} that you can see.", id=lead_id)
    return lead


def open_leads(
    session: Session, scope: Scope, *, mine: bool, campaign_id: int | None, limit: int
) -> list[LeadView]:
    """The open leads in scope (only the member's own with ``mine``), newest first."""
    query = select(Lead).where(Lead.status == "open").order_by(Lead.id.desc()).limit(limit)
    if mine:
        query = query.where(Lead.owner_id == scope.member_id)
    elif not scope.everyone:
        query = query.where(Lead.owner_id.in_(scope.owner_ids))
    if campaign_id is not None:
        query = query.where(Lead.campaign_id == campaign_id)
    return [view_of(lead) for lead in session.scalars(query)]


def convert_lead(
    session: Session,
    scope: Scope,
    lead_id: int,
    deal: DealRequest | None,
    now: datetime,
) -> Conversion:
    """Turn an open lead into a customer (with its person as a contact when it names a company)
    and, if asked, a deal at the first stage. A lead converts once."""
    lead = lead_in_scope(session, scope, lead_id)
    _claim(session, lead, "converted", now)
    customer = _customer_of(session, lead, now)
    deal_id = _open_deal(session, lead, customer.id, deal, scope.member_id, now) if deal else None
    lead.customer_id, lead.deal_id = customer.id, deal_id
    audit(session, scope.member_id, "lead.converted", ("lead", lead.id), now,
          customer_id=customer.id, deal_id=deal_id)  # fmt: skip
    session.flush()
    return Conversion(view_of(lead), customer.id, deal_id)


def drop_lead(session: Session, scope: Scope, lead_id: int, now: datetime) -> LeadView:
    """Give up on an open lead."""
    lead = lead_in_scope(session, scope, lead_id)
    _claim(session, lead, "dropped", now)
    audit(session, scope.member_id, "lead.dropped", ("lead", lead.id), now)
    return view_of(lead)


def _claim(session: Session, lead: Lead, status: str, now: datetime) -> None:
    """Move the lead out of ``open``, compare-and-set: a second attempt is refused."""
    claimed = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status == "open")
        .values(status=status, converted_at=now if status == "converted" else None)
    )
    session.refresh(lead)
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        return
    if lead.status == "converted":
        raise Conflict(
            "Lead #{id} was already converted, into customer #{customer}.",
            id=lead.id,
            customer=lead.customer_id,
        )
    raise Conflict("Lead #{id} was dropped.", id=lead.id)


def _customer_of(session: Session, lead: Lead, now: datetime) -> Customer:
    """The customer a lead becomes: its company (with the lead as a contact), or the person."""
    customer = Customer(
        kind="company" if lead.company else "person",
        name=lead.company or lead.name,
        source="lead",
        owner_id=lead.owner_id,
        phone=lead.phone,
        email=lead.email,
        campaign_id=lead.campaign_id,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    if lead.company:
        session.add(
            Contact(customer_id=customer.id, name=lead.name, phones=_listed(lead.phone),
                    emails=_listed(lead.email), created_at=now, updated_at=now)
        )  # fmt: skip
    session.flush()
    refresh_search_key(session, customer)
    return customer


def _open_deal(
    session: Session, lead: Lead, customer_id: int, deal: DealRequest, actor_id: int, now: datetime
) -> int:
    """A deal for the new customer at the first stage, owned by the lead's owner."""
    terms = replace(deal.terms, campaign_id=lead.campaign_id)
    check_terms(session, deal.name, terms, deal.today)
    started = start_deal(
        session, customer_id, deal.name, terms, deal.rules, now,
        owner_id=lead.owner_id, actor_id=actor_id,
    )  # fmt: skip
    return started.id


def _listed(value: str) -> list[str]:
    return [value] if value else []


def view_of(lead: Lead) -> LeadView:
    """The view of a lead row."""
    return LeadView(
        id=lead.id,
        name=lead.name,
        company=lead.company,
        phone=lead.phone,
        email=lead.email,
        campaign_id=lead.campaign_id,
        owner_id=lead.owner_id,
        status=lead.status,
        customer_id=lead.customer_id,
        deal_id=lead.deal_id,
    )

"""Tables of the CRM: customers and their contacts, communication records, deals with their stage
history, campaigns and leads, service tickets with their timeline, customers' chat accounts
(guests) with the one-time invites that bind them, platform external contacts linked to contacts,
and the CRM audit trail.

Money is exact (``Money`` columns: integer minor units). Every row that a customer may be shown
carries a non-guessable ``ref``; internal ids never leave the company.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money

RowId = BigInteger().with_variant(Integer, "sqlite")


class Customer(Base):
    """A company or a person the company sells to; owned by one rep."""

    __tablename__ = "crm_customers"
    __table_args__ = (
        Index("ix_crm_customers_owner", "owner_id"),
        Index("ix_crm_customers_search", "search_key"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), default="company")  # company | person
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(600), default="")  # folded name/phone/email
    industry: Mapped[str] = mapped_column(String(100), default="")
    tier: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    external_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("crm_campaigns.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contact(Base):
    """A person at a customer; may be bound to chat accounts as a guest."""

    __tablename__ = "crm_contacts"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    phones: Mapped[list[Any]] = mapped_column(default=list)
    emails: Mapped[list[Any]] = mapped_column(default=list)
    preferred_channel: Mapped[str] = mapped_column(String(32), default="")
    locale: Mapped[str] = mapped_column(String(16), default="")
    preferences: Mapped[str] = mapped_column(Text, default="")
    external_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Activity(Base):
    """A communication record (call, visit, meeting, message, email) or an internal note."""

    __tablename__ = "crm_activities"
    __table_args__ = (Index("ix_crm_activities_customer", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("crm_contacts.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("crm_deals.id"))
    kind: Mapped[str] = mapped_column(String(16))  # call|visit|meeting|message|email|note
    direction: Mapped[str] = mapped_column(String(8), default="out")  # in | out | internal
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Deal(Base):
    """A sales opportunity: an amount expected at a stage's probability by a close date."""

    __tablename__ = "crm_deals"
    __table_args__ = (
        Index("ix_crm_deals_owner", "owner_id", "status"),
        Index("ix_crm_deals_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id"))
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    stage: Mapped[str] = mapped_column(String(32))
    probability: Mapped[int] = mapped_column()  # percent, from the stage unless overridden
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | won | lost
    expected_close: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    next_step: Mapped[str] = mapped_column(String(500), default="")
    lost_reason: Mapped[str] = mapped_column(String(500), default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("crm_campaigns.id"))
    version: Mapped[int] = mapped_column(default=1)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DealStageChange(Base):
    """One move of a deal between stages: who moved it and when (win rate, cycle time)."""

    __tablename__ = "crm_deal_stage_changes"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("crm_deals.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Campaign(Base):
    """A marketing campaign: goal, budget, channel, dates and who runs it."""

    __tablename__ = "crm_campaigns"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(String(500), default="")
    budget: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    channel: Mapped[str] = mapped_column(String(64), default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    participants: Mapped[list[Any]] = mapped_column(default=list)  # member ids
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Lead(Base):
    """A prospect not yet a customer, maybe from a campaign; converts to a customer and a deal."""

    __tablename__ = "crm_leads"
    __table_args__ = (Index("ix_crm_leads_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("crm_campaigns.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|converted|dropped
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customers.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("crm_deals.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Ticket(Base):
    """A customer-service work order with its SLA clock."""

    __tablename__ = "crm_tickets"
    __table_args__ = (
        Index("ix_crm_tickets_customer", "customer_id"),
        Index("ix_crm_tickets_assignee", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # what a customer sees
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("crm_contacts.id"))
    subject: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(64), default="")
    priority: Mapped[str] = mapped_column(String(8), default="normal")  # low|normal|high|urgent
    status: Mapped[str] = mapped_column(String(16), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column()
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TicketEvent(Base):
    """One entry of a ticket's timeline; ``public`` ones are shown to the customer."""

    __tablename__ = "crm_ticket_events"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("crm_tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    public: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class GuestAccount(Base):
    """A customer contact's chat account: messages from it are a guest's, never a member's."""

    __tablename__ = "crm_guest_accounts"
    __table_args__ = (
        UniqueConstraint("channel", "workspace", "platform_user_id", name="uq_crm_guest_account"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    platform_user_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # answers go here


class GuestInvite(Base):
    """A one-time invite binding a chat account to a contact, stored only as its SHA-256."""

    __tablename__ = "crm_guest_invites"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExternalLink(Base):
    """A platform's external contact (a customer a member added on WeCom) known as a contact."""

    __tablename__ = "crm_external_links"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    external_contact_id: Mapped[int] = mapped_column(
        ForeignKey("external_contacts.id"), unique=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id"), index=True)
    matched: Mapped[bool] = mapped_column(default=False)  # by Bizbot, not chosen by a member
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CrmAudit(Base):
    """Who did what to which CRM record, append-only (transfers, edits, refusals that matter)."""

    __tablename__ = "crm_audit"
    __table_args__ = (Index("ix_crm_audit_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    action: Mapped[str] = mapped_column(String(48))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(RowId)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Where each consumer stands in the domain event stream: one row per (consumer, event) it
applied, is retrying or parked, and a low watermark per consumer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime

RowId = BigInteger().with_variant(Integer, "sqlite")


class ConsumerStatus:
    """What became of one event for one consumer."""

    APPLIED = "applied"
    RETRY = "retry"  # failed; tried again at next_attempt_at
    PARKED = "parked"  # failed too often; waits for an operator (bizbot events retry|skip)
    SKIPPED = "skipped"  # an operator gave up on it


class ConsumedEvent(Base):
    """One consumer's outcome for one event; unique, so an event is applied once per consumer."""

    __tablename__ = "flow_consumed_events"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(RowId, ForeignKey("domain_events.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsumerPosition(Base):
    """Every event of the consumer's names with an id at or below ``settled_through`` has a
    ``flow_consumed_events`` row of this consumer (the low watermark; only ever raised)."""

    __tablename__ = "flow_consumer_positions"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    settled_through: Mapped[int] = mapped_column(RowId, default=0)


class SafetyAlert(Base):
    """One ``stock.below_safety`` breach told to the warehouse managers and buyers, and the one
    purchase request drafted from its card (whoever taps first; the row is locked to draft)."""

    __tablename__ = "flow_safety_alerts"

    event_id: Mapped[int] = mapped_column(RowId, ForeignKey("domain_events.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(RowId, ForeignKey("erp_products.id"))
    request_id: Mapped[int | None] = mapped_column(RowId, ForeignKey("erp_purchase_requests.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A conversation that hears of one kind of business event, when its condition holds
    (``/subscribe deal.won amount > 100000``); the card speaks ``locale``."""

    __tablename__ = "flow_subscriptions"
    __table_args__ = (Index("ix_flow_subscriptions_topic", "topic", "active"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    condition: Mapped[str] = mapped_column(String(500), default="")  # as evaluated
    wording: Mapped[str] = mapped_column(String(500), default="")  # as the subscriber wrote it
    channel: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    conversation: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SalesRun(Base):
    """One won deal's way to a sales order: the contract approval submitted for it, the
    quotation it carries, the order the approved contract became; ``stage`` is where it stands
    (``contract``, ``ordered``, ``no_quote``, ``stopped``)."""

    __tablename__ = "flow_sales_runs"

    deal_id: Mapped[int] = mapped_column(RowId, ForeignKey("crm_deals.id"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    quote_id: Mapped[int | None] = mapped_column(RowId, ForeignKey("erp_sales_documents.id"))
    request_id: Mapped[int | None] = mapped_column(RowId, unique=True)
    order_id: Mapped[int | None] = mapped_column(RowId, ForeignKey("erp_sales_documents.id"))
    stage: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DealRoom(Base):
    """The one conversation where a deal's flow is announced (``deal-<id>``). Recorded before
    it is opened on the platform (``opening``), so that a retry after a crash looks the room up
    by its name instead of making a second one; then ``open`` there, or ``direct``: the owner's
    own chat, where the platform cannot open rooms. ``conversation`` is empty while opening."""

    __tablename__ = "flow_deal_rooms"
    __table_args__ = (Index("ix_flow_deal_rooms_due", "status", "next_attempt_at"),)

    deal_id: Mapped[int] = mapped_column(RowId, ForeignKey("crm_deals.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    locale: Mapped[str] = mapped_column(String(16))  # the room speaks its owner's language
    channel: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    conversation: Mapped[str] = mapped_column(String(255), default="")
    members: Mapped[list[str]] = mapped_column(JSON, default=list)  # user ids on the channel
    status: Mapped[str] = mapped_column(String(16))  # opening | open | direct
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LeaveBlock(Base):
    """An approved leave's block on the member's calendar (one per leave request): the calendar
    event that shows them away, cancelled when the leave is withdrawn."""

    __tablename__ = "flow_leave_blocks"

    request_id: Mapped[int] = mapped_column(RowId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    event_id: Mapped[int] = mapped_column(RowId, ForeignKey("calendar_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Tables of approvals: template versions, requests with their steps (nodes) and tasks, the
append-only event log, card copies, delegations, and leave balances with their ledger."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
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
Days = Money(1)  # leave days, exact to a tenth, stored as an integer count of tenths


class ApprovalTemplate(Base):
    """One version of a template; requests keep the version they were submitted with."""

    __tablename__ = "approval_templates"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    definition: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    bundled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApprovalRequest(Base):
    """A submitted request: the projection of its event log (status, version, current step)."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        ForeignKeyConstraint(
            ["template_key", "template_version"],
            ["approval_templates.key", "approval_templates.version"],
            name="fk_approval_requests_template",
        ),
        Index("ix_approval_requests_initiator", "initiator_id", "status"),
        Index("ix_approval_requests_status", "status"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    template_key: Mapped[str] = mapped_column(String(32))
    template_version: Mapped[int] = mapped_column()
    initiator_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=-1)
    fields: Mapped[dict[str, Any]]
    cc: Mapped[dict[str, Any]]
    route: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    urged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApprovalNode(Base):
    """One step of a request: who approves it, how they decide, and where it stands."""

    __tablename__ = "approval_nodes"

    request_id: Mapped[int] = mapped_column(
        RowId, ForeignKey("approval_requests.id"), primary_key=True
    )
    nid: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column()
    name: Mapped[dict[str, Any]]
    mode: Mapped[str] = mapped_column(String(8))
    quorum: Mapped[int] = mapped_column(default=1)
    veto: Mapped[list[Any]]
    approvers: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(default=0)
    sla: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(String(32), default="")


class ApprovalTask(Base):
    """One approver's part in a step (in one round of it)."""

    __tablename__ = "approval_tasks"
    __table_args__ = (Index("ix_approval_tasks_approver", "approver_id", "status"),)

    request_id: Mapped[int] = mapped_column(
        RowId, ForeignKey("approval_requests.id"), primary_key=True
    )
    tid: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    nid: Mapped[int] = mapped_column()
    round: Mapped[int] = mapped_column()
    approver_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApprovalEvent(Base):
    """The append-only log of a request: who did what, for whom, caused by which platform event.

    ``seq`` numbers a request's events; ``version`` is the request version the event produced.
    ``cause_id`` is the inbox row of the platform event (kept after the inbox is pruned, so no
    foreign key) and ``source`` its channel and platform event id.
    """

    __tablename__ = "approval_events"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(RowId, ForeignKey("approval_requests.id"))
    seq: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    nid: Mapped[int | None] = mapped_column()
    data: Mapped[dict[str, Any]]
    cause_id: Mapped[int | None] = mapped_column(RowId)
    source: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApprovalCard(Base):
    """A card shown to a member about a request; ``card_ref`` is opaque here (the chat layer's
    reference to the message), kept so that every copy can be updated in place."""

    __tablename__ = "approval_cards"
    __table_args__ = (
        Index("ix_approval_cards_request", "request_id"),
        Index("ix_approval_cards_member", "member_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(RowId, ForeignKey("approval_requests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    card_ref: Mapped[int] = mapped_column(RowId)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delegation(Base):
    """While it runs, tasks for ``member`` go to ``deputy`` (who acts on the member's behalf)."""

    __tablename__ = "approval_delegations"
    __table_args__ = (Index("ix_approval_delegations_member", "member_id", "ends_at"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))  # manual | leave
    request_id: Mapped[int | None] = mapped_column(RowId, ForeignKey("approval_requests.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LeaveBalance(Base):
    """A member's days of one leave type in one year; changed only by conditional updates."""

    __tablename__ = "leave_balances"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    leave_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    allocated: Mapped[Decimal] = mapped_column(Days, default=Decimal(0))
    held: Mapped[Decimal] = mapped_column(Days, default=Decimal(0))
    used: Mapped[Decimal] = mapped_column(Days, default=Decimal(0))


class LeaveEntry(Base):
    """The append-only ledger behind the balances: what moved between allocated, held and used.

    An entry caused by a request is unique on the request, its kind and the request version
    (the transition) that caused it, so a transition can never move days twice.
    """

    __tablename__ = "leave_ledger"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", "version"),
        Index("ix_leave_ledger_member", "member_id", "leave_type", "year"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    leave_type: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    days: Mapped[Decimal] = mapped_column(Days)
    request_id: Mapped[int | None] = mapped_column(RowId, ForeignKey("approval_requests.id"))
    version: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Absence(Base):
    """A member away on approved leave, whole days in the org's calendar: what calendars show."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_member", "member_id", "first_day"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    leave_type: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int] = mapped_column(RowId, ForeignKey("approval_requests.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

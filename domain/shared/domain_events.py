"""Business events for other modules (ERP, finance) to consume: ExpenseApproved,
PurchaseRequested, ContractApproved, LeaveApproved, stock.below_safety … Recorded once per
source record; consumers in ``domain.flows`` apply each once (docs/FLOWS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from domain.shared.db import Base, UTCDateTime

RowId = BigInteger().with_variant(Integer, "sqlite")
RECORDED = "domain_events.recorded"


class DomainEventRow(Base):
    """One business event; unique on name and source record, so recording it twice is a no-op."""

    __tablename__ = "domain_events"
    __table_args__ = (UniqueConstraint("name", "source", "source_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """A recorded business event."""

    id: int
    name: str
    source: str
    source_id: str
    payload: dict[str, Any]
    occurred_at: datetime


def record_event(
    session: Session, name: str, source: str, source_id: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Record an event once (True), or do nothing if it was recorded already (False)."""
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert_(DomainEventRow)
        .values(name=name, source=source, source_id=source_id, payload=payload, occurred_at=now)
        .on_conflict_do_nothing()
        .returning(DomainEventRow.id)
    )
    recorded = result.first() is not None
    if recorded:
        session.info[RECORDED] = True  # the pipeline wakes the consumers after its commit
    return recorded


def recorded_any(session: Session) -> bool:
    """Whether this session recorded an event since the last call (then forgotten)."""
    return bool(session.info.pop(RECORDED, False))


def events_named(session: Session, name: str) -> list[DomainEvent]:
    """The events of one name, oldest first."""
    rows = session.scalars(
        select(DomainEventRow).where(DomainEventRow.name == name).order_by(DomainEventRow.id)
    )
    return [
        DomainEvent(r.id, r.name, r.source, r.source_id, dict(r.payload), r.occurred_at)
        for r in rows
    ]


def event_by_id(session: Session, event_id: int) -> DomainEvent:
    """One recorded event."""
    r = session.get_one(DomainEventRow, event_id)
    return DomainEvent(r.id, r.name, r.source, r.source_id, dict(r.payload), r.occurred_at)

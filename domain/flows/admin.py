"""What an operator sees and does about events a consumer could not apply (``bizbot events``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.flows.models import ConsumedEvent, ConsumerStatus
from domain.shared.domain_events import DomainEventRow


@dataclass(frozen=True, slots=True)
class FailedEvent:
    """An event a consumer has not applied: retrying, parked or skipped."""

    id: int
    consumer: str
    event_id: int
    event_name: str
    source: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str


def failed_events(
    session: Session, *, everything: bool = False, limit: int = 50
) -> list[FailedEvent]:
    """Parked and retrying events, newest first (with ``everything``: skipped ones too)."""
    statuses = [ConsumerStatus.PARKED, ConsumerStatus.RETRY]
    if everything:
        statuses.append(ConsumerStatus.SKIPPED)
    rows = session.execute(
        select(ConsumedEvent, DomainEventRow)
        .join(DomainEventRow, DomainEventRow.id == ConsumedEvent.event_id)
        .where(ConsumedEvent.status.in_(statuses))
        .order_by(ConsumedEvent.id.desc())
        .limit(limit)
    )
    return [
        FailedEvent(
            row.id,
            row.consumer,
            event.id,
            event.name,
            f"{event.source}:{event.source_id}",
            row.status,
            row.attempts,
            row.next_attempt_at,
            row.last_error or "",
        )
        for row, event in rows
    ]


def retry_events(session: Session, ids: list[int], now: datetime) -> int:
    """Make parked (or skipped) events due now with their attempts starting over; how many."""
    return _change(
        session,
        ids,
        (ConsumerStatus.PARKED, ConsumerStatus.SKIPPED, ConsumerStatus.RETRY),
        {"status": ConsumerStatus.RETRY, "attempts": 0, "next_attempt_at": now, "updated_at": now},
    )


def skip_events(session: Session, ids: list[int], now: datetime) -> int:
    """Give up on parked or retrying events (the consumer will not apply them); how many."""
    return _change(
        session,
        ids,
        (ConsumerStatus.PARKED, ConsumerStatus.RETRY),
        {"status": ConsumerStatus.SKIPPED, "next_attempt_at": None, "updated_at": now},
    )


def _change(  # ids that are not in one of ``statuses`` are left alone
    session: Session, ids: list[int], statuses: tuple[str, ...], values: dict[str, object]
) -> int:
    result = session.execute(
        update(ConsumedEvent)
        .where(ConsumedEvent.id.in_(ids), ConsumedEvent.status.in_(statuses))
        .values(**values)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

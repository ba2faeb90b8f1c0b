"""Durable consumers of domain events: each applies each event of its names exactly once.

A consumer's position is not one "last id": on PostgreSQL event ids are taken when the INSERT
runs but become visible when their transaction commits, so event 7 can appear after event 8
was read, and a "last id" watermark would skip it for good. Instead:

- **One row per (consumer, event)** in ``flow_consumed_events`` (unique), inserted in the same
  transaction as the handler's effect. The handler runs only if this transaction inserted the
  row, so a redelivery, a second process or a crash replay finds the row and does nothing; if
  the transaction rolls back, effect and row go together and the event is still to do.
- **Candidates** are the consumer's events with no row of this consumer (an anti-join), read
  above a **low watermark** (``flow_consumer_positions.settled_through``) that only skips
  what is certainly settled. The watermark is raised to just below the oldest event still
  without a row, and never past an event recorded less than ``SETTLE_LAG`` ago: an event that
  is not yet visible belongs to a transaction still open, and no transaction lasts that long
  (the lag only bounds how far the watermark may run ahead; correctness of "once" never
  depends on it, and an event under the watermark that somehow lacked a row would only be
  found again by ``bizbot events`` rather than re-run — so the lag is generous).
- **Several processes** (PostgreSQL): candidate events are locked ``FOR NO KEY UPDATE SKIP
  LOCKED``, so two runners take different events; the unique row is the last word if two ever
  reach the same one (the second insert waits for the first commit and then inserts nothing).
- **Failures**: the handler runs under a savepoint; if it raises, its effect is undone and the
  row records the attempt, due again after a backoff from the project's ``Clock``. After
  ``max_attempts`` the row is **parked**: the consumer goes on with its other events, and an
  operator sees it in ``bizbot events list`` and may ``retry`` or ``skip`` it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.flows.models import ConsumedEvent, ConsumerPosition, ConsumerStatus
from domain.shared.domain_events import DomainEvent, DomainEventRow, event_by_id

C = TypeVar("C")
Handler = Callable[[Session, DomainEvent, C], None]

SETTLE_LAG = timedelta(minutes=10)  # far longer than any transaction that records an event
BATCH = 100


@dataclass(frozen=True)
class Consumer(Generic[C]):
    """A named reaction to some domain events; ``handle(session, event, context)`` applies it."""

    name: str
    events: frozenset[str]
    handle: Handler[C]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry after ``first``, doubling up to ``longest``; park after ``max_attempts`` failures."""

    max_attempts: int = 5
    first: timedelta = timedelta(seconds=10)
    longest: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failure."""
        return min(self.first * int(2 ** max(attempts - 1, 0)), self.longest)


@dataclass(slots=True)
class Pass:
    """What one pass of a consumer did."""

    applied: int = 0
    failed: int = 0
    parked: int = 0
    event_ids: list[int] = field(default_factory=list)

    @property
    def touched(self) -> int:
        """Events this pass recorded an outcome for."""
        return self.applied + self.failed + self.parked


def consume(
    session: Session,
    consumer: Consumer[C],
    context: C,
    now: datetime,
    *,
    backoff: Backoff = Backoff(),
    skip_locked: bool = False,
    batch: int = BATCH,
) -> Pass:
    """Apply the consumer to its new events and its due retries, once each, in this transaction."""
    done = Pass()
    for event in _new_events(session, consumer, batch, skip_locked=skip_locked):
        if _claim(session, consumer.name, event.id, now):
            _apply(session, consumer, event, context, now, backoff, done)
    for row in _due_retries(session, consumer.name, now, batch, skip_locked=skip_locked):
        _apply(
            session, consumer, event_by_id(session, row.event_id), context, now, backoff, done, row
        )
    _raise_watermark(session, consumer, now)
    return done


def pending_count(session: Session, consumers: Iterable[Consumer[C]], now: datetime) -> int:
    """Events the consumers have still to apply now (new ones and retries that are due)."""
    total = 0
    for consumer in consumers:
        new = select(func.count()).select_from(DomainEventRow).where(*_unseen(session, consumer))
        due = select(func.count()).select_from(ConsumedEvent).where(*_due(consumer.name, now))
        total += int(session.scalar(new) or 0) + int(session.scalar(due) or 0)
    return total


def _unseen(session: Session, consumer: Consumer[C]) -> list[ColumnElement[bool]]:
    seen = exists().where(
        ConsumedEvent.consumer == consumer.name, ConsumedEvent.event_id == DomainEventRow.id
    )
    return [
        DomainEventRow.name.in_(sorted(consumer.events)),
        DomainEventRow.id > _watermark(session, consumer.name),
        ~seen,
    ]


def _due(name: str, now: datetime) -> list[ColumnElement[bool]]:
    return [
        ConsumedEvent.consumer == name,
        ConsumedEvent.status == ConsumerStatus.RETRY,
        ConsumedEvent.next_attempt_at <= now,
    ]


def _new_events(
    session: Session, consumer: Consumer[C], batch: int, *, skip_locked: bool
) -> list[DomainEvent]:
    query = (
        select(DomainEventRow)
        .where(*_unseen(session, consumer))
        .order_by(DomainEventRow.id)
        .limit(batch)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, key_share=True)
    return [_view(row) for row in session.scalars(query)]


def _due_retries(
    session: Session, name: str, now: datetime, batch: int, *, skip_locked: bool
) -> list[ConsumedEvent]:
    query = (
        select(ConsumedEvent)
        .where(*_due(name, now))
        .order_by(ConsumedEvent.event_id)
        .limit(batch)
        .with_for_update(skip_locked=skip_locked)
    )
    return list(session.scalars(query))


def _claim(session: Session, name: str, event_id: int, now: datetime) -> bool:
    """Insert the (consumer, event) row; False if another transaction has it already."""
    insert_ = _insert_for(session)
    inserted = session.execute(
        insert_(ConsumedEvent)
        .values(
            consumer=name,
            event_id=event_id,
            status=ConsumerStatus.APPLIED,
            attempts=0,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ConsumedEvent.id)
    )
    return inserted.first() is not None


def _apply(
    session: Session,
    consumer: Consumer[C],
    event: DomainEvent,
    context: C,
    now: datetime,
    backoff: Backoff,
    done: Pass,
    row: ConsumedEvent | None = None,
) -> None:
    """Run the handler under a savepoint; record applied, or the failed attempt."""
    try:
        with session.begin_nested():
            consumer.handle(session, event, context)
    except Exception as exc:  # noqa: BLE001 - recorded on the row, shown by bizbot events
        _failed(session, consumer.name, event.id, now, backoff, repr(exc), done)
        return
    if row is not None:
        row.status, row.next_attempt_at, row.last_error, row.updated_at = (
            ConsumerStatus.APPLIED, None, None, now,
        )  # fmt: skip
    done.applied += 1
    done.event_ids.append(event.id)


def _failed(
    session: Session,
    name: str,
    event_id: int,
    now: datetime,
    backoff: Backoff,
    error: str,
    done: Pass,
) -> None:
    row = session.scalars(
        select(ConsumedEvent)
        .where(ConsumedEvent.consumer == name, ConsumedEvent.event_id == event_id)
        .execution_options(populate_existing=True)
    ).one()
    row.attempts += 1
    row.last_error = error[:500]
    row.updated_at = now
    if row.attempts >= backoff.max_attempts:
        row.status, row.next_attempt_at = ConsumerStatus.PARKED, None
        done.parked += 1
    else:
        row.status, row.next_attempt_at = ConsumerStatus.RETRY, now + backoff.delay(row.attempts)
        done.failed += 1
    session.flush()


def _watermark(session: Session, name: str) -> int:
    return int(
        session.scalar(
            select(ConsumerPosition.settled_through).where(ConsumerPosition.consumer == name)
        )
        or 0
    )


def _raise_watermark(session: Session, consumer: Consumer[C], now: datetime) -> None:
    """Raise the watermark to below the oldest event without a row, and never past an event
    recorded less than ``SETTLE_LAG`` ago (one not yet visible may still commit below it)."""
    current = _watermark(session, consumer.name)
    oldest_open = session.scalar(
        select(func.min(DomainEventRow.id)).where(*_unseen(session, consumer))
    )
    settled = session.scalar(
        select(func.max(DomainEventRow.id)).where(
            DomainEventRow.name.in_(sorted(consumer.events)),
            DomainEventRow.id > current,
            DomainEventRow.occurred_at <= now - SETTLE_LAG,
        )
    )
    if settled is None:
        return
    target = int(settled) if oldest_open is None else min(int(settled), int(oldest_open) - 1)
    if target <= current:
        return  # nothing to write: a pass that moves nothing costs reads only
    session.execute(
        _insert_for(session)(ConsumerPosition)
        .values(consumer=consumer.name, settled_through=0)
        .on_conflict_do_nothing()
    )
    session.execute(
        update(ConsumerPosition)
        .where(
            and_(
                ConsumerPosition.consumer == consumer.name,
                ConsumerPosition.settled_through < target,  # only ever raised
            )
        )
        .values(settled_through=target)
    )


def _insert_for(session: Session) -> Callable[..., Any]:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _view(row: DomainEventRow) -> DomainEvent:
    return DomainEvent(
        row.id, row.name, row.source, row.source_id, dict(row.payload), row.occurred_at
    )

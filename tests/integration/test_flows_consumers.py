"""Durable consumers of domain events (domain/flows/consumers.py), on SQLite and PostgreSQL:
each event is applied once per consumer however often it is offered, failures are retried on
the clock's backoff and parked after the last attempt without holding up the other events,
``bizbot events`` shows and re-runs the parked ones, an event that becomes visible late below
events already applied is not skipped, and two runners on PostgreSQL share the work."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from domain.flows.consumers import SETTLE_LAG, Backoff, Consumer, Pass, consume, pending_count
from domain.flows.models import ConsumedEvent, ConsumerPosition, ConsumerStatus
from domain.shared.db import Database, open_database
from domain.shared.domain_events import DomainEvent, DomainEventRow, record_event
from tests.processes import bot_env, run_cli
from tests.support import create_pg_database, drop_pg_database

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WANTED = "test.happened"
EFFECT = "test.effect"
serial = itertools.count()
WIDE = {"COLUMNS": "220"}  # table rows on one line each


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = open_database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


def effect(session: Session, event: DomainEvent, _context: Any) -> None:
    """The consumer's effect: a new row every time it runs (so doubling would show)."""
    source_id = f"{event.id}:{next(serial)}"
    record_event(session, EFFECT, "test", source_id, {"of": event.id}, event.occurred_at)


def effects(session: Session) -> dict[int, int]:
    """How many times the effect ran, by the event it ran for."""
    rows = session.scalars(select(DomainEventRow).where(DomainEventRow.name == EFFECT))
    counts: dict[int, int] = {}
    for row in rows:
        counts[row.payload["of"]] = counts.get(row.payload["of"], 0) + 1
    return counts


def record(session: Session, *numbers: int) -> None:
    for n in numbers:
        record_event(session, WANTED, "test", str(n), {"n": n}, T0)


async def test_an_event_offered_ten_times_is_applied_once(db: Database) -> None:
    consumer = Consumer("once", frozenset({WANTED}), effect)
    await db.run(lambda s: record(s, *range(3)))
    passes = [await db.run(lambda s: consume(s, consumer, None, T0)) for _ in range(10)]
    assert [p.applied for p in passes] == [3] + [0] * 9
    # the same event offered again as if redelivered: its (consumer, event) row says it is done
    await db.run(lambda s: s.execute(delete(ConsumerPosition)))
    again = await db.run(lambda s: consume(s, consumer, None, T0 + timedelta(hours=1)))
    assert again.applied == 0
    counts = await db.run(effects)
    assert sorted(counts.values()) == [1, 1, 1]
    assert await db.run(lambda s: pending_count(s, [consumer], T0)) == 0
    # another consumer of the same events keeps its own position and applies them too
    other = Consumer("other", frozenset({WANTED}), effect)
    assert (await db.run(lambda s: consume(s, other, None, T0))).applied == 3


async def test_a_handler_failing_twice_is_retried_on_the_clock_then_applied_once(
    db: Database,
) -> None:
    tries: list[datetime] = []

    def flaky(session: Session, event: DomainEvent, now: datetime) -> None:
        effect(session, event, None)  # written, then undone with the failure
        tries.append(now)
        if len(tries) <= 2:
            raise RuntimeError("supplier system down")

    consumer = Consumer("flaky", frozenset({WANTED}), flaky)
    backoff = Backoff(max_attempts=5, first=timedelta(seconds=10))
    await db.run(lambda s: record(s, 1))

    async def at(seconds: int) -> Any:
        now = T0 + timedelta(seconds=seconds)
        return await db.run(lambda s: consume(s, consumer, now, now, backoff=backoff))

    assert (await at(0)).failed == 1
    assert (await at(9)).touched == 0  # not due yet: 10 s after the first failure
    assert (await at(10)).failed == 1  # second failure: next try 20 s later
    assert (await at(29)).touched == 0
    assert (await at(30)).applied == 1
    assert (await at(3600)).touched == 0
    assert [t - T0 for t in tries] == [timedelta(0), timedelta(seconds=10), timedelta(seconds=30)]
    assert list((await db.run(effects)).values()) == [1]  # the failed attempts left nothing


async def test_an_event_that_keeps_failing_is_parked_others_go_on_and_the_cli_retries_it(
    db: Database, db_url: str
) -> None:
    broken = {"n": 1}

    def picky(session: Session, event: DomainEvent, _context: Any) -> None:
        if event.payload["n"] == broken["n"]:
            raise ValueError("cannot apply this one")
        effect(session, event, None)

    consumer = Consumer("picky", frozenset({WANTED}), picky)
    backoff = Backoff(max_attempts=3, first=timedelta(seconds=1), longest=timedelta(seconds=4))
    await db.run(lambda s: record(s, *range(3)))

    async def at(seconds: int) -> Pass:
        now = T0 + timedelta(seconds=seconds)
        return await db.run(lambda s: consume(s, consumer, None, now, backoff=backoff))

    outcomes = [await at(second) for second in range(0, 60, 5)]
    assert outcomes[0].applied == 2 and outcomes[0].failed == 1  # the others did not wait
    assert sum(o.parked for o in outcomes) == 1
    assert sum(o.failed for o in outcomes) == 2  # attempts 1 and 2 retried, the third parked
    assert sorted((await db.run(effects)).values()) == [1, 1]

    env = bot_env(db_url) | WIDE
    listed = run_cli("events", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "picky" in listed.stdout and "parked" in listed.stdout
    assert "cannot apply this one" in listed.stdout
    row_id = await db.run(
        lambda s: s.scalar(select(ConsumedEvent.id).where(ConsumedEvent.status == "parked"))
    )
    broken["n"] = -1  # the operator fixed the cause
    retried = run_cli("events", "retry", str(row_id), env=env)
    assert retried.returncode == 0, retried.stderr
    assert "1 event(s) to retry" in retried.stdout
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert (await db.run(lambda s: consume(s, consumer, None, later, backoff=backoff))).applied == 1
    assert sorted((await db.run(effects)).values()) == [1, 1, 1]
    assert "no consumer has a failed event" in run_cli("events", "list", env=env).stdout


async def test_skip_gives_up_on_a_parked_event(db: Database, db_url: str) -> None:
    def failing(_s: Session, _e: DomainEvent, _c: Any) -> None:
        raise RuntimeError("no")

    consumer = Consumer("failing", frozenset({WANTED}), failing)
    await db.run(lambda s: record(s, 1))
    await db.run(lambda s: consume(s, consumer, None, T0, backoff=Backoff(max_attempts=1)))
    row_id = await db.run(lambda s: s.scalar(select(ConsumedEvent.id)))
    skipped = run_cli("events", "skip", str(row_id), env=bot_env(db_url))
    assert "1 event(s) skipped" in skipped.stdout
    status = await db.run(lambda s: s.scalar(select(ConsumedEvent.status)))
    assert status == ConsumerStatus.SKIPPED
    assert "skipped" in run_cli("events", "list", "--all", env=bot_env(db_url)).stdout


async def test_an_event_visible_late_below_applied_ones_is_not_skipped(db: Database) -> None:
    """On PostgreSQL id 3 may commit after id 5 was applied: the watermark stays below it."""
    consumer = Consumer("late", frozenset({WANTED}), effect)

    def recorded_with_id(session: Session, event_id: int, when: datetime) -> None:
        row = DomainEventRow(
            id=event_id, name=WANTED, source="test", source_id=str(event_id),
            payload={"n": event_id}, occurred_at=when,
        )  # fmt: skip
        session.add(row)

    await db.run(lambda s: recorded_with_id(s, 5, T0))
    assert (await db.run(lambda s: consume(s, consumer, None, T0))).applied == 1
    await db.run(lambda s: recorded_with_id(s, 3, T0))  # its transaction commits only now
    assert (await db.run(lambda s: consume(s, consumer, None, T0))).event_ids == [3]
    # once everything recorded before the lag is applied, the watermark moves past it
    await db.run(lambda s: consume(s, consumer, None, T0 + SETTLE_LAG))
    position = await db.run(lambda s: s.get_one(ConsumerPosition, "late").settled_through)
    assert position == 5
    assert sorted((await db.run(effects)).keys()) == [3, 5]


@pytest.mark.pg
async def test_two_runners_on_postgresql_apply_each_event_once(pg_template: str) -> None:
    url = await create_pg_database(template=pg_template)
    one, two = open_database(url, pool_size=2), open_database(url, pool_size=2)
    try:
        consumer = Consumer("shared", frozenset({WANTED}), effect)
        await one.run(lambda s: record(s, *range(60)))

        async def runner(db: Database) -> int:
            applied = 0
            while True:
                done = await db.run(
                    lambda s: consume(s, consumer, None, T0, skip_locked=True, batch=7)
                )
                applied += done.applied
                if not done.touched and not await db.run(
                    lambda s: pending_count(s, [consumer], T0)
                ):
                    return applied

        first, second = await asyncio.gather(runner(one), runner(two))
        assert first + second == 60
        counts = await one.run(effects)
        assert len(counts) == 60 and set(counts.values()) == {1}
        rows = await one.run(lambda s: s.scalar(select(func.count()).select_from(ConsumedEvent)))
        assert rows == 60
    finally:
        await one.dispose()
        await two.dispose()
        await drop_pg_database(url)

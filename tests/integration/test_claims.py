"""The pipeline's claim and record statements, directly on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

from adapters.memory.translate import say
from bot.events import Address
from bot.pipeline.delivery import Delivery, Outcome, claim_due, record_outcomes
from bot.pipeline.inbox import claim_pending, finish, finish_many, store_events
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.replies import Reply
from domain.directory.importer import import_org
from domain.directory.models import ChatIdentity, MemberRole
from domain.directory.services import find_member, resolve_sender
from domain.shared.clock import SystemClock
from domain.shared.db import Database, normalise_url, open_database
from tests.support import ORG_YAML, create_pg_database, drop_pg_database

NOW = SystemClock().now()
LEASE = timedelta(seconds=30)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """The test database with the test org, as the pipeline opens it."""
    database = open_database(db_url)
    await database.run(lambda s: import_org(s, ORG_YAML, NOW))
    try:
        yield database
    finally:
        await database.dispose()


def queue(session: Session, conversation: str, count: int, *, cause: int | None = None) -> None:
    writer = OutboxWriter(session, NOW, cause, timedelta(hours=1))
    for i in range(count):
        writer.send(
            Address("memory", conversation), Reply(f"{conversation} {i}"), recipient_id=None
        )


def claim(session: Session, claimer: str = "me") -> list[str]:
    deliveries = claim_due(
        session,
        channels=["memory"],
        now=NOW,
        limit=50,
        lease=LEASE,
        claimer=claimer,
        skip_locked=session.get_bind().dialect.name == "postgresql",
    )
    return [d.message.text for d in deliveries]  # type: ignore[union-attr]


async def test_the_relay_claims_the_first_open_message_of_each_conversation(db: Database) -> None:
    await db.run(lambda s: queue(s, "a", 3))
    await db.run(lambda s: queue(s, "b", 1))
    assert await db.run(claim) == ["a 0", "b 0"]
    assert await db.run(claim) == []  # "a 1" waits while "a 0" is being sent

    def sent(session: Session) -> None:
        ids = session.scalars(select(OutboxRow.id).where(OutboxRow.status == "sending"))
        record_outcomes(session, [Outcome(i, sent=True) for i in ids], NOW, "me")

    await db.run(sent)
    assert await db.run(claim) == ["a 1"]
    await db.run(sent)
    assert await db.run(claim) == ["a 2"]


async def test_outcomes_of_every_kind_are_recorded_for_this_claimer_only(db: Database) -> None:
    await db.run(lambda s: queue(s, "a", 1))
    await db.run(lambda s: queue(s, "b", 1))
    await db.run(lambda s: queue(s, "c", 1))
    await db.run(lambda s: queue(s, "d", 1))
    await db.run(lambda s: queue(s, "e", 1))
    await db.run(claim)
    rows = await db.run(lambda s: list(s.scalars(select(OutboxRow.id).order_by(OutboxRow.id))))
    later = NOW + timedelta(minutes=5)
    outcomes = [
        Outcome(rows[0], sent=True, platform_message_id="p0"),
        Outcome(rows[1], sent=False, error="flaky", retry_at=later),
        Outcome(rows[2], sent=False, error="gone"),
        Outcome(rows[3], sent=False, error="429", retry_at=later, count_attempt=False),
        Outcome(rows[4], sent=True, platform_message_id="p4", adopted_by=rows[2]),
    ]
    await db.run(lambda s: record_outcomes(s, outcomes[:1], NOW, "someone else"))
    status = await db.run(
        lambda s: s.scalar(select(OutboxRow.status).where(OutboxRow.id == rows[0]))
    )
    assert status == "sending"
    await db.run(lambda s: record_outcomes(s, outcomes, NOW, "me"))

    def states(session: Session) -> list[tuple[str, int, str | None, str | None, bool]]:
        found = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        return [
            (r.status, r.attempts, r.platform_message_id, r.last_error, r.claimed_by is None)
            for r in found
        ]

    assert await db.run(states) == [
        ("sent", 1, "p0", None, True),
        ("pending", 1, None, "flaky", True),
        ("dead", 1, "p4", "gone", True),  # adopted: the edit that replaced it was sent anew
        ("pending", 0, None, "429", True),
        ("sent", 1, "p4", None, True),
    ]


async def test_a_worker_claims_the_first_pending_event_of_each_conversation_then_their_queues(
    db: Database,
) -> None:
    events = [say("alice", f"/ping {i}", event_id=f"a{i}") for i in range(3)]
    events.append(say("bob", "/ping", event_id="b0"))
    dialect = db.dialect
    await db.run(lambda s: store_events(s, events, dialect, NOW))

    def take(limit: int) -> Callable[[Session], list[str]]:
        def work(session: Session) -> list[str]:
            claimed = claim_pending(
                session, limit=limit, skip_locked=dialect == "postgresql", now=NOW
            )
            return [c.event.event_id for c in claimed]

        return work

    # every conversation's first event comes before any queue; then a prefix of each queue
    assert await db.run(take(2)) == ["a0", "b0"]
    assert await db.run(take(3)) == ["a0", "a1", "b0"]
    assert await db.run(take(10)) == ["a0", "a1", "a2", "b0"]

    def done(session: Session, event_ids: list[str]) -> None:
        ids = session.scalars(select(InboxRow.id).where(InboxRow.event_id.in_(event_ids)))
        finish_many(session, list(ids), NOW)

    await db.run(lambda s: done(s, ["a0"]))
    assert await db.run(take(2)) == ["a1", "b0"]

    def failed(session: Session) -> None:
        row_id = session.scalar(select(InboxRow.id).where(InboxRow.event_id == "a1"))
        assert row_id is not None
        finish(session, row_id, NOW, failed=True, correlation_id="X", error="boom")

    await db.run(failed)
    assert await db.run(take(10)) == ["a2", "b0"]


@pytest.mark.pg
async def test_while_one_worker_holds_a_conversation_another_takes_none_of_its_events(
    pg_template: str,
) -> None:
    url = await create_pg_database(template=pg_template)
    engine = create_async_engine(normalise_url(url))
    try:
        events = [say("alice", f"/ping {i}", event_id=f"a{i}") for i in range(4)]
        events.append(say("bob", "/ping", event_id="b0"))
        async with engine.connect() as first, engine.connect() as second:
            await first.run_sync(lambda c: store_events(Session(c), events, "postgresql", NOW))
            await first.commit()
            held = await first.run_sync(
                lambda c: claim_pending(Session(c), limit=3, skip_locked=True, now=NOW)
            )
            assert [c.event.event_id for c in held] == ["a0", "a1", "b0"]
            other = await second.run_sync(
                lambda c: claim_pending(Session(c), limit=10, skip_locked=True, now=NOW)
            )
            assert other == []  # a2 and a3 wait behind rows the first worker holds
            await first.rollback()
            again = await second.run_sync(
                lambda c: claim_pending(Session(c), limit=10, skip_locked=True, now=NOW)
            )
            assert [c.event.event_id for c in again] == ["a0", "a1", "a2", "a3", "b0"]
    finally:
        await engine.dispose()
        await drop_pg_database(url)


async def test_duplicates_in_a_group_and_across_groups_are_stored_once(db: Database) -> None:
    dialect = db.dialect
    first = [say("alice", "/ping", event_id="e1"), say("alice", "/ping", event_id="e1")]
    accepted = await db.run(lambda s: store_events(s, first, dialect, NOW))
    assert [a.new for a in accepted] == [True, False]
    again = [say("alice", "/ping", event_id="e1"), say("alice", "/ping", event_id="e2")]
    accepted = await db.run(lambda s: store_events(s, again, dialect, NOW))
    assert [a.new for a in accepted] == [False, True]


async def test_senders_are_resolved_with_their_roles_and_exact_workspace_first(
    db: Database,
) -> None:
    def identities(session: Session) -> None:
        alice, bob = find_member(session, "alice"), find_member(session, "bob")
        assert alice is not None and bob is not None
        for member_id, workspace in ((alice.id, ""), (bob.id, "T1")):
            identity = ChatIdentity(
                member_id=member_id,
                channel="chat",
                workspace=workspace,
                platform_user_id="U1",
                created_at=NOW,
            )
            session.add(identity)

    await db.run(identities)

    def who(session: Session, workspace: str) -> tuple[str, tuple[str, ...], str] | None:
        member = resolve_sender(session, "chat", workspace, "U1", by_handle=False)
        return (member.handle, member.roles, member.locale) if member else None

    assert await db.run(lambda s: who(s, "T1")) == ("bob", ("sales",), "zh_CN")
    assert await db.run(lambda s: who(s, "T2")) == ("alice", ("admin", "manager"), "en")
    assert await db.run(lambda s: resolve_sender(s, "chat", "", "U9", by_handle=False)) is None

    def carol_with_a_new_role(session: Session) -> tuple[str, ...]:
        carol = find_member(session, "carol")
        assert carol is not None
        session.add(MemberRole(member_id=carol.id, role="hr"))  # not flushed yet
        member = resolve_sender(session, "memory", "", "@Carol", by_handle=True)
        assert member is not None
        return member.roles

    assert await db.run(carol_with_a_new_role) == ("hr", "manager", "sales")


def interleaved(session: Session, counts: dict[str, int]) -> None:
    """Queue ``counts[c]`` messages "c 0", "c 1", ... per conversation, written in turns."""
    writer = OutboxWriter(session, NOW, None, timedelta(hours=1))
    for i in range(max(counts.values())):
        for conversation, count in counts.items():
            if i < count:
                address = Address("memory", conversation)
                writer.send(address, Reply(f"{conversation} {i}"), recipient_id=None)


def claim_after(session: Session, turn: str, limit: int, claimer: str = "me") -> list[Delivery]:
    return claim_due(
        session,
        channels=["memory"],
        now=NOW,
        limit=limit,
        lease=LEASE,
        claimer=claimer,
        skip_locked=session.get_bind().dialect.name == "postgresql",
        after=turn,
    )


def sent_all(session: Session, deliveries: list[Delivery], claimer: str = "me") -> None:
    outcomes = [Outcome(d.id, sent=True) for d in deliveries]
    record_outcomes(session, outcomes, NOW, claimer)


def text_of(delivery: Delivery) -> str:
    assert isinstance(delivery.message, Reply)
    return delivery.message.text


async def test_a_long_queue_goes_out_in_order_and_once_and_the_others_get_their_turn(
    db: Database,
) -> None:
    counts = {"a": 40, "b": 3, "c": 1}
    await db.run(lambda s: interleaved(s, counts))
    claims: list[list[str]] = []
    turn = ""
    while deliveries := await db.run(partial(claim_after, turn=turn, limit=2)):
        keys = [d.address.key for d in deliveries]
        assert len(set(keys)) == len(keys)  # one message of a conversation at a time
        claims.append([text_of(d) for d in deliveries])
        turn = keys[-1]
        await db.run(lambda s: sent_all(s, deliveries))

    assert claims[:3] == [["a 0", "b 0"], ["c 0", "a 1"], ["b 1", "a 2"]]
    delivered = [text for claim in claims for text in claim]
    for conversation, count in counts.items():
        mine = [t for t in delivered if t.startswith(f"{conversation} ")]
        assert mine == [f"{conversation} {i}" for i in range(count)]  # in order, each once
    assert len(delivered) == sum(counts.values())


@pytest.mark.pg
async def test_claims_on_postgresql_take_the_conversations_in_turn_after_the_last_one(
    pg_template: str,
) -> None:
    url = await create_pg_database(template=pg_template)
    database = open_database(url)
    try:
        await database.run(lambda s: interleaved(s, {"a": 2, "b": 2, "c": 2}))
        after_b = Address("memory", "b").key
        deliveries = await database.run(lambda s: claim_after(s, after_b, limit=3))
        assert [text_of(d) for d in deliveries] == ["c 0", "a 0", "b 0"]
    finally:
        await database.dispose()
        await drop_pg_database(url)


@pytest.mark.pg
async def test_a_second_claimer_skips_the_queues_whose_heads_another_holds(
    pg_template: str,
) -> None:
    url = await create_pg_database(template=pg_template)
    engine = create_async_engine(normalise_url(url))
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.run_sync(lambda c: interleaved(Session(c), {"a": 3, "b": 3, "c": 3}))
            await first.commit()
            held = await first.run_sync(lambda c: claim_after(Session(c), "", 2, "first"))
            assert [text_of(d) for d in held] == ["a 0", "b 0"]
            other = await second.run_sync(lambda c: claim_after(Session(c), "", 9, "second"))
            assert [text_of(d) for d in other] == ["c 0"]  # not a 1 or b 1: a 0, b 0 are held
            await second.commit()
            await first.commit()
            again = await second.run_sync(lambda c: claim_after(Session(c), "", 9, "second"))
            assert again == []  # a 0 and b 0 are being sent, c 0 too
    finally:
        await engine.dispose()
        await drop_pg_database(url)


@pytest.mark.pg
async def test_two_claimers_racing_send_every_message_once_in_order(pg_template: str) -> None:
    url = await create_pg_database(template=pg_template)
    claimers = [open_database(url), open_database(url)]
    counts = {f"c{n}": 12 for n in range(6)}
    delivered: dict[str, list[tuple[str, str]]] = defaultdict(list)

    async def relay(database: Database, name: str) -> None:
        turn = ""
        claim = partial(claim_after, limit=3, claimer=name)
        while deliveries := await database.run(partial(claim, turn=turn)):
            turn = deliveries[-1].address.key
            for delivery in deliveries:
                delivered[delivery.address.conversation].append((text_of(delivery), name))
                await asyncio.sleep(0)  # the other claimer runs meanwhile
            await database.run(lambda s: sent_all(s, deliveries, name))

    try:
        await claimers[0].run(lambda s: interleaved(s, counts))
        await asyncio.gather(relay(claimers[0], "one"), relay(claimers[1], "two"))
        left = await claimers[0].run(lambda s: claim_after(s, "", 100, "three"))
    finally:
        for database in claimers:
            await database.dispose()
        await drop_pg_database(url)

    assert left == []
    for conversation, count in counts.items():
        texts = [t for t, _ in delivered[conversation]]
        assert texts == [f"{conversation} {i}" for i in range(count)]

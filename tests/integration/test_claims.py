"""The pipeline's claim and record statements, directly on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

from adapters.memory.translate import say
from bot.events import Address
from bot.pipeline.inbox import claim_pending, finish, finish_many, store_events
from bot.pipeline.outbox import OutboxWriter, Outcome, claim_due, record_outcomes
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

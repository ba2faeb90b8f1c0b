"""One failing event undoes only its own changes, whether or not it wrote before failing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from adapters.memory.translate import say
from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.context import CommandContext
from bot.logging import get_logger, hold_logs
from bot.pipeline.inbox import store_events
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.replies import Message, Reply
from bot.router import CommandSpec, NoArgs
from domain.directory.importer import import_org
from domain.directory.models import Member
from domain.directory.services import find_member, set_locale
from domain.shared.clock import SystemClock
from domain.shared.errors import Conflict
from tests.support import ORG_YAML

NOW = SystemClock().now()
log = get_logger("bizbot.test")


def write_then_refuse(ctx: CommandContext, _args: NoArgs) -> Message:
    set_locale(ctx.session, ctx.actor.id, "en", ctx.now)
    raise Conflict("Changed my mind.")


def write_then_crash(ctx: CommandContext, _args: NoArgs) -> Message:
    set_locale(ctx.session, ctx.actor.id, "en", ctx.now)
    raise RuntimeError("kaput")


def write_what_the_driver_refuses(ctx: CommandContext, _args: NoArgs) -> Message:
    """A flush the driver refuses: SQLite's sqlite3 raises a plain OverflowError (not a
    database error), PostgreSQL's asyncpg a DataError."""
    set_locale(ctx.session, ctx.actor.id, "en", ctx.now)
    ctx.session.get_one(Member, ctx.actor.id).department_id = 10**30
    ctx.session.flush()
    return Reply("never")


def refuse(ctx: CommandContext, _args: NoArgs) -> Message:
    raise Conflict("Not today.")


def note(ctx: CommandContext, _args: NoArgs) -> Message:
    log.warning("test.noted", member=ctx.actor.handle)
    return Reply(f"noted {ctx.correlation_id}")


def switch_to_english(ctx: CommandContext, _args: NoArgs) -> Message:
    set_locale(ctx.session, ctx.actor.id, "en", ctx.now)
    return Reply("done")


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A pipeline whose worker is driven by hand, one batch at a time (nothing started)."""
    rt = build_runtime(settings, [MemoryClient("memory")])
    for name, handler in (
        ("writerefuse", write_then_refuse),
        ("writecrash", write_then_crash),
        ("flushcrash", write_what_the_driver_refuses),
        ("refuse", refuse),
        ("english", switch_to_english),
        ("jot", note),
    ):
        rt.router.add(CommandSpec(name=name, summary="test", handler=handler))
    await rt.db.run(lambda s: import_org(s, ORG_YAML, NOW))
    try:
        yield rt
    finally:
        await rt.db.dispose()


async def one_batch(rt: Runtime, commands: list[tuple[str, str]]) -> list[str]:
    events = [say(handle, text, event_id=f"{handle}-{text}") for handle, text in commands]
    dialect = rt.db.dialect
    await rt.db.run(lambda s: store_events(s, events, dialect, NOW))
    handled = await rt.workers.run_once()
    assert len(handled) == len(commands)
    return [h.outcome for h in handled]


def state(session: Session) -> tuple[str, list[str], list[str]]:
    bob = find_member(session, "bob")
    assert bob is not None
    inbox = list(session.scalars(select(InboxRow.status).order_by(InboxRow.id)))
    replies = [
        payload.get("text", payload.get("title", ""))
        for payload in session.scalars(select(OutboxRow.payload).order_by(OutboxRow.id))
    ]
    return bob.locale, inbox, replies


@pytest.mark.parametrize(
    ("command", "outcome", "status"),
    [
        ("/writerefuse", "refused", "done"),
        ("/writecrash", "error", "failed"),
        ("/flushcrash", "error", "failed"),  # once, this failed the whole batch, again and again
    ],
)
async def test_an_event_that_fails_after_writing_is_undone_alone(
    runtime: Runtime, command: str, outcome: str, status: str
) -> None:
    outcomes = await one_batch(
        runtime, [("alice", "/ping"), ("bob", command), ("carol", "/english")]
    )
    assert outcomes == ["ok", outcome, "ok"]
    locale, inbox, replies = await runtime.db.run(state)
    assert locale == "zh_CN"  # bob's change was undone
    assert inbox == ["done", status, "done"]
    assert len(replies) == 3  # one answer each: the earlier events took effect once
    assert replies[0] == "pong" and replies[2] == "done"
    expected = "Changed my mind." if outcome == "refused" else "问题编号"  # the crash reference
    assert expected in replies[1]
    carol = await runtime.db.run(lambda s: find_member(s, "carol"))
    assert carol is not None and carol.locale == "en"


async def test_an_event_that_fails_before_writing_is_answered_in_the_same_batch(
    runtime: Runtime,
) -> None:
    outcomes = await one_batch(runtime, [("alice", "/english"), ("bob", "/refuse")])
    assert outcomes == ["ok", "refused"]
    _locale, inbox, replies = await runtime.db.run(state)
    assert inbox == ["done", "done"]
    assert replies == ["done", "Not today."]


async def test_a_batch_run_again_logs_each_event_once_under_the_id_its_member_sees(
    runtime: Runtime,
) -> None:
    processors = [structlog.contextvars.merge_contextvars, hold_logs]  # as configure_logging
    with structlog.testing.capture_logs(processors=processors) as logs:
        outcomes = await one_batch(
            runtime, [("alice", "/jot"), ("bob", "/writecrash"), ("carol", "/jot")]
        )
    assert outcomes == ["ok", "error", "ok"]  # bob's crash after writing: the batch ran again
    _locale, _inbox, replies = await runtime.db.run(state)
    noted = [e for e in logs if e["event"] == "test.noted"]
    assert [e["member"] for e in noted] == ["alice", "carol"]  # alice's first run: not logged
    assert [f"noted {e['correlation_id']}" for e in noted] == [replies[0], replies[2]]
    [crash] = [e for e in logs if e["event"] == "event.crashed"]
    assert replies[1].endswith(crash["correlation_id"])

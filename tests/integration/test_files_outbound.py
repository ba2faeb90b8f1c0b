"""Files sent with messages: stored with the outbox row, delivered once, bytes intact (memory)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from bot.app import build_runtime
from bot.config import Settings
from bot.events import Address
from bot.pipeline.admin import prune
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import FileRow, OutboxRow
from bot.replies import Card, Reply
from domain.shared.clock import SystemClock

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40  # every byte value, so nothing is re-encoded
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ALICE = Address("memory", "alice")


def queue(message: Reply | Card, address: Address = ALICE) -> Any:
    """What a command does: queue a message in its transaction (committed by ``db.run``)."""

    def write(session: Session) -> int:
        writer = OutboxWriter(session, SystemClock().now(), None, timedelta(hours=1))
        return writer.send(address, message, recipient_id=None)

    return write


async def test_a_file_is_stored_with_its_message_and_delivered_with_its_bytes(
    settings: Settings,
) -> None:
    memory = MemoryClient()
    runtime = build_runtime(settings, [memory])
    await runtime.start()
    try:
        message = Reply("Your statement").with_file("statement.pdf", "application/pdf", PDF)
        await runtime.db.run(queue(message))
        runtime.relay.wake()
        await runtime.settle()
        posted = memory.last("alice").message
        assert posted.text == "Your statement"  # type: ignore[union-attr]
        (file,) = posted.attachments
        assert (file.name, file.content_type, file.data, file.size) == (
            "statement.pdf",
            "application/pdf",
            PDF,
            len(PDF),
        )
        payload, stored = await runtime.db.run(
            lambda s: (
                s.scalars(select(OutboxRow.payload)).one(),
                s.scalars(select(FileRow)).one(),
            )
        )
        assert payload["files"] == [
            {"id": stored.id, "name": "statement.pdf", "type": "application/pdf", "size": len(PDF)}
        ]
        assert "data" not in str(payload)  # the bytes live in the files table only
        assert (stored.conversation_key, stored.direction, bytes(stored.data)) == (
            ALICE.key,
            "out",
            PDF,
        )
    finally:
        await runtime.stop()
        await runtime.db.dispose()


async def test_a_card_carries_an_image_and_a_file_in_order(settings: Settings) -> None:
    memory = MemoryClient()
    runtime = build_runtime(settings, [memory])
    await runtime.start()
    try:
        card = (
            Card("Income statement")
            .with_file("chart.png", "image/png", PNG)
            .with_file("pl.pdf", "application/pdf", PDF)
        )
        await runtime.db.run(queue(card))
        runtime.relay.wake()
        await runtime.settle()
        files = memory.last("alice").message.attachments
        assert [(f.name, f.is_image, f.data) for f in files] == [
            ("chart.png", True, PNG),
            ("pl.pdf", False, PDF),
        ]
    finally:
        await runtime.stop()
        await runtime.db.dispose()


async def test_crash_between_commit_and_send_delivers_the_file_once_after_restart(
    settings: Settings,
) -> None:
    """The message and its bytes are committed together; the process dies before sending."""
    first = build_runtime(settings, [MemoryClient()])  # never started: it "crashed"
    await first.db.run(queue(Reply("Invoice").with_file("inv.pdf", "application/pdf", PDF)))
    await first.db.dispose()

    memory = MemoryClient()
    restarted = build_runtime(settings, [memory])
    await restarted.start()
    try:
        await restarted.settle()
        assert [c for c, _ in memory.calls] == ["send"]
        assert memory.last("alice").message.attachments[0].data == PDF
        restarted.relay.wake()
        await restarted.settle()
        assert len(memory.calls) == 1  # sent once, and never again
    finally:
        await restarted.stop()
        await restarted.db.dispose()


async def test_a_failed_send_is_retried_with_the_same_bytes(settings: Settings) -> None:
    memory = MemoryClient()
    memory.failures.append(ConnectionError("network down"))
    runtime = build_runtime(settings, [memory])
    await runtime.start()
    try:
        await runtime.db.run(queue(Reply("x").with_file("a.png", "image/png", PNG)))
        runtime.relay.wake()
        await runtime.settle()
        status, attempts = await runtime.db.run(
            lambda s: s.execute(select(OutboxRow.status, OutboxRow.attempts)).one()
        )
        assert (status, attempts) == ("sent", 2)  # failed once, then sent
        assert [c for c, _ in memory.calls] == ["send"]
        assert memory.last("alice").message.attachments[0].data == PNG
    finally:
        await runtime.stop()
        await runtime.db.dispose()


async def test_a_message_whose_file_is_gone_is_dead_lettered(settings: Settings) -> None:
    memory = MemoryClient()
    runtime = build_runtime(settings, [memory])
    await runtime.db.run(queue(Reply("x").with_file("a.png", "image/png", PNG)))
    await runtime.db.run(lambda s: s.query(FileRow).delete())
    await runtime.start()
    try:
        await runtime.settle()
        status, error = await runtime.db.run(
            lambda s: s.execute(select(OutboxRow.status, OutboxRow.last_error)).one()
        )
        assert status == "dead" and "no longer stored" in (error or "")
        assert memory.calls == []
    finally:
        await runtime.stop()
        await runtime.db.dispose()


async def test_text_only_messages_never_touch_the_files_table(settings: Settings) -> None:
    """The hot path: a message without files costs no extra query."""
    memory = MemoryClient()
    runtime = build_runtime(settings, [memory])
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = Engine  # every engine: the async ones run on a sync engine underneath
    event.listen(engine, "before_cursor_execute", seen)
    await runtime.start()
    try:
        await runtime.db.run(queue(Reply("hello")))
        runtime.relay.wake()
        await runtime.settle()
        assert memory.last("alice").text == "hello"
        assert statements and not [s for s in statements if " files" in s]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        await runtime.stop()
        await runtime.db.dispose()


@pytest.mark.parametrize("name", ["", "a/b.pdf", "..\\x.pdf"])
def test_a_file_needs_a_plain_name_and_bytes(name: str) -> None:
    with pytest.raises(ValueError, match="file name"):
        Reply("x").with_file(name, "application/pdf", PDF)
    with pytest.raises(ValueError, match="some bytes"):
        Reply("x").with_file("ok.pdf", "application/pdf", b"")


async def test_old_files_are_pruned_with_the_history(settings: Settings) -> None:
    memory = MemoryClient()
    runtime = build_runtime(settings, [memory])
    await runtime.start()
    try:
        await runtime.db.run(queue(Reply("x").with_file("a.pdf", "application/pdf", PDF)))
        runtime.relay.wake()
        await runtime.settle()
        later = SystemClock().now() + timedelta(days=31)
        cutoff = later - timedelta(days=30)
        await runtime.db.run(lambda s: prune(s, cutoff, cutoff))
        assert await runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []
    finally:
        await runtime.stop()
        await runtime.db.dispose()

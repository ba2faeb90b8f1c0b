"""Files to Telegram through PTB's Bot (sendPhoto, sendDocument) against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.telegram.client import TelegramClient, Timeouts
from bot.config import Settings
from bot.events import Address
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import FileRow, InboxRow, OutboxRow
from bot.ports import DeliveryError
from bot.replies import Button, Card, Message, Reply
from tests.fake_telegram import BAD_GATEWAY, FakeBotApi
from tests.telegram_harness import ALICE, TelegramHarness, running_telegram
from tests.telegram_updates import file_update

TO_ALICE = Address("telegram", str(ALICE))
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x03" * 200
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x05" * 300


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def client(fake: FakeBotApi) -> AsyncIterator[TelegramClient]:
    api = TelegramClient(fake.token, fake.url, timeouts=Timeouts(read=2))
    yield api
    await api.close()


def stored(message: Message) -> Message:
    """As the relay hands it over: files stored (ids) with their bytes loaded."""
    return replace(
        message, attachments=tuple(f.stored(i + 1) for i, f in enumerate(message.attachments))
    )


async def test_a_text_with_one_file_is_one_document_with_a_caption(
    client: TelegramClient, fake: FakeBotApi
) -> None:
    message = Reply("Invoice INV-7 is due").with_file("INV-7.pdf", "application/pdf", PDF)
    ref = await client.send(TO_ALICE, stored(message), {})
    [document] = fake.documents
    assert (document.kind, document.name, document.data, document.caption) == (
        "document",
        "INV-7.pdf",
        PDF,
        "Invoice INV-7 is due",
    )
    assert ref == f"{ALICE}:{document.message_id}"
    assert fake.calls_to("sendMessage") == []  # one post: nothing to send twice on a retry


async def test_a_card_then_a_photo_and_a_document(client: TelegramClient, fake: FakeBotApi) -> None:
    card = (
        Card("Income statement", buttons=(Button("Open", token="tok_0123456789"),))
        .with_file("chart.png", "image/png", PNG)
        .with_file("pl.pdf", "application/pdf", PDF)
    )
    ref = await client.send(TO_ALICE, stored(card), {})
    [card_call] = fake.calls_to("sendMessage")
    assert "Income statement" in card_call.params["text"]
    assert [(d.kind, d.name, d.data) for d in fake.documents] == [
        ("photo", "chart.png", PNG),
        ("document", "pl.pdf", PDF),
    ]
    assert ref.endswith(":1")  # the card's id: its buttons edit it later


async def test_a_failed_upload_raises_for_the_relay_to_retry(
    client: TelegramClient, fake: FakeBotApi
) -> None:
    fake.fail("sendDocument", BAD_GATEWAY)
    message = Reply("x").with_file("a.pdf", "application/pdf", PDF)
    with pytest.raises(DeliveryError):
        await client.send(TO_ALICE, stored(message), {})
    assert fake.documents == []


@pytest.fixture
async def tg(settings: Settings, fake: FakeBotApi) -> AsyncIterator[TelegramHarness]:
    async with running_telegram(settings, fake) as harness:
        yield harness


async def test_through_the_outbox_a_file_reaches_telegram_once_after_a_5xx(
    tg: TelegramHarness,
) -> None:
    tg.fake.fail("sendDocument", BAD_GATEWAY)
    now = tg.runtime.clock.now()

    def write(session: Session) -> None:
        message = Reply("Statement").with_file("statement.pdf", "application/pdf", PDF)
        OutboxWriter(session, now, None, timedelta(hours=1)).send(
            TO_ALICE, message, recipient_id=None
        )

    await tg.runtime.db.run(write)
    tg.runtime.relay.wake()
    await tg.settle()
    assert [(d.name, d.data) for d in tg.fake.documents] == [("statement.pdf", PDF)]
    status, attempts = await tg.runtime.db.run(
        lambda s: s.execute(select(OutboxRow.status, OutboxRow.attempts)).one()
    )
    assert (status, attempts) == ("sent", 2)


async def test_a_photo_a_member_sends_is_downloaded_checked_and_kept(tg: TelegramHarness) -> None:
    tg.fake.member_files["ph1"] = JPEG
    update = file_update(1, ALICE, file_id="ph1", photo=True, size=len(JPEG), caption="taxi")
    assert await tg.post(update) == 200
    await tg.settle()
    row = await tg.runtime.db.run(lambda s: s.scalars(select(FileRow)).one())
    assert (row.content_type, bytes(row.data), row.direction) == ("image/jpeg", JPEG, "in")
    payload = await tg.runtime.db.run(lambda s: s.scalars(select(InboxRow.payload)).one())
    assert payload["text"] == "taxi"
    assert payload["files"][0]["id"] == row.id


async def test_a_program_sent_as_a_document_is_refused_in_the_members_language(
    tg: TelegramHarness,
) -> None:
    tg.fake.member_files["doc1"] = b"\x7fELF" + b"\x00" * 60
    update = file_update(1, ALICE, file_id="doc1", name="收据.pdf", size=64, language="zh-hans")
    await tg.post(update)
    await tg.settle()
    assert await tg.runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []
    (text,) = tg.fake.texts_to(ALICE)
    assert "收据.pdf" in text


async def test_a_file_over_the_limit_is_refused_without_downloading(tg: TelegramHarness) -> None:
    update = file_update(1, ALICE, file_id="big", name="scan.pdf", size=11 * 1024 * 1024)
    await tg.post(update)
    await tg.settle()
    assert tg.fake.calls_to("getFile") == []
    (text,) = tg.fake.texts_to(ALICE)
    assert "scan.pdf" in text and "10 MB" in text


async def test_a_strangers_photo_is_never_kept(tg: TelegramHarness) -> None:
    tg.fake.member_files["ph9"] = JPEG
    await tg.post(file_update(1, 4242, file_id="ph9", photo=True, size=len(JPEG)))
    await tg.settle()
    assert await tg.runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []
    payload = await tg.runtime.db.run(lambda s: s.scalars(select(InboxRow.payload)).one())
    assert payload["files"][0]["refused"] == "stranger"

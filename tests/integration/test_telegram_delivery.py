"""Delivery to Telegram through the outbox: 429s wait, permanent errors dead-letter, edits hold."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.client import TelegramClient, Timeouts
from bot.config import Settings
from bot.events import Address
from bot.pipeline.tables import OutboxStatus
from bot.replies import Button, Card, Reply
from tests.fake_telegram import (
    BAD_GATEWAY,
    BLOCKED,
    CHAT_NOT_FOUND,
    DEACTIVATED,
    FakeBotApi,
    Fault,
    too_many_requests,
)
from tests.telegram_harness import ALICE, BOB, TelegramHarness, running_telegram
from tests.telegram_updates import message_update

TO_ALICE = Address("telegram", str(ALICE))


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def tg(settings: Settings, fake: FakeBotApi) -> AsyncIterator[TelegramHarness]:
    async with running_telegram(settings, fake) as harness:
        yield harness


@pytest.fixture
async def client(fake: FakeBotApi) -> AsyncIterator[TelegramClient]:
    api = TelegramClient(fake.token, fake.url, timeouts=Timeouts(read=0.5))
    yield api
    await api.close()


async def test_a_429_waits_retry_after_and_loses_nothing(tg: TelegramHarness) -> None:
    tg.fake.fail("sendMessage", too_many_requests(1), chat_id=ALICE)
    await tg.post(message_update(1, ALICE, "/ping"))
    await tg.post(message_update(2, BOB, "/ping"))
    await tg.settle()
    to_alice = [c for c in tg.fake.calls_to("sendMessage") if c.params["chat_id"] == ALICE]
    refused, accepted = to_alice
    assert accepted.at - refused.at >= 1.0
    assert tg.fake.texts_to(ALICE) == ["pong", "pong"]  # the refused one, then the retry
    assert [m.text for m in tg.fake.messages.values() if m.chat_id == ALICE] == ["pong"]
    rows = {row.conversation: row for row in await tg.outbox()}
    assert rows[str(ALICE)].status == OutboxStatus.SENT and rows[str(ALICE)].attempts == 1
    assert rows[str(BOB)].status == OutboxStatus.SENT  # another chat was not held up


@pytest.mark.parametrize(
    "fault", [BLOCKED, CHAT_NOT_FOUND, DEACTIVATED], ids=["blocked", "chat-gone", "deactivated"]
)
async def test_permanent_errors_dead_letter_at_once(tg: TelegramHarness, fault: Fault) -> None:
    tg.fake.fail("sendMessage", fault, chat_id=ALICE)
    await tg.post(message_update(1, ALICE, "/ping"))
    await tg.settle()
    [row] = await tg.outbox()
    assert row.status == OutboxStatus.DEAD and row.attempts == 1
    assert fault.description.split(": ", 1)[1] in (row.last_error or "").lower()
    assert len(tg.fake.calls_to("sendMessage")) == 1


async def test_server_errors_are_retried_until_sent(tg: TelegramHarness) -> None:
    tg.fake.fail("sendMessage", BAD_GATEWAY)
    await tg.post(message_update(1, ALICE, "/ping"))
    await tg.settle()
    [row] = await tg.outbox()
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    assert "Bad Gateway" in (row.last_error or "")
    assert len(tg.fake.messages) == 1


async def test_a_timed_out_send_is_retried(client: TelegramClient, fake: FakeBotApi) -> None:
    fake.fail("sendMessage", Fault(status=None, delay=1.5))
    with pytest.raises(Exception, match="TimedOut") as raised:
        await client.send(TO_ALICE, Reply("hello"), {})
    assert type(raised.value).__name__ == "DeliveryError"
    message_id = await client.send(TO_ALICE, Reply("hello"), {})
    assert message_id.startswith(f"{ALICE}:")


async def test_message_is_not_modified_is_not_an_error(
    client: TelegramClient, fake: FakeBotApi
) -> None:
    card = Card(title="Approve?", buttons=(Button("Yes", token="tok-yes"),))
    message_id = await client.send(TO_ALICE, card, {})
    outcome = Card(title="Approved")
    await client.edit(TO_ALICE, message_id, outcome, {})
    await client.edit(TO_ALICE, message_id, outcome, {})
    chat_id, number = (int(part) for part in message_id.split(":"))
    stored = fake.messages[(chat_id, number)]
    assert stored.text == "<b>Approved</b>" and stored.reply_markup is None and stored.edits == 1
    assert len(fake.calls_to("editMessageText")) == 2


async def test_editing_a_deleted_message_sends_the_outcome_anew(
    client: TelegramClient, fake: FakeBotApi
) -> None:
    await client.edit(TO_ALICE, f"{ALICE}:999", Reply("Approved"), {})
    assert fake.texts_to(ALICE) == ["Approved"]


async def test_callback_data_and_markup_pass_telegrams_own_checks(
    client: TelegramClient, fake: FakeBotApi
) -> None:
    card = Card(
        title="<script> & co",
        body="x < y",
        buttons=(Button("OK", token="a" * 22), Button("Too long", token="é" * 40)),
    )
    await client.send(TO_ALICE, card, {})
    [sent] = fake.calls_to("sendMessage")
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "OK", "callback_data": "a" * 22}


async def test_answering_a_callback_never_raises(client: TelegramClient, fake: FakeBotApi) -> None:
    fake.fail("answerCallbackQuery", Fault(400, "Bad Request: query is too old"))
    assert await client.answer_callback("old") is False
    assert await client.answer_callback("new") is True

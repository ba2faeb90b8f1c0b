"""Telegram's webhook end to end: PTB's Bot talks to the fake Bot API.

What every platform does is tested in test_platform_contract.py; here is what only Telegram
does. ``tg`` runs on SQLite and PostgreSQL, ``sqlite_tg`` (rendering, languages) on SQLite only.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.telegram.routes import Webhook
from bot.config import Settings
from bot.pipeline.tables import InboxRow, OutboxRow
from tests.fake_telegram import BOT_ID, FakeBotApi
from tests.telegram_harness import (
    ALICE,
    GROUP,
    SECRET,
    STRANGER,
    TelegramHarness,
    running_telegram,
)
from tests.telegram_updates import callback_update, message_update


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
async def sqlite_tg(sqlite_settings: Settings, fake: FakeBotApi) -> AsyncIterator[TelegramHarness]:
    """The same, on SQLite only: for what the database plays no part in."""
    async with running_telegram(sqlite_settings, fake) as harness:
        yield harness


def keyboard_of(fake: FakeBotApi, chat_id: int) -> tuple[int, list[str]]:
    """The newest message to a chat that has buttons: its id and its callback_data."""
    stored = [m for m in fake.messages.values() if m.chat_id == chat_id and m.reply_markup]
    newest = stored[-1]
    markup = newest.reply_markup or {}
    data = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    return newest.message_id, data


async def test_bodies_that_are_not_updates_get_400_and_nothing_is_written(
    tg: TelegramHarness,
) -> None:
    async with tg.http.post(
        "/telegram/webhook",
        data=b"{not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    ) as response:
        assert response.status == 400
    assert await tg.post({"message": {"text": "/whoami"}}) == 400
    assert await tg.count(InboxRow) == 0


async def test_shuffled_duplicated_updates_over_40_connections_give_100_effects(
    tg: TelegramHarness,
) -> None:
    updates = [message_update(500 + i, ALICE, "/ping") for i in range(100)] * 2
    random.Random(3).shuffle(updates)
    connections = asyncio.Semaphore(40)

    async def deliver(update: dict[str, object]) -> int:
        async with connections:
            return await tg.post(update)

    statuses = await asyncio.gather(*(deliver(u) for u in updates))
    await tg.settle()
    assert statuses == [200] * 200
    assert await tg.count(InboxRow) == 100
    assert await tg.count(OutboxRow) == 100
    assert tg.fake.texts_to(ALICE) == ["pong"] * 100


async def test_whoami_from_a_bound_member_is_answered_with_their_card(
    sqlite_tg: TelegramHarness,
) -> None:
    assert await sqlite_tg.post(message_update(1, ALICE, "/whoami")) == 200
    await sqlite_tg.settle()
    [sent] = sqlite_tg.fake.calls_to("sendMessage")
    assert sent.params["chat_id"] == ALICE and sent.params["parse_mode"] == "HTML"
    assert sent.params["text"].startswith("<b>Alice Admin</b>")
    assert "<b>Handle:</b> @alice" in sent.params["text"]
    assert "telegram:1001" in sent.params["text"]


async def test_help_button_edits_the_same_message_into_the_other_language(
    sqlite_tg: TelegramHarness,
) -> None:
    await sqlite_tg.post(message_update(1, ALICE, "/help"))
    await sqlite_tg.settle()
    message_id, [token] = keyboard_of(sqlite_tg.fake, ALICE)
    await sqlite_tg.post(callback_update(2, ALICE, token, chat_id=ALICE, message_id=message_id))
    await sqlite_tg.settle()
    assert [
        c.params["callback_query_id"] for c in sqlite_tg.fake.calls_to("answerCallbackQuery")
    ] == ["cq2"]
    [edit] = sqlite_tg.fake.calls_to("editMessageText")
    assert (edit.params["chat_id"], edit.params["message_id"]) == (ALICE, message_id)
    assert edit.params["text"].startswith("<b>我能为你做什么</b>")
    assert edit.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "English"
    assert len(sqlite_tg.fake.calls_to("sendMessage")) == 1


async def test_every_callback_is_answered_refused_and_stale_ones_included(
    tg: TelegramHarness,
) -> None:
    await tg.post(message_update(1, ALICE, "/lang"))
    await tg.settle()
    message_id, [_english, chinese] = keyboard_of(tg.fake, ALICE)
    taps = [
        callback_update(2, ALICE, chinese, chat_id=ALICE, message_id=message_id),
        callback_update(3, ALICE, chinese, chat_id=ALICE, message_id=message_id),  # used up
        callback_update(4, ALICE, "forged-token", chat_id=ALICE, message_id=message_id),
        callback_update(5, STRANGER, chinese, chat_id=STRANGER, message_id=1),
    ]
    for tap in taps:
        assert await tg.post(tap) == 200
    await tg.settle()
    answered = {c.params["callback_query_id"] for c in tg.fake.calls_to("answerCallbackQuery")}
    assert answered == {"cq2", "cq3", "cq4", "cq5"}
    [edit] = tg.fake.calls_to("editMessageText")
    assert edit.params["text"] == "<b>✅ 语言</b>\n从现在起我会用中文和你交流。"


async def test_bots_other_kinds_and_other_bots_commands_are_acknowledged_and_ignored(
    tg: TelegramHarness,
) -> None:
    ignored = [
        message_update(1, BOT_ID, "/whoami", is_bot=True),
        message_update(2, ALICE, "/whoami@someone_elses_bot", chat_id=GROUP),
        message_update(3, ALICE, "just chatting", chat_id=GROUP),
        {"update_id": 4, "my_chat_member": None},
    ]
    for update in ignored:
        assert await tg.post(update) == 200
    await tg.settle()
    assert await tg.count(InboxRow) == 0
    assert tg.fake.calls_to("sendMessage") == []


async def test_a_stranger_is_told_how_to_bind_in_their_language(sqlite_tg: TelegramHarness) -> None:
    await sqlite_tg.post(message_update(1, STRANGER, "/whoami", language="zh-hans"))
    await sqlite_tg.post(message_update(2, STRANGER + 1, "/whoami", language="en-US"))
    await sqlite_tg.settle()
    [chinese] = sqlite_tg.fake.texts_to(STRANGER)
    [english] = sqlite_tg.fake.texts_to(STRANGER + 1)
    assert "/绑定" in chinese and "/bind CODE" in english
    assert "Alice" not in chinese + english


async def test_when_the_inbox_cannot_store_the_update_telegram_is_told_to_retry() -> None:
    async def broken(_update: object) -> None:
        raise ConnectionError("database away")

    webhook = Webhook(SECRET, broken)
    app = web.Application()
    app.router.add_post("/telegram/webhook", webhook.receive)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(
            "/telegram/webhook",
            json=message_update(1, ALICE, "/ping"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status == 503

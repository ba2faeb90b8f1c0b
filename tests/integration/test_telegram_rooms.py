"""Deal rooms on Telegram: a bot cannot create groups, so a room is a forum topic in the staff
supergroup (``BIZBOT_TELEGRAM_STAFF_GROUP``), opened with createForumTopic by our client through
PTB against the fake Bot API; what is said in the room goes to that topic. Without a staff
group the room is refused for good, and the flow falls back to the owner's own chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.client import TelegramClient, Timeouts
from bot.events import Address
from bot.ports import PermanentDeliveryError, RoomRequest
from bot.replies import Reply
from tests.fake_telegram import FakeBotApi

STAFF = -1001234567890
ROOM = RoomRequest("deal-12", "Deal #12 Pumps · Acme Ltd", ("111", "222"))


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    api.forums.add(STAFF)
    await api.start()
    yield api
    await api.close()


async def test_a_room_is_a_topic_of_the_staff_group_and_its_messages_go_there(
    fake: FakeBotApi,
) -> None:
    client = TelegramClient(fake.token, fake.url, timeouts=Timeouts(read=0.5),
                            staff_group=str(STAFF))  # fmt: skip
    try:
        room = await client.open_room(ROOM)
        [(chat, thread, name)] = fake.topics
        assert (chat, name) == (STAFF, "Deal #12 Pumps · Acme Ltd")
        assert room == Address("telegram", f"{STAFF}/{thread}")
        await client.send(room, Reply("Order SO2026-00001 was shipped."), {})
    finally:
        await client.close()
    [sent] = fake.calls_to("sendMessage")
    assert (sent.params["chat_id"], int(sent.params["message_thread_id"])) == (STAFF, thread)
    [shown] = fake.messages.values()
    assert (shown.chat_id, shown.thread_id) == (STAFF, thread)


async def test_without_a_staff_group_a_room_is_refused_for_good(fake: FakeBotApi) -> None:
    client = TelegramClient(fake.token, fake.url, timeouts=Timeouts(read=0.5))
    try:
        with pytest.raises(PermanentDeliveryError):
            await client.open_room(ROOM)
    finally:
        await client.close()
    assert fake.calls_to("createForumTopic") == []

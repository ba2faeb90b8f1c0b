"""Deal rooms on WeCom: our client opens a group chat (appchat/create) against the fake WeCom
API, with a chatid made from the room's name, so that opening it again (a retry after a crash
between WeCom's answer and our record) finds it with appchat/get instead of making a second
one; what is said in the room goes there with appchat/send (a card as markdown: a group chat
has no template cards). Fewer than two members: refused for good (the flow falls back)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.wecom.client import WeComClient
from bot.events import Address
from bot.ports import PermanentDeliveryError, RoomRequest
from bot.replies import Card
from tests.fakes.wecom import CHAT_CREATE, FakeWeCom
from tests.rigs import FakeClock
from tests.wecom_messages import CORP_ID

ROOM = RoomRequest("deal-12", "Deal #12 Pumps · Acme Ltd", ("sue.wang", "alice.li"), CORP_ID)


@pytest.fixture
async def fake(aiohttp_server: Callable[..., Any]) -> AsyncIterator[tuple[FakeWeCom, WeComClient]]:
    api = FakeWeCom(CORP_ID)
    server: TestServer = await aiohttp_server(api.app)
    client = WeComClient(
        corp_id=CORP_ID, agent_id="1000002", secret="wecom-secret",
        api_url=str(server.make_url("/cgi-bin")), link="http://bizbot.test",
        clock=FakeClock(time.time()),
    )  # fmt: skip
    yield api, client
    await client.close()


async def test_a_room_is_a_group_chat_found_again_by_its_name(
    fake: tuple[FakeWeCom, WeComClient],
) -> None:
    api, client = fake
    room = await client.open_room(ROOM)
    assert room == Address("wecom", "appchat:deal12", CORP_ID)
    assert api.chats["deal12"]["userlist"] == ["sue.wang", "alice.li"]
    assert api.chats["deal12"]["name"] == "Deal #12 Pumps · Acme Ltd"
    assert await client.open_room(ROOM) == room  # a retry: found, not made again
    assert len(api.sent(CHAT_CREATE)) == 1
    await client.send(room, Card("Order SO2026-00001 was shipped", "Tracking number: SF1."), {})
    [said] = api.chats["deal12"]["messages"]
    assert said["msgtype"] == "markdown" and "SO2026-00001" in said["markdown"]["content"]


async def test_a_room_of_one_is_refused_for_good(fake: tuple[FakeWeCom, WeComClient]) -> None:
    api, client = fake
    with pytest.raises(PermanentDeliveryError):
        await client.open_room(RoomRequest("deal-13", "Deal #13", ("sue.wang",), CORP_ID))
    assert api.chats == {}

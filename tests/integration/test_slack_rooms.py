"""Deal rooms on Slack: our client opens a private channel named for the deal with the real
slack_sdk AsyncWebClient against the fake Slack Web API, invites the members, and opening it
again (a retry after a crash between Slack's answer and our record) finds the channel it made
by its name, on whatever page of conversations.list it is, instead of making a second one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack.client import SlackClient
from bot.events import Address
from bot.ports import DeliveryError, PermanentDeliveryError, RoomOpener, RoomRequest
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeChannel, FakeSlack
from tests.integration.slack_rig import PROXY_VARIABLES

ROOM = RoomRequest("deal-12", "Deal #12 Pumps · Acme Ltd", ("U0SUE", "U0ALICE"), "T0TEST")


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[SlackClient]:
    slack_client = SlackClient(slack.BOT_TOKEN, fake.api_url, timeout=0.5)
    try:
        yield slack_client
    finally:
        await slack_client.close()


async def test_a_room_is_a_private_channel_with_its_members(
    client: SlackClient, fake: FakeSlack
) -> None:
    assert isinstance(client, RoomOpener)
    address = await client.open_room(ROOM)
    [created] = fake.of("conversations.create")
    assert created.authorization == f"Bearer {slack.BOT_TOKEN}"
    assert (created.body["name"], created.body["is_private"]) == ("deal-12", "1")
    channel = fake.channels["deal-12"]
    assert address == Address("slack", channel.id, "T0TEST")
    assert channel.members == ["U0SUE", "U0ALICE"]


async def test_opening_it_again_finds_it_by_name_and_makes_no_second_one(
    client: SlackClient, fake: FakeSlack
) -> None:
    for n in range(3):  # other channels first: the room is on the second page of the list
        fake.channels[f"other-{n}"] = FakeChannel(f"C0OTHER{n}", f"other-{n}")
    first = await client.open_room(ROOM)
    again = await client.open_room(RoomRequest("deal-12", ROOM.title, ("U0SUE", "U0PAT")))
    assert again.conversation == first.conversation
    assert [c.name for c in fake.channels.values()].count("deal-12") == 1
    assert len(fake.of("conversations.list")) == 2  # two pages
    assert fake.channels["deal-12"].members == ["U0SUE", "U0ALICE", "U0PAT"]
    await client.open_room(ROOM)  # everyone is in it already: fine


async def test_refusals_are_permanent_and_outages_are_retried(
    client: SlackClient, fake: FakeSlack
) -> None:
    fake.fail("conversations.create", error="restricted_action")
    with pytest.raises(PermanentDeliveryError):
        await client.open_room(ROOM)
    fake.fail("conversations.create", status=503)
    with pytest.raises(DeliveryError) as raised:
        await client.open_room(ROOM)
    assert not isinstance(raised.value, PermanentDeliveryError)
    assert fake.channels == {}

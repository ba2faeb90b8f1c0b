"""Our DingTalk client against the fake DingTalk: tokens, fallbacks, errors, Stream mode."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.dingtalk.client import DingTalkClient
from adapters.dingtalk.stream import StreamReceiver
from bot.events import Address, InboundEvent
from bot.ports import Accepted, DeliveryError, PermanentDeliveryError, RetryLater
from bot.replies import Button, Card, Reply
from tests.fakes.dingtalk import (
    BATCH_SEND,
    CARD_SEND,
    WEBHOOK,
    FakeDingTalk,
    robot_message,
    stream_frame,
)
from tests.fakes.failures import Failure
from tests.rigs import FakeClock

BOB = Address("dingtalk", "0002BOB")
EXPIRED = {"conversation_type": "1", "staff_id": "0002BOB"}


@pytest.fixture
async def fake(aiohttp_server: Callable[..., Any]) -> FakeDingTalk:
    fake = FakeDingTalk()
    server: TestServer = await aiohttp_server(fake.app)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture
async def client(fake: FakeDingTalk, clock: FakeClock) -> AsyncIterator[DingTalkClient]:
    client = DingTalkClient(
        app_key="dingappkey",
        app_secret="dingappsecret",
        robot_code="",
        api_url=fake.base_url,
        clock=clock,
    )
    yield client
    await client.close()


async def test_token_is_fetched_once_for_many_sends_and_again_after_expiry(
    fake: FakeDingTalk, client: DingTalkClient, clock: FakeClock
) -> None:
    await asyncio.gather(*(client.send(BOB, Reply(f"n{i}"), {}) for i in range(10)))
    assert fake.token_fetches == 1
    clock.now += 7200 - 299  # inside the refresh margin
    await client.send(BOB, Reply("later"), {})
    assert fake.token_fetches == 2
    assert {c.token for c in fake.sent(BATCH_SEND)} == {"tok1", "tok2"}


async def test_a_rejected_token_is_replaced_once(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    await client.send(BOB, Reply("one"), {})
    fake.revoke_tokens()
    await client.send(BOB, Reply("two"), {})
    assert fake.token_fetches == 2
    assert [c.body["msgKey"] for c in fake.sent(BATCH_SEND)] == ["sampleText", "sampleText"]


async def test_errors_map_to_delivery_errors(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.fail_next.append(Failure(429, {"code": "Throttling.Api"}, {"Retry-After": "7"}))
    with pytest.raises(RetryLater) as wait:
        await client.send(BOB, Reply("x"), EXPIRED)
    assert wait.value.seconds == 7
    fake.fail_next.append(Failure(503, {"code": "ServiceUnavailable"}))
    with pytest.raises(DeliveryError) as transient:
        await client.send(BOB, Reply("x"), EXPIRED)
    assert not isinstance(transient.value, PermanentDeliveryError)
    fake.fail_next.append(Failure(400, {"code": "invalidParameter.openConversationId"}))
    with pytest.raises(PermanentDeliveryError):
        await client.send(BOB, Reply("x"), EXPIRED)


async def test_a_webhook_on_another_host_is_not_used(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    context = EXPIRED | {
        "session_webhook": "http://169.254.169.254/robot/sendBySession",
        "session_webhook_expires": str(int(time.time() * 1000) + 3_600_000),
    }
    await client.send(BOB, Reply("x"), context)
    assert [c.path for c in fake.calls] == [BATCH_SEND]


async def test_a_refused_webhook_falls_back_to_the_openapi(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    context = EXPIRED | {
        "session_webhook": fake.base_url + WEBHOOK,
        "session_webhook_expires": str(int(time.time() * 1000) + 3_600_000),
    }
    fake.fail_next.append(Failure(200, {"errcode": 300001, "errmsg": "session expired"}))
    message_id = await client.send(BOB, Reply("x"), context)
    assert [c.path for c in fake.calls] == [WEBHOOK, BATCH_SEND]
    assert message_id.startswith("msg:")


async def test_without_card_permission_buttons_become_typed_commands(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.fail_next.append(Failure(403, {"code": "Forbidden.AccessDenied"}))
    card = Card("Approve?", buttons=(Button("Yes", token="tokY", command="/approve 7"),))
    await client.send(BOB, card, EXPIRED)
    assert [c.path for c in fake.calls] == [CARD_SEND, BATCH_SEND]
    assert "`/approve 7`" in fake.sent(BATCH_SEND)[0].body["msgParam"]


async def test_an_edit_of_a_plain_message_sends_the_new_version(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    await client.edit(BOB, "msg:q1", Card("Done"), EXPIRED)
    assert [c.path for c in fake.calls] == [BATCH_SEND]


async def test_stream_mode_acks_after_ingest_and_replies_by_webhook(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    received: list[InboundEvent] = []

    async def ingest(event: InboundEvent) -> Accepted:
        received.append(event)
        return Accepted(new=True)

    receiver = StreamReceiver("dingappkey", "dingappsecret", fake.base_url)
    receiver.start(ingest)
    try:
        expires = int(time.time() * 1000) + 3_600_000
        body = robot_message(
            "/ping",
            msg_id="s1",
            staff_id="0002BOB",
            webhook=fake.base_url + WEBHOOK,
            expires_ms=expires,
        )
        await fake.frames.put(stream_frame("/v1.0/im/bot/messages/get", body, "frame-1"))
        await _until(lambda: bool(fake.acks))
    finally:
        await receiver.stop()
    assert fake.opened[0]["clientId"] == "dingappkey"
    assert {"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"} in fake.opened[0][
        "subscriptions"
    ]
    [ack] = fake.acks
    assert ack["code"] == 200 and ack["headers"]["messageId"] == "frame-1"
    [event] = received
    assert event.event_id == "s1" and event.text == "/ping"
    await client.send(event.address, Reply("pong"), event.extra)
    assert fake.sent(WEBHOOK)[0].body["text"]["content"] == "pong"


async def test_stream_mode_does_not_ack_what_was_not_saved(fake: FakeDingTalk) -> None:
    async def failing(event: InboundEvent) -> Accepted:
        raise RuntimeError("database down")

    receiver = StreamReceiver("dingappkey", "dingappsecret", fake.base_url)
    receiver.start(failing)
    try:
        body = robot_message("/ping", msg_id="s2", staff_id="B", webhook="x", expires_ms=1)
        await fake.frames.put(stream_frame("/v1.0/im/bot/messages/get", body, "frame-2"))
        await _until(lambda: bool(fake.acks))
    finally:
        await receiver.stop()
    assert fake.acks[0]["code"] == 500


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10.0
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)

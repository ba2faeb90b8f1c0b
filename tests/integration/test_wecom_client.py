"""Our WeCom client against the fake WeCom API: token cache and refresh, errcodes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.wecom.client import WeComClient
from bot.events import Address
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater
from bot.replies import Button, Card, Reply
from tests.fakes.failures import Failure
from tests.fakes.wecom import SEND, UPDATE, FakeWeCom
from tests.rigs import FakeClock
from tests.wecom_messages import CORP_ID

BOB = Address("wecom", "bob.li", CORP_ID)


@pytest.fixture
async def fake(aiohttp_server: Callable[..., Any]) -> tuple[FakeWeCom, str]:
    fake = FakeWeCom(CORP_ID)
    server: TestServer = await aiohttp_server(fake.app)
    return fake, str(server.make_url("/cgi-bin"))


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture
async def client(fake: tuple[FakeWeCom, str], clock: FakeClock) -> AsyncIterator[WeComClient]:
    client = WeComClient(
        corp_id=CORP_ID,
        agent_id="1000002",
        secret="wecom-secret",
        api_url=fake[1],
        link="http://bizbot.test",
        clock=clock,
    )
    yield client
    await client.close()


async def test_token_cached_and_refreshed(
    fake: tuple[FakeWeCom, str], client: WeComClient, clock: FakeClock
) -> None:
    api = fake[0]
    await asyncio.gather(*(client.send(BOB, Reply(f"n{i}"), {}) for i in range(10)))
    assert api.token_fetches == 1
    api.expire_tokens()  # WeCom answers errcode 42001
    await client.send(BOB, Reply("after 42001"), {})
    assert api.token_fetches == 2
    clock.now += 7200
    await client.send(BOB, Reply("after expiry"), {})
    assert api.token_fetches == 3
    assert [c.token for c in api.sent(SEND)][-2:] == ["wtok2", "wtok3"]


@pytest.mark.parametrize(
    ("failure", "error", "permanent"),
    [
        (Failure(200, {"errcode": 45009}), RetryLater, False),
        (
            Failure(200, {"errcode": 45033}),
            RetryLater,
            False,
        ),
        (Failure(429, {}, {"Retry-After": "3"}), RetryLater, False),
        (Failure(200, {"errcode": -1, "errmsg": "system busy"}), DeliveryError, False),
        (Failure(502, {}), DeliveryError, False),
        (
            Failure(200, {"errcode": 60111}),
            PermanentDeliveryError,
            True,
        ),
        (Failure(200, {"errcode": 48002}), PermanentDeliveryError, True),
    ],
)
async def test_errcodes_map_to_delivery_errors(
    fake: tuple[FakeWeCom, str],
    client: WeComClient,
    failure: Failure,
    error: type[Exception],
    permanent: bool,
) -> None:
    fake[0].fail_next.append(failure)
    with pytest.raises(error) as raised:
        await client.send(BOB, Reply("x"), {})
    assert isinstance(raised.value, PermanentDeliveryError) == permanent
    if isinstance(raised.value, RetryLater):
        assert raised.value.seconds == (3 if failure.status == 429 else 60)


async def test_a_rate_limited_card_update_keeps_its_code(
    fake: tuple[FakeWeCom, str], client: WeComClient
) -> None:
    api = fake[0]
    card = Card("Approve?", buttons=(Button("Yes", token="tokY"),))
    code = api.response_code("task1")
    api.fail_next.append(Failure(200, {"errcode": 45009, "errmsg": "freq"}))
    with pytest.raises(RetryLater):
        await client.edit(BOB, "msg1", card, {"response_code": code, "task_id": "task1"})
    await client.edit(BOB, "msg1", card, {"response_code": code, "task_id": "task1"})
    assert [c.path for c in api.calls] == [UPDATE, UPDATE]
    assert api.cards["task1"]["button_list"][0]["key"] == "tokY"


async def test_an_edit_without_a_code_sends_anew(
    fake: tuple[FakeWeCom, str], client: WeComClient
) -> None:
    await client.edit(BOB, "msg1", Card("Done"), {})
    [sent] = fake[0].calls
    assert sent.path == SEND and sent.body["msgtype"] == "markdown"

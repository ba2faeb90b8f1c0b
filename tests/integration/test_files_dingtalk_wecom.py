"""Files to DingTalk and WeCom: each uploaded as media, then sent as a file or picture message."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.dingtalk.client import DingTalkClient
from adapters.wecom.client import WeComClient
from bot.events import Address
from bot.ports import DeliveryError, PermanentDeliveryError
from bot.replies import Card, Message, Reply
from tests.fakes.dingtalk import BATCH_SEND, MEDIA_UPLOAD, FakeDingTalk
from tests.fakes.wecom import SEND, FakeWeCom
from tests.rigs import FakeClock

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 16
PNG = b"\x89PNG\r\n\x1a\n" + b"\x04" * 120
CORP_ID = "ww0corp"
BOB_DING = Address("dingtalk", "0002BOB")
BOB_WECOM = Address("wecom", "bob.li", CORP_ID)


def stored(message: Message) -> Message:
    """As the relay hands it over: files stored (ids) with their bytes loaded."""
    files = tuple(f.stored(i + 1) for i, f in enumerate(message.attachments))
    return replace(message, attachments=files)


@pytest.fixture
async def ding(
    aiohttp_server: Callable[..., Any],
) -> AsyncIterator[tuple[FakeDingTalk, DingTalkClient]]:
    fake = FakeDingTalk()
    server: TestServer = await aiohttp_server(fake.app)
    fake.base_url = str(server.make_url("")).rstrip("/")
    client = DingTalkClient(
        app_key="dingappkey", app_secret="dingappsecret", robot_code="", api_url=fake.base_url
    )
    yield fake, client
    await client.close()


@pytest.fixture
async def wecom(aiohttp_server: Callable[..., Any]) -> AsyncIterator[tuple[FakeWeCom, WeComClient]]:
    fake = FakeWeCom(CORP_ID)
    server: TestServer = await aiohttp_server(fake.app)
    client = WeComClient(
        corp_id=CORP_ID,
        agent_id="1000002",
        secret="wecom-secret",
        api_url=str(server.make_url("/cgi-bin")),
        link="http://bizbot.test",
        clock=FakeClock(time.time()),
    )
    yield fake, client
    await client.close()


async def test_dingtalk_uploads_media_then_sends_a_file_and_a_picture(
    ding: tuple[FakeDingTalk, DingTalkClient],
) -> None:
    fake, client = ding
    card = (
        Card("利润表")
        .with_file("chart.png", "image/png", PNG)
        .with_file("利润表.pdf", "application/pdf", PDF)
    )
    await client.send(BOB_DING, stored(card), {})
    assert [(m.kind, m.name, m.data) for m in fake.media.values()] == [
        ("image", "chart.png", PNG),
        ("file", "利润表.pdf", PDF),
    ]
    card_send, picture, document = fake.sent(BATCH_SEND)
    assert card_send.body["msgKey"] == "sampleMarkdown"
    assert (picture.body["msgKey"], picture.body["userIds"]) == ("sampleImageMsg", ["0002BOB"])
    assert '"photoURL": "@media1"' in picture.body["msgParam"]
    assert document.body["msgKey"] == "sampleFile"
    assert '"mediaId": "@media2"' in document.body["msgParam"]
    assert '"fileType": "pdf"' in document.body["msgParam"]


async def test_dingtalk_upload_after_a_revoked_token_uses_the_new_one(
    ding: tuple[FakeDingTalk, DingTalkClient],
) -> None:
    fake, client = ding
    await client.send(BOB_DING, Reply("warm up"), {})
    fake.revoke_tokens()
    await client.send(BOB_DING, stored(Reply("x").with_file("a.pdf", "application/pdf", PDF)), {})
    assert fake.token_fetches == 2  # replaced once, for the text, and kept for the upload
    assert [m.name for m in fake.media.values()] == ["a.pdf"]
    assert [(c.body["type"], c.token) for c in fake.sent(MEDIA_UPLOAD)] == [("file", "tok2")]


async def test_dingtalk_refuses_a_file_over_20_mb_before_uploading(
    ding: tuple[FakeDingTalk, DingTalkClient],
) -> None:
    fake, client = ding
    big = Reply("x").with_file("big.pdf", "application/pdf", b"%PDF" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(PermanentDeliveryError, match="20 MB"):
        await client.send(BOB_DING, stored(big), {})
    assert fake.media == {}


async def test_wecom_uploads_temporary_media_then_sends_file_and_image_messages(
    wecom: tuple[FakeWeCom, WeComClient],
) -> None:
    fake, client = wecom
    message = (
        Reply("月结单")
        .with_file("chart.png", "image/png", PNG)
        .with_file("statement.pdf", "application/pdf", PDF)
    )
    await client.send(BOB_WECOM, stored(message), {})
    assert [(m.kind, m.name, m.data) for m in fake.media.values()] == [
        ("image", "chart.png", PNG),
        ("file", "statement.pdf", PDF),
    ]
    assert fake.media["3m000002"].name == "statement.pdf"  # the name WeCom shows, as sent
    text, image, document = fake.sent(SEND)
    assert text.body["msgtype"] == "text"
    assert image.body["image"] == {"media_id": "3m000001"} and image.body["touser"] == "bob.li"
    assert document.body["file"] == {"media_id": "3m000002"}


async def test_wecom_media_refusal_is_a_delivery_error(
    wecom: tuple[FakeWeCom, WeComClient],
) -> None:
    fake, client = wecom
    tiny = Reply("x").with_file("a.pdf", "application/pdf", b"%PDF")  # under WeCom's 5 bytes
    with pytest.raises(DeliveryError, match="40006"):
        await client.send(BOB_WECOM, stored(tiny), {})
    assert fake.media == {}


async def test_wecom_retry_reuses_the_media_and_is_shown_once(
    wecom: tuple[FakeWeCom, WeComClient],
) -> None:
    """WeCom took the file message but the answer was lost: the retry is dropped as a duplicate."""
    fake, client = wecom
    message = stored(Reply("x").with_file("statement.pdf", "application/pdf", PDF))
    await client.send(BOB_WECOM, message, {})
    await client.send(BOB_WECOM, message, {})  # the relay's retry of the same outbox row
    assert len(fake.media) == 1  # uploaded once
    assert fake.shown_files == [("bob.li", "file", "3m000001")]
    sends = [c.body for c in fake.sent(SEND) if c.body["msgtype"] == "file"]
    assert [b["enable_duplicate_check"] for b in sends] == [1, 1]

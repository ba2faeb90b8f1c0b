"""Our Slack client driving the real slack_sdk AsyncWebClient against the fake Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.slack.client import SlackClient
from bot.events import Address
from bot.ports import DeliveryError, PermanentDeliveryError, RetryLater
from bot.replies import Button, Card, Reply
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack
from tests.integration.slack_rig import PROXY_VARIABLES
from tests.processes import free_port

CHANNEL = Address("slack", "C0GENERAL", "T0TEST")
CARD = Card(
    title="Approve?", body="Leave #42", buttons=(Button("Yes", token="tokYes_0123456789abcd"),)
)
NO_CONTEXT: dict[str, str] = {}


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    """A fake Slack on 127.0.0.1 (proxy variables cleared: slack_sdk would honour them)."""
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[SlackClient]:
    """Our client, waiting at most half a second for an answer."""
    slack_client = SlackClient(slack.BOT_TOKEN, fake.api_url, timeout=0.5)
    try:
        yield slack_client
    finally:
        await slack_client.close()


async def test_send_posts_json_with_the_bot_token_and_returns_channel_and_ts(
    client: SlackClient, fake: FakeSlack
) -> None:
    message_id = await client.send(CHANNEL, CARD, NO_CONTEXT)
    [call] = fake.of("chat.postMessage")
    assert call.content_type.startswith("application/json")
    assert call.authorization == f"Bearer {slack.BOT_TOKEN}"
    assert call.body["blocks"][0]["text"]["text"] == "Approve?"
    posted = fake.in_channel("C0GENERAL")[0]
    assert message_id == f"C0GENERAL:{posted.ts}"


async def test_a_notification_to_a_user_id_is_edited_in_the_dm_channel(
    client: SlackClient, fake: FakeSlack
) -> None:
    message_id = await client.send(Address("slack", "U0ALICE"), CARD, NO_CONTEXT)
    assert message_id.startswith("D0ALICE:")
    await client.edit(Address("slack", "U0ALICE"), message_id, Reply("Approved"), NO_CONTEXT)
    [update] = fake.of("chat.update")
    assert f"{update.body['channel']}:{update.body['ts']}" == message_id
    assert update.body["blocks"] == [] and update.body["text"] == "Approved"  # buttons gone


async def test_a_reply_in_a_thread_stays_in_the_thread(
    client: SlackClient, fake: FakeSlack
) -> None:
    await client.send(CHANNEL, Reply("hi"), {"thread_ts": "1700000000.000100"})
    assert fake.of("chat.postMessage")[0].body["thread_ts"] == "1700000000.000100"


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), ("0.5", 0.5), (None, 1.0), ("x", 1.0)])
async def test_429_becomes_retry_later_with_the_retry_after_seconds(
    client: SlackClient, fake: FakeSlack, header: str | None, seconds: float
) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=header)
    with pytest.raises(RetryLater) as raised:
        await client.send(CHANNEL, CARD, NO_CONTEXT)
    assert raised.value.seconds == seconds


@pytest.mark.parametrize(("status", "error"), [(500, ""), (503, ""), (200, "internal_error")])
async def test_server_errors_are_retried_with_backoff(
    client: SlackClient, fake: FakeSlack, status: int, error: str
) -> None:
    fake.fail("chat.postMessage", status=status, error=error)
    with pytest.raises(DeliveryError) as raised:
        await client.send(CHANNEL, CARD, NO_CONTEXT)
    assert not isinstance(raised.value, PermanentDeliveryError | RetryLater)


async def test_a_timeout_is_retried_with_backoff(client: SlackClient, fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", delay=2.0)
    with pytest.raises(DeliveryError) as raised:
        await client.send(CHANNEL, CARD, NO_CONTEXT)
    assert "Timeout" in str(raised.value)
    assert not isinstance(raised.value, PermanentDeliveryError | RetryLater)


async def test_an_unreachable_api_is_retried_with_backoff() -> None:
    dead = SlackClient(slack.BOT_TOKEN, f"http://127.0.0.1:{free_port()}/api/", timeout=0.5)
    try:
        with pytest.raises(DeliveryError) as raised:
            await dead.send(CHANNEL, CARD, NO_CONTEXT)
    finally:
        await dead.close()
    assert not isinstance(raised.value, PermanentDeliveryError)


@pytest.mark.parametrize(
    "error",
    [
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "invalid_auth",
        "token_revoked",
        "invalid_blocks",
        "msg_too_long",
    ],
)
async def test_errors_that_retrying_cannot_fix_are_permanent(
    client: SlackClient, fake: FakeSlack, error: str
) -> None:
    fake.fail("chat.postMessage", error=error)
    with pytest.raises(PermanentDeliveryError, match=error):
        await client.send(CHANNEL, CARD, NO_CONTEXT)


async def test_a_failed_update_is_mapped_too(client: SlackClient, fake: FakeSlack) -> None:
    with pytest.raises(PermanentDeliveryError, match="message_not_found"):
        await client.edit(CHANNEL, "C0GENERAL:1.2", CARD, NO_CONTEXT)


async def test_a_channel_without_the_bot_falls_back_to_the_response_url(
    client: SlackClient, fake: FakeSlack
) -> None:
    fake.fail("chat.postMessage", error="not_in_channel")
    context = {"response_url": fake.response_url("cmd")}
    message_id = await client.send(CHANNEL, CARD, context)
    assert message_id == "C0GENERAL:"
    [answer] = fake.responses
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["blocks"][0]["text"]["text"] == "Approve?"
    tap = {"response_url": fake.response_url("tap")}
    await client.edit(CHANNEL, message_id, Reply("Approved"), tap)
    assert fake.responses[-1].path.endswith("/tap")
    assert fake.responses[-1].body == {"text": "Approved", "blocks": [], "replace_original": True}
    with pytest.raises(PermanentDeliveryError):
        await client.edit(CHANNEL, message_id, Reply("Approved"), NO_CONTEXT)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (429, "", RetryLater),
        (404, "expired_url", PermanentDeliveryError),
        (404, "used_url", PermanentDeliveryError),
        (502, "", DeliveryError),
    ],
)
async def test_response_url_failures_are_mapped(
    client: SlackClient, fake: FakeSlack, status: int, error: str, expected: type[Exception]
) -> None:
    fake.fail("response_url", status=status, error=error, retry_after="3")
    with pytest.raises(expected) as raised:
        await client.edit(CHANNEL, "C0GENERAL:", CARD, {"response_url": fake.response_url()})
    if expected is DeliveryError:
        assert not isinstance(raised.value, PermanentDeliveryError | RetryLater)
    if isinstance(raised.value, RetryLater):
        assert raised.value.seconds == 3.0


def test_pacing_allows_a_short_burst_then_about_one_a_second() -> None:
    now = [100.0]
    paced = SlackClient("xoxb-x", clock=lambda: now[0])
    waits = [paced.pace(CHANNEL) for _ in range(6)]
    assert waits == [0.0, 0.0, 0.0, 3.0, 3.0, 3.0]
    assert paced.pace(Address("slack", "C0OTHER", "T0TEST")) == 0.0  # channels are independent
    now[0] += 10
    assert paced.pace(CHANNEL) == 0.0


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 50


async def test_a_text_with_a_file_is_one_upload_through_files_upload_v2(
    client: SlackClient, fake: FakeSlack
) -> None:
    message = Reply("Your statement").with_file("statement.pdf", "application/pdf", PDF)
    message_id = await client.send(CHANNEL, stored(message), NO_CONTEXT)
    assert message_id == "C0GENERAL:"
    [url_call] = fake.of("files.getUploadURLExternal")
    assert url_call.authorization == f"Bearer {slack.BOT_TOKEN}"
    assert (url_call.body["filename"], url_call.body["length"]) == ("statement.pdf", str(len(PDF)))
    [shared] = fake.files.values()
    assert (shared.name, shared.data, shared.channel) == ("statement.pdf", PDF, "C0GENERAL")
    [posted] = fake.in_channel("C0GENERAL")
    assert posted.body["text"] == "Your statement"  # the text goes with the file, in one post
    assert fake.of("chat.postMessage") == []


async def test_a_card_is_posted_then_its_files_in_the_same_dm(
    client: SlackClient, fake: FakeSlack
) -> None:
    card = CARD.with_file("chart.png", "image/png", PNG).with_file("pl.pdf", "application/pdf", PDF)
    message_id = await client.send(Address("slack", "U0ALICE", "T0TEST"), stored(card), {})
    card_post, files_post = fake.in_channel("D0ALICE")
    assert message_id == f"D0ALICE:{card_post.ts}"
    assert card_post.header == "Approve?" and "files" not in card_post.body
    assert [f["name"] for f in files_post.body["files"]] == ["chart.png", "pl.pdf"]
    assert [f.data for f in fake.files.values()] == [PNG, PDF]


async def test_a_failed_upload_is_retried_later_and_shares_nothing(
    client: SlackClient, fake: FakeSlack
) -> None:
    fake.fail("files.getUploadURLExternal", status=503)
    message = Reply("x").with_file("a.pdf", "application/pdf", PDF)
    with pytest.raises(DeliveryError):
        await client.send(CHANNEL, stored(message), NO_CONTEXT)
    assert fake.files == {} and fake.in_channel("C0GENERAL") == []
    await client.send(CHANNEL, stored(message), NO_CONTEXT)  # the relay's retry
    assert len(fake.files) == 1 and len(fake.in_channel("C0GENERAL")) == 1


async def test_a_revoked_token_cannot_upload(fake: FakeSlack) -> None:
    wrong = SlackClient("xoxb-revoked", fake.api_url, timeout=0.5)
    try:
        with pytest.raises(PermanentDeliveryError):
            await wrong.send(CHANNEL, stored(Reply("x").with_file("a.png", "image/png", PNG)), {})
    finally:
        await wrong.close()
    assert fake.files == {}


def stored(message: Reply | Card) -> Reply | Card:
    """The message as the relay hands it over: files stored (ids) with their bytes loaded."""
    files = tuple(f.stored(i + 1) for i, f in enumerate(message.attachments))
    return replace(message, attachments=files)

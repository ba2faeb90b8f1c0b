"""Slack end to end: slack-bolt on our server, slack_sdk against a fake Slack.

What every platform does (double taps, taps by someone else, retried events, 429s, strangers,
forged and stale signatures) is tested once for all in test_platform_contract.py; here is what
only Slack does. Tests the database takes part in run on SQLite and PostgreSQL (``rig``),
rendering and routing on SQLite only (``sqlite_rig``).

Inbound requests are signed with slack_sdk's SignatureVerifier; replies go out through the real
AsyncWebClient to the fake, which records them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.pipeline.tables import InboxRow, InboxStatus, OutboxRow, OutboxStatus
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack
from tests.integration.slack_rig import (
    SlackRig,
    card_text,
    rig_fixture,
    start_rig,
    stop_rig,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A fake Slack on 127.0.0.1."""
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def rig(
    settings: Settings, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackRig]:
    """Our server with Slack mounted, the pipeline running, the test org imported."""
    async for running in rig_fixture(settings, fake, monkeypatch):
        yield running


@pytest.fixture
async def sqlite_rig(
    sqlite_settings: Settings, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackRig]:
    """The same, on SQLite only: for what the database plays no part in."""
    async for running in rig_fixture(sqlite_settings, fake, monkeypatch):
        yield running


async def outbox_rows(rig: SlackRig) -> list[OutboxRow]:
    """Every outbox row, oldest first."""
    return list(
        await rig.runtime.db.run(
            lambda s: list(s.scalars(select(OutboxRow).order_by(OutboxRow.id)))
        )
    )


# --- verification --------------------------------------------------------------------------


async def test_url_verification_answers_the_challenge(sqlite_rig: SlackRig) -> None:
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd", "type": "url_verification"}
    )
    response = await sqlite_rig.post(body, slack.signed(body, content_type="application/json"))
    assert response.status == 200
    assert (await response.json()) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd"}
    unsigned = await sqlite_rig.post(body, {"Content-Type": "application/json"})
    assert unsigned.status == 401


async def test_ssl_check_is_answered_and_changes_nothing(rig: SlackRig) -> None:
    body = "ssl_check=1&token=deprecated"
    response = await rig.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200
    assert await rig.count(InboxRow) == 0


async def test_malformed_bodies_are_refused_and_nothing_is_written(rig: SlackRig) -> None:
    bodies = [("{not json", "application/json"), ("[1, 2]", "application/json")]
    bodies.append(("payload=%7Bbroken", "application/x-www-form-urlencoded"))
    for body, content_type in bodies:
        signed = await rig.post(body, slack.signed(body, content_type=content_type))
        forged = await rig.post(body, {"Content-Type": content_type})
        assert (signed.status, forged.status) == (400, 401), body
    assert await rig.count(InboxRow) == 0


# --- commands, messages and mentions ----------------------------------------------------------


async def test_a_slash_command_is_acked_and_answered_with_a_card(sqlite_rig: SlackRig) -> None:
    assert await sqlite_rig.command("whoami") == 200
    [post] = sqlite_rig.fake.of("chat.postMessage")
    assert post.authorization == f"Bearer {slack.BOT_TOKEN}"
    assert post.body["channel"] == "C0GENERAL"
    assert post.body["text"].startswith("Alice Admin")  # the notification text
    card = sqlite_rig.last_in("C0GENERAL")
    assert card.header == "Alice Admin"
    assert "slack:U0ALICE" in card_text(card)
    assert sqlite_rig.fake.of("auth.test") == []  # the authorize callback never calls it


async def test_the_ack_waits_for_the_inbox_commit_not_for_the_work(
    settings: Settings, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await start_rig(settings, fake, monkeypatch, workers=False)
    try:
        assert await rig.signed(slack.command("whoami")) == 200
        rows = await rig.runtime.db.run(lambda s: list(s.scalars(select(InboxRow))))
        assert [(r.status, r.event_id.startswith("command:")) for r in rows] == [
            (InboxStatus.PENDING, True)
        ]
        assert fake.calls == []  # nothing was handled before the ack
        rig.runtime.workers.start(1)
        rig.runtime.relay.start()
        await rig.runtime.settle()
        assert rig.last_in("C0GENERAL").header == "Alice Admin"
    finally:
        await stop_rig(rig)


async def test_a_mention_is_answered_in_its_thread_and_bots_are_ignored(rig: SlackRig) -> None:
    mention = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": "<@U0BOT> /whoami",
        "channel": "C0GENERAL",
        "ts": "1700000000.000200",
        "thread_ts": "1700000000.000100",
    }
    ignored = [
        {**slack.direct_message("/whoami"), "bot_id": "B0BOT"},  # our own (or another bot's)
        {**slack.direct_message("/whoami"), "subtype": "message_changed"},
        {**slack.direct_message("/whoami"), "channel_type": "channel"},  # not a DM, no mention
        {"type": "reaction_added", "user": "U0ALICE", "reaction": "tada"},
    ]
    statuses = [await rig.signed(slack.event(e), json_body=True) for e in ignored]
    statuses.append(await rig.signed(slack.event(mention), json_body=True))
    await rig.runtime.settle()
    assert statuses == [200] * 5
    assert await rig.count(InboxRow) == 1
    [post] = rig.fake.of("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.000100"
    assert rig.last_in("C0GENERAL").header == "Alice Admin"


# --- buttons ----------------------------------------------------------------------------------


async def test_a_tap_updates_the_same_message_in_place(sqlite_rig: SlackRig) -> None:
    await sqlite_rig.command("help")
    card = sqlite_rig.last_in("C0GENERAL")
    assert card.header == "What I can do for you"
    assert await sqlite_rig.tap(card) == 200
    [update] = sqlite_rig.fake.of("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (card.channel, card.ts)
    assert card.header == "我能为你做什么"
    assert len(sqlite_rig.fake.of("chat.postMessage")) == 1


async def test_a_forged_token_changes_nothing(rig: SlackRig) -> None:
    await rig.command("help")
    card = rig.last_in("C0GENERAL")
    body = slack.action("A" * 22, channel=card.channel, message_ts=card.ts)
    assert await rig.signed(body) == 200
    await rig.runtime.settle()
    assert rig.fake.of("chat.update") == []
    assert "not valid" in rig.last_in("C0GENERAL").body["text"]


# --- delivery -----------------------------------------------------------------------------------


async def test_a_slash_command_where_the_bot_is_not_a_member_answers_through_response_url(
    sqlite_rig: SlackRig,
) -> None:
    sqlite_rig.fake.fail("chat.postMessage", error="not_in_channel")
    url = sqlite_rig.fake.response_url("T0TEST/1/cmd")
    await sqlite_rig.command("help", channel="C0ELSEWHERE", response_url=url)
    [answer] = sqlite_rig.fake.responses
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["blocks"][0]["text"]["text"] == "What I can do for you"
    buttons = next(b for b in answer.body["blocks"] if b["type"] == "actions")  # after the text
    token = buttons["elements"][0]["value"]
    tap_url = sqlite_rig.fake.response_url("T0TEST/2/tap")
    body = slack.action(token, channel="C0ELSEWHERE", response_url=tap_url)
    assert await sqlite_rig.signed(body) == 200
    await sqlite_rig.runtime.settle()
    replaced = sqlite_rig.fake.responses[-1]
    assert replaced.path.endswith("T0TEST-2-tap")
    assert replaced.body["replace_original"] is True
    assert replaced.body["blocks"][0]["text"]["text"] == "我能为你做什么"


async def test_a_server_error_is_retried(rig: SlackRig) -> None:
    rig.fake.fail("chat.postMessage", status=503)
    await rig.command("whoami")
    assert len(rig.fake.of("chat.postMessage")) == 2
    [row] = await outbox_rows(rig)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "account_inactive"])
async def test_a_permanent_error_dead_letters_at_once(sqlite_rig: SlackRig, error: str) -> None:
    sqlite_rig.fake.fail("chat.postMessage", error=error)
    body = slack.event(slack.direct_message("/whoami"))
    assert await sqlite_rig.signed(body, json_body=True) == 200
    await sqlite_rig.runtime.settle()
    [row] = await outbox_rows(sqlite_rig)
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    assert error in (row.last_error or "")
    assert len(sqlite_rig.fake.of("chat.postMessage")) == 1


async def test_the_ingest_failing_answers_500_so_slack_retries(rig: SlackRig) -> None:
    await rig.runtime.inbox.stop()  # the inbox refuses: nothing can be made durable
    status = await rig.signed(slack.command("whoami"))
    rig.runtime.inbox.start()
    assert status == 500
    assert await rig.count(InboxRow) == 0

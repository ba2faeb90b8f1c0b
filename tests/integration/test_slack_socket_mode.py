"""Socket Mode: slack_bolt's handler against a fake Socket Mode WebSocket server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest

from adapters.slack.channel import SlackChannel, SlackConfig
from bot.events import EventKind, InboundEvent
from bot.ports import Accepted
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack
from tests.integration.slack_rig import PROXY_VARIABLES, eventually

APP_TOKEN = "xapp-1-A0TEST-1-secret"


class GatedIngest:
    """An ingest that records events, can be held until released, and can be told to fail."""

    def __init__(self) -> None:
        self.events: list[InboundEvent] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.fail_next = False

    async def __call__(self, event: InboundEvent) -> Accepted:
        self.entered.set()
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database unavailable")
        self.events.append(event)
        return Accepted(new=True)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    """A fake Slack answering apps.connections.open with its own ws:// URL."""
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def connected(fake: FakeSlack) -> AsyncIterator[tuple[SlackChannel, GatedIngest]]:
    """A Slack channel in Socket Mode, connected to the fake."""
    config = SlackConfig(
        bot_token=slack.BOT_TOKEN,
        signing_secret=slack.SECRET,
        app_token=APP_TOKEN,
        api_url=fake.api_url,
    )
    channel, ingest = SlackChannel(config), GatedIngest()
    assert channel.socket_mode
    await channel.start(ingest)
    try:
        await asyncio.wait_for(fake.socket_ready.wait(), 20)
        yield channel, ingest
    finally:
        await channel.stop()
        await channel.close()


def envelope(envelope_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Socket Mode envelope as Slack sends it."""
    return {
        "envelope_id": envelope_id,
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": 0,
        "retry_reason": "",
    }


def acked(fake: FakeSlack) -> list[str]:
    """Envelope ids acked so far."""
    return [str(ack["envelope_id"]) for ack in fake.socket_acks]


async def test_an_app_token_opens_socket_mode_with_that_token(
    fake: FakeSlack, connected: tuple[SlackChannel, GatedIngest]
) -> None:
    [opened] = fake.of("apps.connections.open")
    assert opened.authorization == f"Bearer {APP_TOKEN}"
    assert fake.of("auth.test") == []


async def test_envelopes_go_through_translate_and_ingest_and_are_acked_after_it(
    fake: FakeSlack, connected: tuple[SlackChannel, GatedIngest]
) -> None:
    _, ingest = connected
    ingest.release.clear()
    command = dict(parse_qsl(slack.command("whoami")))
    await fake.push(envelope("env-1", "slash_commands", command))
    await asyncio.wait_for(ingest.entered.wait(), 20)
    assert acked(fake) == []  # ingest has not returned: no ack yet
    ingest.release.set()
    await eventually(lambda: acked(fake) == ["env-1"])

    dm = json.loads(slack.event(slack.direct_message("/lang zh"), event_id="Ev0SOCKET1"))
    tap = slack.action_payload("tok_socket_mode_012345")
    await fake.push(envelope("env-2", "events_api", dm))
    await fake.push(envelope("env-3", "interactive", tap))
    await eventually(lambda: sorted(acked(fake)) == ["env-1", "env-2", "env-3"])
    assert {(e.kind, e.event_id) for e in ingest.events} == {
        (EventKind.ACTION, f"action:{tap['trigger_id']}"),
        (EventKind.COMMAND, f"command:{command['trigger_id']}"),
        (EventKind.COMMAND, "Ev0SOCKET1"),
    }


async def test_an_envelope_whose_ingest_failed_is_not_acked(
    fake: FakeSlack, connected: tuple[SlackChannel, GatedIngest]
) -> None:
    _, ingest = connected
    ingest.fail_next = True
    ingest.entered.clear()
    await fake.push(envelope("env-fail", "slash_commands", dict(parse_qsl(slack.command("help")))))
    await asyncio.wait_for(ingest.entered.wait(), 20)
    await fake.push(envelope("env-ok", "slash_commands", dict(parse_qsl(slack.command("help")))))
    await eventually(lambda: "env-ok" in acked(fake))
    assert "env-fail" not in acked(fake)  # Slack will redeliver it
    assert len(ingest.events) == 1


async def test_an_unreachable_slack_neither_blocks_start_nor_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    config = SlackConfig(
        bot_token=slack.BOT_TOKEN,
        signing_secret=slack.SECRET,
        app_token=APP_TOKEN,
        api_url="http://127.0.0.1:9/api/",  # nothing listens on the discard port
    )
    channel = SlackChannel(config)
    await asyncio.wait_for(channel.start(GatedIngest()), 10)  # connecting goes on in the background
    await asyncio.sleep(0.2)
    await asyncio.wait_for(channel.stop(), 10)
    await channel.close()

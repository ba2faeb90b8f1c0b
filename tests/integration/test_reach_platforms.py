"""Answers go where the person is, on real platforms: Alice is bound on Slack and Telegram
(the test org). slack_sdk and python-telegram-bot talk to the fake Slack and the fake Bot API on
127.0.0.1; the clock is the test's, and the timer tick runs by hand (as in test_reminders)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.channel import SlackChannel, SlackConfig
from adapters.telegram.channel import TelegramChannel, TelegramConfig
from adapters.telegram.client import TelegramClient
from adapters.telegram.routes import SECRET_HEADER, WEBHOOK_PATH
from bot.app import Runtime, build_runtime, build_tick
from bot.config import Settings
from bot.web import errors_middleware
from domain.directory.importer import import_org
from scheduler.tick import TimerTick
from tests.fake_telegram import FakeBotApi
from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack
from tests.integration.slack_rig import PROXY_VARIABLES, card_text
from tests.support import ORG_YAML, FakeClock
from tests.telegram_harness import ALICE, QUICK, SECRET, UNPACED, wait_until
from tests.telegram_updates import message_update

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
ALICE_SLACK, ALICE_SLACK_DM = "U0ALICE", "D0ALICE"  # what Slack posts to "U0ALICE" lands in


@dataclass
class TwoApps:
    """Our server with Slack and Telegram mounted, the fakes behind them, and a test clock."""

    runtime: Runtime
    telegram: TelegramChannel
    slack_fake: FakeSlack
    telegram_fake: FakeBotApi
    http: TestClient[Any, Any]
    clock: FakeClock
    tick: TimerTick
    updates: itertools.count[int]

    async def on_telegram(self, text: str) -> str:
        """Alice writes in her private chat with the bot; the newest text that chat shows."""
        update = message_update(next(self.updates), ALICE, text)
        headers = {SECRET_HEADER: SECRET}
        async with self.http.post(WEBHOOK_PATH, json=update, headers=headers) as response:
            assert response.status == 200
        await self.settle()
        return self.telegram_texts()[-1]

    async def on_slack(self, text: str, channel: str = ALICE_SLACK_DM) -> str:
        """Alice types ``/biz <text>`` in a Slack conversation; the newest message it shows."""
        body = slack.command(text, user=ALICE_SLACK, channel=channel)
        headers = slack.signed(body)
        async with self.http.post("/slack/events", data=body.encode(), headers=headers) as answer:
            assert answer.status == 200
        await self.settle()
        return card_text(self.slack_fake.in_channel(channel)[-1])

    async def advance(self, delta: timedelta) -> None:
        """Move the clock, fire what fell due, and deliver."""
        self.clock.advance(delta)
        while await self.tick.run():
            pass
        await self.settle()

    async def settle(self) -> None:
        """Every event handled, every message sent, every tap answered."""
        await self.runtime.settle()
        await wait_until(lambda: not self.telegram.api.answers_pending)

    def telegram_texts(self) -> list[str]:
        """What Alice's private chat with the bot shows, oldest first."""
        return self.telegram_fake.texts_to(ALICE)

    def slack_texts(self, channel: str = ALICE_SLACK_DM) -> list[str]:
        """What a Slack conversation shows (Alice's direct messages by default), oldest first."""
        return [card_text(p) for p in self.slack_fake.in_channel(channel)]


@pytest.fixture
async def apps(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TwoApps]:
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    slack_fake, telegram_fake = await FakeSlack().start(), FakeBotApi()
    await telegram_fake.start()
    slack_channel = SlackChannel(
        SlackConfig(
            bot_token=slack.BOT_TOKEN,
            signing_secret=slack.SECRET,
            api_url=slack_fake.api_url,
            timeout=2.0,
        )
    )
    config = TelegramConfig(telegram_fake.token, SECRET, telegram_fake.url)
    client = TelegramClient(config.token, config.api_url, timeouts=QUICK, limits=UNPACED)
    telegram = TelegramChannel(config, client=client, poll_wait=1)
    clock = FakeClock(START)
    runtime = build_runtime(settings, [slack_channel.client, telegram.client], clock=clock)
    await runtime.db.run(lambda s: import_org(s, ORG_YAML, START))
    await runtime.start()
    app = web.Application(middlewares=[errors_middleware])
    slack_channel.mount(app, runtime.ingest)
    telegram.mount(app, runtime.ingest)
    http: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await http.start_server()
    await telegram.start(runtime.ingest)
    updates = itertools.count(1)
    try:
        yield TwoApps(
            runtime, telegram, slack_fake, telegram_fake, http, clock, build_tick(runtime), updates
        )
    finally:
        await http.close()
        await telegram.stop()
        await slack_channel.stop()
        await runtime.stop()
        await telegram.close()
        await slack_channel.close()
        await runtime.db.dispose()
        await telegram_fake.close()
        await slack_fake.stop()


async def test_a_reminder_fires_where_it_was_set_until_prefer_chooses(apps: TwoApps) -> None:
    set_on_telegram = await apps.on_telegram("/remind me in 1 hour stretch")
    assert "Reminder #" in set_on_telegram
    await apps.advance(timedelta(minutes=61))
    assert "stretch" in apps.telegram_texts()[-1]
    assert "Reminder" in apps.telegram_texts()[-1]
    assert apps.slack_texts() == []  # not on Slack, her first account

    chosen = await apps.on_telegram("/prefer slack")  # answered on Telegram, where typed
    assert "Notifications go to Slack, as you chose." in chosen
    set_again = await apps.on_telegram("/remind me in 1 hour drink water")
    assert "drink water" in set_again  # the answer still comes back to Telegram
    await apps.advance(timedelta(minutes=61))
    assert apps.telegram_texts()[-1] == set_again  # nothing more on Telegram
    [fired] = apps.slack_texts()
    assert "drink water" in fired
    assert "Reminder" in fired


async def test_answers_come_back_where_typed_whatever_the_choice(apps: TwoApps) -> None:
    await apps.on_telegram("/prefer telegram")
    on_telegram = len(apps.telegram_texts())
    answer = await apps.on_slack("whoami")  # in her Slack DM with the bot
    assert "Alice Admin" in answer
    assert len(apps.telegram_texts()) == on_telegram  # not to the chosen channel
    in_channel = await apps.on_slack("remind me in 1 hour call Bob", channel="C0GENERAL")
    assert "call Bob" in in_channel  # a command typed in a Slack channel is answered there
    on_slack = len(apps.slack_texts())
    await apps.advance(timedelta(minutes=61))
    assert "call Bob" in apps.telegram_texts()[-1]  # the reminder goes to the chosen channel
    assert len(apps.slack_texts()) == on_slack

    automatic = await apps.on_telegram("/prefer auto")
    assert "Automatic: notifications go to the chat app you last wrote from, now Telegram" in (
        automatic
    )
    await apps.on_slack("remind me in 1 hour send the quote")
    await apps.advance(timedelta(minutes=61))
    assert "send the quote" in apps.slack_texts()[-1]  # automatic again: where she wrote last

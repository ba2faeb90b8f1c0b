"""The scripted ERP day (tests/erp_day.py) through one ``bizbot serve``: the buyer on the web
chat (signed in locally, over the real WebSocket), the warehouse manager and the approver on
Slack (slash commands and signed interactivity payloads), the rep and the customer's contact on
Telegram (webhook updates), each against its fake platform on 127.0.0.1."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.webchat.guard import CSRF_FIELD
from bot.replies import as_text, from_wire
from tests import erp_day as day
from tests.fake_telegram import Stored
from tests.fakes import slack_requests as slack
from tests.fakes.slack import Posted
from tests.processes import describe, query, run_cli
from tests.served import Prepare, Served, until
from tests.telegram_harness import SECRET as TELEGRAM_SECRET
from tests.telegram_updates import message_update
from tests.webchat import form_token, frame_id

pytestmark = pytest.mark.slow
SUE, GUEST = 2001, 5550001  # Telegram users: the rep, and the customer's contact


@pytest.fixture
def prepare_served() -> Prepare:
    """The ERP day's org and catalog, imported as an operator would."""

    def seed(env: dict[str, str], _directory: Path) -> None:
        for args in (("org", "import", day.ORG_FILE), ("erp", "import", day.CATALOG_FILE)):
            done = run_cli(*args, env=env)
            assert done.returncode == 0, describe(done)

    return seed


@dataclass
class WebMember:
    """A member in the web chat: every message and edit their socket received, by id."""

    ws: aiohttp.ClientWebSocketResponse
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # newest version

    async def read(self) -> None:
        async for frame in self.ws:
            data = json.loads(frame.data)
            if data["type"] in ("message", "update"):
                self.messages[data["id"]] = data["message"]

    async def say(self, line: str) -> str:
        before = len(self.messages)
        await self.ws.send_json({"type": "say", "id": frame_id(), "text": line})
        await until(lambda: len(self.messages) > before, f"web chat: {line}")
        return self.text(list(self.messages)[before])

    async def tap(self, message_id: str, label: str) -> None:
        buttons = self.messages[message_id]["buttons"]
        [token] = [token for shown, token, *_ in buttons if shown == label]
        await self.ws.send_json({"type": "tap", "id": frame_id(), "token": token})

    def text(self, message_id: str) -> str:
        return as_text(from_wire(self.messages[message_id]))

    def saying(self, words: str) -> list[str]:
        """Ids of the messages whose text has these words."""
        return [i for i in self.messages if words in self.text(i)]

    def titled(self, title: str) -> list[str]:
        """Ids of the messages with this title."""
        return [i for i, m in self.messages.items() if m.get("title") == title]


@asynccontextmanager
async def web_member(served: Served, handle: str) -> AsyncIterator[WebMember]:
    """``handle`` signed in through local sign-in, with the chat page's socket open."""
    jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address
    async with aiohttp.ClientSession(base_url=served.url, cookie_jar=jar) as browser:
        async with browser.get("/login") as page:
            token = form_token(await page.text())
        form = {"handle": handle, CSRF_FIELD: token}
        async with browser.post("/login", data=form, allow_redirects=False) as signed_in:
            assert signed_in.status == 302, await signed_in.text()
        async with browser.ws_connect("/ws", headers={"Origin": served.url}) as ws:
            member = WebMember(ws)
            reading = asyncio.create_task(member.read())
            try:
                yield member
            finally:
                await ws.close()
                await reading


@dataclass
class SlackMember:
    """A member on Slack typing in a channel of their own; their DMs are ``D`` + their id."""

    served: Served
    user: str
    channel: str

    @property
    def dm(self) -> str:
        return "D" + self.user[1:]

    async def post(self, body: str) -> None:
        url = f"{self.served.url}/slack/events"  # commands, events and taps alike
        async with self.served.http.post(url, data=body, headers=slack.signed(body)) as answer:
            assert answer.status == 200

    async def say(self, line: str) -> str:
        fake = self.served.fakes.slack
        before = len(fake.in_channel(self.channel))
        body = slack.command(line.removeprefix("/"), user=self.user, channel=self.channel)
        await self.post(body)
        await until(lambda: len(fake.in_channel(self.channel)) > before, f"Slack: {line}")
        return slack_text(fake.in_channel(self.channel)[before])

    async def tap(self, posted: Posted, label: str) -> None:
        [token] = [
            element["value"]
            for block in posted.body["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["text"]["text"] == label
        ]
        body = slack.action(token, user=self.user, channel=posted.channel, message_ts=posted.ts)
        await self.post(body)

    def saying(self, words: str) -> list[Posted]:
        """The messages in their DMs whose text has these words."""
        return [m for m in self.served.fakes.slack.in_channel(self.dm) if words in slack_text(m)]

    def cards(self, title: str) -> list[Posted]:
        """The cards in their DMs whose header ends with ``title`` (after a status emoji)."""
        return [m for m in self.served.fakes.slack.in_channel(self.dm) if m.header.endswith(title)]


def slack_text(posted: Posted) -> str:
    """What Slack shows: a card's blocks (its footer too), else the message's text."""
    blocks = posted.body.get("blocks") or []
    if not blocks:
        return html.unescape(str(posted.body["text"]))
    shown: list[str] = []
    for block in blocks:
        parts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        shown += [part["text"] for part in parts if part and part["type"] != "button"]
    labelled = [re.sub(r"^\*(.*?)\*\n", r"\1: ", part) for part in shown]  # fields
    return html.unescape("\n".join(labelled))


@dataclass
class TelegramUser:
    """Someone in a private chat with the bot on Telegram."""

    served: Served
    user: int
    updates: count[int]

    def received(self) -> list[Stored]:
        return [m for m in self.served.fakes.telegram.messages.values() if m.chat_id == self.user]

    async def send(self, line: str) -> None:
        url = f"{self.served.url}/telegram/webhook"
        update = message_update(next(self.updates), self.user, line)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        async with self.served.http.post(url, json=update, headers=headers) as answer:
            assert answer.status == 200

    async def say(self, line: str) -> str:
        before = len(self.received())
        await self.send(line)
        await until(lambda: len(self.received()) > before, f"Telegram: {line}")
        return telegram_text(self.received()[before])

    async def say_all(self, lines: list[str]) -> list[str]:
        return [await self.say(line) for line in lines]


def telegram_text(message: Stored) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message.text))


async def test_an_erp_day_across_roles_and_channels(served: Served) -> None:
    will = SlackMember(served, "U0WILL", "C0STOCK")
    alice = SlackMember(served, "U0ALICE", "C0OFFICE")
    updates = count(1)
    sue, guest = TelegramUser(served, SUE, updates), TelegramUser(served, GUEST, updates)
    async with web_member(served, "pia") as pia:
        await buying(pia, alice)
        day.check_receiving([await will.say(line) for line in day.WAREHOUSE_RECEIVES])
        await selling(sue, guest)
        await until(
            lambda: bool(will.cards(day.SAFETY_TITLE) and pia.titled(day.SAFETY_TITLE)),
            "the safety-stock cards",
        )
        day.check_shipping([await will.say(line) for line in day.WAREHOUSE_SHIPS])
        await until(
            lambda: len(guest.received()) == 4, "the contact told of the order, both shipments"
        )
        day.check_guest_told([telegram_text(m) for m in guest.received()[1:]])
        await reordering(will, alice, pia)
    day.check_books(await query(served.db_url, day.books))


async def buying(pia: WebMember, alice: SlackMember) -> None:
    """Step 1: the buyer's request is approved on Slack, quotes compared, one picked."""
    asked = [await pia.say(line) for line in day.BUYER_ASKS]
    await until(lambda: bool(alice.cards(day.PR1_CARD)), "alice's approval card")
    await alice.tap(alice.cards(day.PR1_CARD)[0], day.APPROVE)
    await until(lambda: bool(pia.saying(day.APPROVED)), "the buyer told of the approval")
    await until(lambda: bool(pia.titled(day.TO_ORDER)), "the buyer's card to order it")
    compared = [await pia.say(line) for line in day.BUYER_COMPARES]
    comparison = list(pia.messages)[-1]
    before = len(pia.messages)
    await pia.tap(comparison, day.PICK)
    await until(lambda: len(pia.messages) > before, "the purchase order")
    day.check_buying(asked, compared, pia.text(list(pia.messages)[before]))
    assert pia.messages[comparison]["buttons"] == []  # redrawn: no second order


async def selling(sue: TelegramUser, guest: TelegramUser) -> None:
    """Step 3: the rep's customer and its contact, invited as a guest; a quotation becomes an
    order, confirmed."""
    await sue.say_all(day.REP_INVITES)
    invite = await sue.say(day.INVITE)
    link = re.search(r"\?start=(guest-[A-Za-z0-9_-]+)", invite)
    assert link, invite
    before = len(sue.received())
    welcome = await guest.say(f"/start {link.group(1)}")
    assert welcome.startswith("欢迎"), welcome
    await until(lambda: len(sue.received()) > before, "the rep told the contact is linked")
    day.check_selling(await sue.say_all(day.REP_SELLS))


async def reordering(will: SlackMember, alice: SlackMember, pia: WebMember) -> None:
    """Step 6: one alert each; the warehouse manager's tap drafts a request, alice approves."""
    [card] = will.cards(day.SAFETY_TITLE)
    [copy] = pia.titled(day.SAFETY_TITLE)
    day.check_alert(slack_text(card))
    day.check_alert(pia.text(copy))
    await will.tap(card, day.DRAFT)
    await until(lambda: bool(alice.cards(day.PR2_CARD)), "alice's second approval card")
    await alice.tap(alice.cards(day.PR2_CARD)[0], day.APPROVE)
    await until(lambda: bool(will.saying(day.APPROVED)), "the requester told of the approval")
    await until(lambda: bool(pia.titled(day.TO_ORDER_AGAIN)), "the buyer's card to order it")
    day.check_reordered([await pia.say(line) for line in day.BUYER_LOOKS])
    await until(lambda: not pia.messages[copy]["buttons"], "the buyer's copy of the alert edited")
    assert pia.messages[copy]["body"].startswith("Will Stock drafted purchase request PR2026-00002")
    assert len(will.cards(day.SAFETY_TITLE)) == 1

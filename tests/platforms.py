"""One driver per chat platform, for the contract every platform keeps (tests/integration/
test_platform_contract.py).

Each driver starts the platform's fake and our server with the real adapter (and the platform's
official client library where we use one) exactly as that platform's own tests do, and speaks the
platform's wire format: ``say`` and ``tap`` build a delivery as the platform would send it, which a
test can deliver again (a retry, a resent callback) or several times at once. What the fake
received is read back in the same terms on every platform: the replies to a member, the cards and
their edits, the send attempts. The pipeline runs on a clock that stands still until a test moves
it, so a rate limit's wait is seen in the outbox row and passed without sleeping.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from adapters.dingtalk.channel import DingTalkChannel
from adapters.wecom.channel import WeComChannel
from adapters.wecom.signing import WeComCrypto
from bot.app import Runtime
from bot.config import Settings
from bot.contacts import DirectoryExternalContacts
from bot.pipeline.tables import OutboxRow
from bot.signatures import DatabaseSeenSignatures
from domain.shared.db import Database
from tests.fake_telegram import CHAT_NOT_FOUND, USERNAME, FakeBotApi, too_many_requests
from tests.fakes import slack_requests as slack
from tests.fakes.dingtalk import (
    BATCH_SEND,
    CARD_SEND,
    CARD_UPDATE,
    GROUP_SEND,
    WEBHOOK,
    FakeDingTalk,
    card_buttons,
    card_callback,
    ding_sign,
    robot_message,
    stream_frame,
)
from tests.fakes.failures import Failure
from tests.fakes.slack import FakeSlack, Posted
from tests.fakes.wecom import SEND, UPDATE, FakeWeCom
from tests.integration.slack_rig import SlackRig, start_rig, stop_rig
from tests.rigs import FakeClock, pipeline_behind
from tests.telegram_harness import ALICE, BOB, GROUP, SECRET, TelegramHarness, running_telegram
from tests.telegram_updates import callback_update, message_update
from tests.wecom_messages import AES_KEY, CORP_ID, TOKEN, card_event, sealed, text_message

WAIT = 15.0  # seconds: a generous bound for "eventually"
DINGTALK_SECRET = "dingappsecret"


class StoppedClock:
    """The pipeline's clock: it stands still until the test moves it."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Delivery:
    """One request the platform sends us, which it may send again; ``key`` names it."""

    key: str
    send: Callable[[], Awaitable[int]]
    statuses: list[int] = field(default_factory=list)

    async def __call__(self) -> int:
        status = await self.send()
        self.statuses.append(status)
        return status


@dataclass(frozen=True)
class CardShown:
    """A card with buttons as the platform shows it: where it is and its buttons by label."""

    key: Any
    buttons: dict[str, str]


@dataclass(frozen=True)
class Forgery:
    """A request that must be refused: how it is sent, the status and the refusal logged."""

    label: str
    send: Callable[[], Awaitable[int]]
    status: int
    logged: dict[str, Any]


class Platform(Protocol):
    """What the contract tests drive on every platform."""

    name: str
    owner: Any  # a member who asks for cards
    other: Any  # a member the owner's cards are not for
    owner_handle: str
    other_handle: str
    stranger: Any  # nobody in the directory
    clock: StoppedClock

    @property
    def runtime(self) -> Runtime:
        """The pipeline behind the adapter."""

    def message(self, member: Any, text: str, *, event_id: str = "") -> Delivery:
        """A message from a member, as the platform sends it (``event_id`` fixes its id)."""

    def press(self, member: Any, card: CardShown, label: str) -> Delivery:
        """A tap by a member on a card's button, as the platform sends it."""

    async def say(self, member: Any, text: str, *, in_group: bool = False) -> None:
        """Deliver a message (in a group chat where the platform has one) and settle."""

    async def settle(self) -> None:
        """Wait until every event is handled, every reply sent and every tap answered."""

    def last_card(self, member: Any, *, in_group: bool = False) -> CardShown:
        """The newest card with buttons shown to a member (or in the group)."""

    def card_now(self, card: CardShown) -> Any:
        """Everything the platform shows of a card now."""

    def edits(self) -> list[Any]:
        """The cards edited in place, one entry per edit."""

    def told(self, member: Any, card: CardShown) -> str:
        """The newest plain text shown to a member who tapped a card."""

    def replies_to(self, member: Any) -> list[str]:
        """Every text sent to a member's own conversation (as sent)."""

    def send_attempts(self) -> int:
        """Requests to post a message (accepted or not)."""

    def calls(self) -> int:
        """Every request the fake platform received."""

    def answered(self) -> list[str]:
        """The keys of the taps answered to the platform, once per answer."""

    def rate_limit_next_send(self, seconds: int) -> None:
        """The platform's next answer to a send: slow down, retry after ``seconds``."""

    def unknown_recipient(self, member: Any) -> str:
        """The platform no longer knows the member; the words its refusal carries."""

    def forgeries(self) -> list[Forgery]:
        """Requests that are forged, tampered with or too old."""


def answered_over_http(taps: list[Delivery]) -> list[str]:
    """Taps answered in the HTTP response (or the Stream ack) itself: once per 200."""
    return sorted(tap.key for tap in taps for status in tap.statuses if status == 200)


def outcome_text(shown: Any) -> str:
    """A card as text, for assertions on what it says."""
    return json.dumps(shown, ensure_ascii=False)


async def outbox(runtime: Runtime) -> list[OutboxRow]:
    """Every outbox row, oldest first."""
    return await runtime.db.run(lambda s: list(s.scalars(select(OutboxRow).order_by(OutboxRow.id))))


async def eventually(check: Callable[[], Awaitable[bool]], within: float = WAIT) -> None:
    """Wait until ``check()`` holds (bounded)."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# --- Slack: slack-bolt on our server, slack_sdk against the fake ---------------------------------

SLACK_DM = {"U0ALICE": "D0ALICE", "U0CAROL": "D0CAROL", "U0NOBODY": "D0NOBODY"}


@dataclass
class SlackPlatform:
    rig: SlackRig
    clock: StoppedClock
    name: str = "slack"
    owner: str = "U0ALICE"
    other: str = "U0CAROL"
    owner_handle: str = "alice"
    other_handle: str = "carol"
    stranger: str = "U0NOBODY"
    taps: list[Delivery] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def runtime(self) -> Runtime:
        return self.rig.runtime

    @property
    def fake(self) -> FakeSlack:
        return self.rig.fake

    def _delivery(self, key: str, body: str, *, json_body: bool) -> Delivery:
        content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
        sent = itertools.count()

        async def send() -> int:
            headers = slack.signed(body, content_type=content_type)
            if next(sent):  # Slack marks its retries
                headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            response = await self.rig.post(body, headers)
            await response.read()
            return response.status

        return Delivery(key, send)

    def message(self, member: str, text: str, *, event_id: str = "") -> Delivery:
        event_id = event_id or f"Ev0CONTRACT{next(self.ids)}"
        inner = slack.direct_message(text, user=member, channel=SLACK_DM[member])
        return self._delivery(event_id, slack.event(inner, event_id=event_id), json_body=True)

    def press(self, member: str, card: CardShown, label: str) -> Delivery:
        channel, ts = card.key
        body = slack.action(card.buttons[label], channel=channel, message_ts=ts, user=member)
        tap = self._delivery(f"tap{next(self.ids)}", body, json_body=False)
        self.taps.append(tap)
        return tap

    async def say(self, member: str, text: str, *, in_group: bool = False) -> None:
        if in_group:
            await self.rig.command(text.lstrip("/"), user=member, channel="C0GENERAL")
        else:
            await self.message(member, text)()
            await self.settle()

    async def settle(self) -> None:
        await self.runtime.settle()

    def _card(self, channel: str) -> Posted:
        return [p for p in self.fake.in_channel(channel) if p.tokens()][-1]

    def last_card(self, member: str, *, in_group: bool = False) -> CardShown:
        posted = self._card("C0GENERAL" if in_group else SLACK_DM[member])
        buttons = {
            element["text"]["text"]: element["value"]
            for block in posted.body.get("blocks") or []
            if block.get("type") == "actions"
            for element in block["elements"]
        }
        return CardShown((posted.channel, posted.ts), buttons)

    def card_now(self, card: CardShown) -> Any:
        posted = self.fake.message(*card.key)
        return copy.deepcopy({"now": posted.body, "versions": posted.versions})

    def edits(self) -> list[Any]:
        return [(c.body["channel"], c.body["ts"]) for c in self.fake.of("chat.update")]

    def told(self, member: str, card: CardShown) -> str:
        return str(self.fake.in_channel(card.key[0])[-1].body["text"])

    def replies_to(self, member: str) -> list[str]:
        posts = self.fake.of("chat.postMessage")
        return [outcome_text(c.body) for c in posts if c.body["channel"] == SLACK_DM[member]]

    def send_attempts(self) -> int:
        return len(self.fake.of("chat.postMessage"))

    def calls(self) -> int:
        return len(self.fake.calls)

    def answered(self) -> list[str]:
        return answered_over_http(self.taps)

    def rate_limit_next_send(self, seconds: int) -> None:
        self.fake.fail("chat.postMessage", status=429, retry_after=str(seconds))

    def unknown_recipient(self, member: str) -> str:
        self.fake.fail("chat.postMessage", error="user_not_found")
        return "user_not_found"

    def forgeries(self) -> list[Forgery]:
        body = slack.command("whoami")
        form = {"Content-Type": "application/x-www-form-urlencoded"}

        def sent(text: str, headers: Callable[[], dict[str, str]]) -> Callable[[], Awaitable[int]]:
            async def send() -> int:
                return (await self.rig.post(text, headers())).status

            return send

        def refused(reason: str) -> dict[str, Any]:
            return {"event": "refused.slack_request", "reason": reason}

        good = slack.signed(body)
        return [
            Forgery(
                "forged",
                sent(body, lambda: {**good, "X-Slack-Signature": "v0=" + "0" * 64}),
                401,
                refused("bad_signature"),
            ),
            Forgery(
                "wrong secret",
                sent(body, lambda: slack.signed(body, secret="not-the-secret")),
                401,
                refused("bad_signature"),
            ),
            Forgery(
                "altered after signing",
                sent(body + "&text=invite+mallory", lambda: good),
                401,
                refused("bad_signature"),
            ),
            Forgery("unsigned", sent(body, lambda: form), 401, refused("missing_signature")),
            Forgery(
                "stale",
                sent(body, lambda: slack.signed(body, timestamp=time.time() - 301)),
                401,
                refused("stale_timestamp"),
            ),
        ]


@asynccontextmanager
async def slack_platform(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: StoppedClock
) -> AsyncIterator[SlackPlatform]:
    fake = await FakeSlack().start()
    rig = await start_rig(settings, fake, monkeypatch, clock=clock)
    try:
        yield SlackPlatform(rig, clock)
    finally:
        await stop_rig(rig)
        await fake.stop()


# --- Telegram: PTB's Bot against the fake Bot API, updates on our webhook ------------------------


@dataclass
class TelegramPlatform:
    tg: TelegramHarness
    clock: StoppedClock
    name: str = "telegram"
    owner: int = ALICE
    other: int = BOB
    owner_handle: str = "alice"
    other_handle: str = "bob"
    stranger: int = 4242
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def runtime(self) -> Runtime:
        return self.tg.runtime

    @property
    def fake(self) -> FakeBotApi:
        return self.tg.fake

    def _delivery(self, update: dict[str, Any], key: str) -> Delivery:
        async def send() -> int:
            return await self.tg.post(update)

        return Delivery(key, send)

    def message(
        self, member: int, text: str, *, event_id: str = "", chat_id: int | None = None
    ) -> Delivery:
        number = int(event_id) if event_id else next(self.ids) + 1000
        return self._delivery(message_update(number, member, text, chat_id=chat_id), str(number))

    def press(self, member: int, card: CardShown, label: str) -> Delivery:
        chat, message_id = card.key
        number = next(self.ids) + 1000
        tap = callback_update(
            number, member, card.buttons[label], chat_id=chat, message_id=message_id
        )
        return self._delivery(tap, f"cq{number}")

    async def say(self, member: int, text: str, *, in_group: bool = False) -> None:
        if in_group:
            await self.message(member, f"{text}@{USERNAME}", chat_id=GROUP)()
        else:
            await self.message(member, text)()
        await self.settle()

    async def settle(self) -> None:
        await self.tg.settle()

    def last_card(self, member: int, *, in_group: bool = False) -> CardShown:
        chat = GROUP if in_group else member
        newest = [m for m in self.fake.messages.values() if m.chat_id == chat and m.reply_markup][
            -1
        ]
        rows = (newest.reply_markup or {})["inline_keyboard"]
        buttons = {b["text"]: b["callback_data"] for row in rows for b in row}
        return CardShown((chat, newest.message_id), buttons)

    def card_now(self, card: CardShown) -> Any:
        return copy.deepcopy(vars(self.fake.messages[card.key]))

    def edits(self) -> list[Any]:
        edited = self.fake.calls_to("editMessageText")
        return [(c.params["chat_id"], c.params["message_id"]) for c in edited]

    def told(self, member: int, card: CardShown) -> str:
        return self.fake.texts_to(card.key[0])[-1]

    def replies_to(self, member: int) -> list[str]:
        return self.fake.texts_to(member)

    def send_attempts(self) -> int:
        return len(self.fake.calls_to("sendMessage"))

    def calls(self) -> int:
        return len(self.fake.calls_to("sendMessage")) + len(self.fake.calls_to("editMessageText"))

    def answered(self) -> list[str]:
        return sorted(
            c.params["callback_query_id"] for c in self.fake.calls_to("answerCallbackQuery")
        )

    def rate_limit_next_send(self, seconds: int) -> None:
        self.fake.fail("sendMessage", too_many_requests(seconds))

    def unknown_recipient(self, member: int) -> str:
        self.fake.fail("sendMessage", CHAT_NOT_FOUND, chat_id=member)
        return "chat not found"

    def forgeries(self) -> list[Forgery]:
        update = message_update(next(self.ids) + 1000, ALICE, "/whoami")

        def sent(secret: str | None) -> Callable[[], Awaitable[int]]:
            async def send() -> int:
                return await self.tg.post(update, secret=secret)

            return send

        def refused(status: int) -> dict[str, Any]:
            return {"event": "refused.telegram_secret", "status": status}

        return [
            Forgery("no secret", sent(None), 401, refused(401)),
            Forgery("wrong secret", sent(SECRET.upper()), 403, refused(403)),
            Forgery("empty secret", sent(""), 403, refused(403)),
        ]


@asynccontextmanager
async def telegram_platform(
    settings: Settings, clock: StoppedClock
) -> AsyncIterator[TelegramPlatform]:
    fake = FakeBotApi()
    await fake.start()
    try:
        async with running_telegram(settings, fake, clock=clock) as tg:
            yield TelegramPlatform(tg, clock)
    finally:
        await fake.close()


# --- DingTalk: our adapter over HTTP callbacks (signed) or Stream mode ---------------------------


ROBOT_TOPIC, CARD_TOPIC = "/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"
MESSAGE_PATH, CARD_PATH = "/dingtalk/callback", "/dingtalk/card-callback"


@dataclass
class DingTalkPlatform:
    fake: FakeDingTalk
    runtime: Runtime
    http: TestClient[Any, Any]
    clock: StoppedClock
    stream: bool
    name: str = "dingtalk"
    owner: str = "0003CAROL"
    other: str = "0002BOB"
    owner_handle: str = "carol"
    other_handle: str = "bob"
    stranger: str = "0009NOBODY"
    taps: list[Delivery] = field(default_factory=list)
    expire_sessions: bool = False
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    last_ms: int = 0
    frames: asyncio.Lock = field(default_factory=asyncio.Lock)

    def signed(self, *, age_ms: int = 0, secret: str = DINGTALK_SECRET) -> dict[str, str]:
        """Fresh ``timestamp``/``sign`` headers, a millisecond apart at least, as DingTalk's are."""
        self.last_ms = max(int(time.time() * 1000), self.last_ms + 1)
        timestamp = str(self.last_ms - age_ms)
        return {"timestamp": timestamp, "sign": ding_sign(timestamp, secret)}

    def _delivery(self, path: str, body: dict[str, Any], key: str) -> Delivery:
        async def send() -> int:
            if self.stream:
                return await self._over_stream(path, body)
            response = await self.http.post(path, json=body, headers=self.signed())
            return response.status

        return Delivery(key, send)

    async def _over_stream(self, path: str, body: dict[str, Any]) -> int:
        """One frame over the one socket (a redelivery keeps its message id); its ack code."""
        topic = CARD_TOPIC if path == CARD_PATH else ROBOT_TOPIC
        frame_id = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        async with self.frames:
            acks = len(self.fake.acks)
            await self.fake.frames.put(stream_frame(topic, body, frame_id))
            deadline = time.monotonic() + WAIT
            while len(self.fake.acks) == acks:
                assert time.monotonic() < deadline, "no ack"
                await asyncio.sleep(0.02)
            return int(self.fake.acks[-1]["code"])

    def message(self, member: str, text: str, *, event_id: str = "") -> Delivery:
        """In the member's own chat with the robot (taps are answered there too)."""
        number = next(self.ids)
        expires = int(time.time() * 1000) + (-1000 if self.expire_sessions else 5_400_000)
        webhook = f"{self.fake.base_url}{WEBHOOK}?session=s{number}"
        msg_id = event_id or f"msg{number}"
        body = robot_message(
            text,
            msg_id=msg_id,
            staff_id=member,
            webhook=webhook,
            expires_ms=expires,
            conversation=f"cidDirect{member}==",
        )
        return self._delivery(MESSAGE_PATH, body, msg_id)

    def press(self, member: str, card: CardShown, label: str) -> Delivery:
        nonce = f"n{next(self.ids)}"
        body = card_callback(card.key, member, card.buttons[label], nonce)
        tap = self._delivery(CARD_PATH, body, nonce)
        self.taps.append(tap)
        return tap

    async def say(self, member: str, text: str, *, in_group: bool = False) -> None:
        await self.message(member, text)()
        await self.settle()

    async def settle(self) -> None:
        await self.runtime.settle()

    def last_card(self, member: str, *, in_group: bool = False) -> CardShown:
        card_id = self.fake.sent(CARD_SEND)[-1].body["cardBizId"]
        buttons = {b["label"]["text"]: b["id"] for b in card_buttons(self.fake.cards[card_id])}
        return CardShown(card_id, buttons)

    def card_now(self, card: CardShown) -> Any:
        return copy.deepcopy(self.fake.cards[card.key])

    def edits(self) -> list[Any]:
        return [c.body["cardBizId"] for c in self.fake.sent(CARD_UPDATE)]

    def _robot_texts(self, member: str) -> list[str]:
        return [
            str(json.loads(c.body["msgParam"])["content"])
            for c in self.fake.sent(BATCH_SEND)
            if c.body["userIds"] == [member]
        ]

    def told(self, member: str, card: CardShown) -> str:
        return self._robot_texts(member)[-1]

    def replies_to(self, member: str) -> list[str]:
        """The session webhook names no member: every webhook reply counts (one member talks)."""
        hooks = [outcome_text(c.body) for c in self.fake.sent(WEBHOOK)]
        return hooks + self._robot_texts(member)

    def send_attempts(self) -> int:
        paths = (WEBHOOK, BATCH_SEND, GROUP_SEND, CARD_SEND)
        return sum(len(self.fake.sent(path)) for path in paths)

    def calls(self) -> int:
        return len(self.fake.calls)

    def answered(self) -> list[str]:
        return answered_over_http(self.taps)

    def rate_limit_next_send(self, seconds: int) -> None:
        self.expire_sessions = True  # the robot OpenAPI, where DingTalk throttles
        failure = Failure(429, {"code": "Throttling"}, {"Retry-After": str(seconds)})
        self.fake.fail_next.append(failure)

    def unknown_recipient(self, member: str) -> str:
        self.expire_sessions = True
        self.fake.invalid_users.add(member)
        return member

    def forgeries(self) -> list[Forgery]:
        body = robot_message("/ping", msg_id="f1", staff_id=self.other, webhook="x", expires_ms=1)

        def sent(path: str, headers: dict[str, str]) -> Callable[[], Awaitable[int]]:
            async def send() -> int:
                timestamp = str(int(time.time() * 1000))
                base = {"timestamp": timestamp, "sign": ding_sign(timestamp, "wrong-secret")}
                return (await self.http.post(path, json=body, headers=base | headers)).status

            return send

        kinds = [
            ("stale", {"timestamp": "1", "sign": "x"}, 403, "refused.stale_timestamp"),
            ("unsigned", {"sign": ""}, 401, "refused.missing_signature"),
            ("forged", {"sign": "bad"}, 401, "refused.bad_signature"),
        ]
        return [
            Forgery(f"{label} on {path}", sent(path, headers), status, {"event": event})
            for label, headers, status, event in kinds
            for path in (MESSAGE_PATH, CARD_PATH)
        ]


@asynccontextmanager
async def dingtalk_platform(
    settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
    clock: StoppedClock,
    *,
    stream: bool,
) -> AsyncIterator[DingTalkPlatform]:
    fake = FakeDingTalk()
    server: TestServer = await aiohttp_server(fake.app)
    fake.base_url = str(server.make_url("")).rstrip("/")

    def channel(db: Database) -> DingTalkChannel:
        return DingTalkChannel(
            app_key="dingappkey",
            app_secret=DINGTALK_SECRET,
            robot_code="" if stream else "dingappkey",
            api_url=fake.base_url,
            seen=DatabaseSeenSignatures(db),
            stream=stream,
            corp_id="" if stream else "dingcorp01",
        )

    async with pipeline_behind(settings, channel, aiohttp_client, clock=clock) as (runtime, http):
        name = "dingtalk-stream" if stream else "dingtalk"
        yield DingTalkPlatform(fake, runtime, http, clock, stream, name=name)


# --- WeCom: our adapter, encrypted and signed callbacks, the fake WeCom API ----------------------


@dataclass
class WeComPlatform:
    fake: FakeWeCom
    runtime: Runtime
    http: TestClient[Any, Any]
    clock: StoppedClock
    callback_clock: FakeClock
    name: str = "wecom"
    owner: str = "carol.chen"
    other: str = "bob.li"
    owner_handle: str = "carol"
    other_handle: str = "bob"
    stranger: str = "zhang.nobody"
    taps: list[Delivery] = field(default_factory=list)
    crypto: WeComCrypto = field(default_factory=lambda: WeComCrypto(TOKEN, AES_KEY, CORP_ID))
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _now(self) -> int:
        return int(self.callback_clock())

    def _sealed(
        self, plain: str, key: str, *, crypto: WeComCrypto | None = None, age: int = 0
    ) -> Delivery:
        query, body = sealed(crypto or self.crypto, plain, self._now() - age)

        async def send() -> int:
            response = await self.http.post("/wecom/callback", params=query, data=body.encode())
            assert response.status != 200 or await response.text() == ""
            return response.status

        return Delivery(key, send)

    def message(self, member: str, text: str, *, event_id: str = "") -> Delivery:
        msg_id = event_id or f"m{next(self.ids)}"
        return self._sealed(text_message(member, text, msg_id, self._now()), msg_id)

    def press(self, member: str, card: CardShown, label: str) -> Delivery:
        number = next(self.ids)
        code = self.fake.response_code(card.key)
        plain = card_event(member, card.buttons[label], card.key, code, self._now() + number)
        tap = self._sealed(plain, f"tap{number}")
        self.taps.append(tap)
        return tap

    async def say(self, member: str, text: str, *, in_group: bool = False) -> None:
        await self.message(member, text)()
        await self.settle()

    async def settle(self) -> None:
        await self.runtime.settle()

    def last_card(self, member: str, *, in_group: bool = False) -> CardShown:
        sent = [c for c in self.fake.sent(SEND) if c.body["touser"] == member]
        card = [c.body["template_card"] for c in sent if c.body["msgtype"] == "template_card"][-1]
        return CardShown(card["task_id"], {b["text"]: b["key"] for b in card["button_list"]})

    def card_now(self, card: CardShown) -> Any:
        return copy.deepcopy(self.fake.cards[card.key])

    def edits(self) -> list[Any]:
        return [c.body["template_card"]["task_id"] for c in self.fake.sent(UPDATE)]

    def _texts(self, member: str, *, kinds: tuple[str, ...]) -> list[str]:
        sent = [c.body for c in self.fake.sent(SEND) if c.body["touser"] == member]
        return [outcome_text(body[body["msgtype"]]) for body in sent if body["msgtype"] in kinds]

    def told(self, member: str, card: CardShown) -> str:
        sent = [c.body for c in self.fake.sent(SEND) if c.body["touser"] == member]
        return str([body["text"]["content"] for body in sent if body["msgtype"] == "text"][-1])

    def replies_to(self, member: str) -> list[str]:
        return self._texts(member, kinds=("text", "markdown", "template_card"))

    def send_attempts(self) -> int:
        return len(self.fake.sent(SEND))

    def calls(self) -> int:
        return len(self.fake.calls)

    def answered(self) -> list[str]:
        return answered_over_http(self.taps)

    def rate_limit_next_send(self, seconds: int) -> None:
        self.fake.fail_next.append(Failure(429, {}, {"Retry-After": str(seconds)}))

    def unknown_recipient(self, member: str) -> str:
        self.fake.invalid_users.add(member)
        return "81013"

    def forgeries(self) -> list[Forgery]:
        plain = text_message(self.other, "/ping", "m-forged", self._now())
        query, body = sealed(self.crypto, plain, self._now())
        query["msg_signature"] = "0" * 40

        async def forged() -> int:
            response = await self.http.post("/wecom/callback", params=query, data=body.encode())
            return response.status

        foreign = self._sealed(plain, "foreign", crypto=WeComCrypto(TOKEN, AES_KEY, "ww_other"))
        stale = self._sealed(plain, "stale", age=301)
        return [
            Forgery("forged", forged, 401, {"event": "refused.bad_signature"}),
            Forgery("another corp", foreign.send, 403, {"event": "refused.wrong_receive_id"}),
            Forgery("stale", stale.send, 403, {"event": "refused.stale_timestamp"}),
        ]


@asynccontextmanager
async def wecom_platform(
    settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
    clock: StoppedClock,
) -> AsyncIterator[WeComPlatform]:
    fake = FakeWeCom(CORP_ID)
    server: TestServer = await aiohttp_server(fake.app)
    callback_clock = FakeClock(time.time())

    def channel(db: Any) -> WeComChannel:
        return WeComChannel(
            corp_id=CORP_ID,
            agent_id="1000002",
            secret="wecom-secret",
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            api_url=str(server.make_url("/cgi-bin")),
            link="http://bizbot.test",
            contacts=DirectoryExternalContacts(db),
            clock=callback_clock,
        )

    async with pipeline_behind(settings, channel, aiohttp_client, clock=clock) as (runtime, http):
        yield WeComPlatform(fake, runtime, http, clock, callback_clock)


@dataclass(frozen=True)
class Servers:
    """The pytest fixtures a platform is started with."""

    monkeypatch: pytest.MonkeyPatch
    aiohttp_server: Callable[..., Any]
    aiohttp_client: Callable[..., Any]


@asynccontextmanager
async def running_platform(
    name: str, settings: Settings, servers: Servers
) -> AsyncIterator[Platform]:
    """Start the named platform's fake and our server with its adapter, on a stopped clock."""
    clock = StoppedClock()
    server, client = servers.aiohttp_server, servers.aiohttp_client
    if name == "slack":
        async with slack_platform(settings, servers.monkeypatch, clock) as on_slack:
            yield on_slack
    elif name == "telegram":
        async with telegram_platform(settings, clock) as on_telegram:
            yield on_telegram
    elif name == "wecom":
        async with wecom_platform(settings, server, client, clock) as on_wecom:
            yield on_wecom
    else:
        stream = name == "dingtalk-stream"
        async with dingtalk_platform(settings, server, client, clock, stream=stream) as on_dingtalk:
            yield on_dingtalk

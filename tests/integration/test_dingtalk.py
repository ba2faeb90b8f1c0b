"""DingTalk: our adapter behind a real pipeline, a fake DingTalk in front of it.

What every platform does is tested in test_platform_contract.py (DingTalk over HTTP callbacks
and over Stream mode); here is what only DingTalk does. ``rig`` runs on SQLite and PostgreSQL,
``sqlite_rig`` (rendering, routing of replies) on SQLite only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from structlog.testing import capture_logs

from adapters.dingtalk.channel import DingTalkChannel
from bot.app import Runtime, dingtalk_channel
from bot.config import Settings
from bot.events import InboundEvent
from bot.filestore import DatabaseFiles
from bot.pipeline.tables import FileRow, InboxRow
from bot.ports import Accepted, Channel
from bot.signatures import DatabaseSeenSignatures
from domain.shared.clock import SystemClock
from domain.shared.db import Database, open_database
from tests.fakes.dingtalk import (
    BATCH_SEND,
    CARD_SEND,
    CARD_UPDATE,
    WEBHOOK,
    FakeDingTalk,
    card_buttons,
    card_callback,
    ding_sign,
    file_message,
    robot_message,
    stream_frame,
)
from tests.rigs import inbox_count, pipeline_behind

BOB, CAROL = "0002BOB", "0003CAROL"
ROBOT_TOPIC, CARD_TOPIC = "/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"


@dataclass
class Rig:
    fake: FakeDingTalk
    runtime: Runtime
    http: TestClient[Any, Any]
    stream: bool = False
    ids: int = 0
    last_ms: int = 0

    def webhook(self) -> str:
        return f"{self.fake.base_url}{WEBHOOK}?session=s{self.ids}"

    def signed(self, *, age_ms: int = 0, secret: str = "") -> dict[str, str]:
        """Fresh ``timestamp``/``sign`` headers (one millisecond apart at least, as DingTalk's are
        for separate requests)."""
        self.last_ms = max(int(time.time() * 1000), self.last_ms + 1)
        timestamp = str(self.last_ms - age_ms)
        return {"timestamp": timestamp, "sign": ding_sign(timestamp, secret or "dingappsecret")}

    async def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        age_ms: int = 0,
        secret: str = "",
        headers: dict[str, str] | None = None,
    ) -> int:
        if self.stream and not age_ms and not secret and headers is None:
            return await self._over_stream(path, body)
        sent = headers or self.signed(age_ms=age_ms, secret=secret)
        response = await self.http.post(path, json=body, headers=sent)
        await self.runtime.settle()
        return response.status

    async def _over_stream(self, path: str, body: dict[str, Any]) -> int:
        """Deliver as a Stream mode frame (a redelivery keeps its message id); its ack code."""
        topic = CARD_TOPIC if path.endswith("card-callback") else ROBOT_TOPIC
        frame_id = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        acks = len(self.fake.acks)
        await self.fake.frames.put(stream_frame(topic, body, frame_id))
        deadline = time.monotonic() + 10.0
        while len(self.fake.acks) == acks:
            assert time.monotonic() < deadline, "no ack"
            await asyncio.sleep(0.02)
        await self.runtime.settle()
        return int(self.fake.acks[-1]["code"])

    def message(self, staff: str, text: str, *, expired: bool = False, **kw: Any) -> dict[str, Any]:
        """A robot message body from ``staff`` (a fresh ``msgId`` unless given)."""
        self.ids += 1
        expires = int(time.time() * 1000) + (-1000 if expired else 5_400_000)
        kw.setdefault("msg_id", f"msg{self.ids}")
        return robot_message(text, staff_id=staff, webhook=self.webhook(), expires_ms=expires, **kw)

    async def say(self, staff: str, text: str, *, expired: bool = False, **kw: Any) -> int:
        return await self.post(
            "/dingtalk/callback", self.message(staff, text, expired=expired, **kw)
        )

    async def tap(self, card_biz_id: str, staff: str, token: str, nonce: str = "") -> int:
        body = card_callback(card_biz_id, staff, token, nonce or str(self.ids))
        self.ids += 1
        return await self.post("/dingtalk/card-callback", body)


@asynccontextmanager
async def running_rig(
    settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
    *,
    stream: bool,
    corp_id: str = "",
    robot_code: str = "",
) -> AsyncIterator[Rig]:
    """Our DingTalk channel behind a running pipeline, the fake DingTalk in front of it."""
    fake = FakeDingTalk()
    server: TestServer = await aiohttp_server(fake.app)
    fake.base_url = str(server.make_url("")).rstrip("/")

    def channel(db: Database) -> DingTalkChannel:
        return DingTalkChannel(
            app_key="dingappkey",
            app_secret="dingappsecret",
            robot_code=robot_code,
            api_url=fake.base_url,
            seen=DatabaseSeenSignatures(db),
            stream=stream,
            corp_id=corp_id,
            files=DatabaseFiles(db, SystemClock()),
        )

    async with pipeline_behind(settings, channel, aiohttp_client) as (runtime, http):
        yield Rig(fake, runtime, http, stream=stream)


@pytest.fixture(params=[False, True], ids=["http", "stream"])
async def rig(
    request: pytest.FixtureRequest,
    settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
) -> AsyncIterator[Rig]:
    async with running_rig(
        settings, aiohttp_server, aiohttp_client, stream=request.param
    ) as running:
        yield running


@pytest.fixture(params=[False, True], ids=["http", "stream"])
async def sqlite_rig(
    request: pytest.FixtureRequest,
    sqlite_settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
) -> AsyncIterator[Rig]:
    """The same, on SQLite only: for what the database plays no part in."""
    async with running_rig(
        sqlite_settings, aiohttp_server, aiohttp_client, stream=request.param
    ) as running:
        yield running


@pytest.fixture
async def http_rig(
    settings: Settings, aiohttp_server: Callable[..., Any], aiohttp_client: Callable[..., Any]
) -> AsyncIterator[Rig]:
    """HTTP callback mode (opt-in), checking the corp and robot code named in each body."""
    async with running_rig(
        settings,
        aiohttp_server,
        aiohttp_client,
        stream=False,
        corp_id="dingcorp01",
        robot_code="dingappkey",
    ) as running:
        yield running


async def test_reply_goes_to_the_session_webhook_with_the_members_card(sqlite_rig: Rig) -> None:
    assert await sqlite_rig.say(BOB, "/whoami") == 200
    [reply] = sqlite_rig.fake.sent(WEBHOOK)
    assert reply.body["msgtype"] == "markdown"
    assert "李博 Bob" in reply.body["markdown"]["title"]
    assert "@bob" in reply.body["markdown"]["text"]
    assert sqlite_rig.fake.token_fetches == 0  # the session webhook needs no token


async def test_group_message_without_the_mention_is_a_command(sqlite_rig: Rig) -> None:
    status = await sqlite_rig.say(
        CAROL, " @Bizbot /ping", conversation="cidGroup==", conversation_type="2"
    )
    assert status == 200
    [reply] = sqlite_rig.fake.sent(WEBHOOK)
    assert reply.body["text"]["content"] == "pong"
    assert reply.body["at"] == {"atUserIds": [CAROL]}


async def test_the_robots_own_message_is_ignored(rig: Rig) -> None:
    body = robot_message(
        "/ping", msg_id="own1", staff_id="x", webhook=rig.webhook(), expires_ms=2**41
    )
    body["senderStaffId"] = ""
    body["senderId"] = body["chatbotUserId"]
    assert await rig.post("/dingtalk/callback", body) == 200
    assert await inbox_count(rig.runtime) == 0


async def test_expired_webhook_falls_back_to_the_openapi(sqlite_rig: Rig) -> None:
    assert await sqlite_rig.say(BOB, "/ping", expired=True) == 200
    assert await sqlite_rig.say(CAROL, "/ping", expired=True) == 200
    sends = sqlite_rig.fake.sent(BATCH_SEND)
    assert [s.body["userIds"] for s in sends] == [[BOB], [CAROL]]
    assert sends[0].body["msgKey"] == "sampleText"
    assert sqlite_rig.fake.token_fetches == 1  # cached across sends
    assert sqlite_rig.fake.sent(WEBHOOK) == []


async def test_group_reply_after_expiry_goes_to_the_group(sqlite_rig: Rig) -> None:
    await sqlite_rig.say(BOB, "/ping", expired=True, conversation="cidG==", conversation_type="2")
    [send] = sqlite_rig.fake.sent("/v1.0/robot/groupMessages/send")
    assert send.body["openConversationId"] == "cidG=="


async def _language_card(rig: Rig, staff: str) -> tuple[str, dict[str, Any]]:
    """Ask for the /lang card; return its cardBizId and its buttons by label."""
    await rig.say(staff, "/lang")
    [card] = rig.fake.sent(CARD_SEND)
    card_id = card.body["cardBizId"]
    return card_id, {b["label"]["text"]: b for b in card_buttons(rig.fake.cards[card_id])}


async def test_card_buttons_carry_tokens_and_a_tap_updates_the_card(sqlite_rig: Rig) -> None:
    await sqlite_rig.say(CAROL, "/help")
    [sent] = sqlite_rig.fake.sent(CARD_SEND)
    assert sent.body["cardTemplateId"] == "StandardCard"
    assert sent.body.get("callbackRouteKey") == (None if sqlite_rig.stream else "bizbot")
    card_id = sent.body["cardBizId"]
    [button] = card_buttons(sqlite_rig.fake.cards[card_id])
    assert button["label"]["text"] == "中文" and button["actionType"] == "request"
    assert await sqlite_rig.tap(card_id, CAROL, button["id"]) == 200
    [update] = sqlite_rig.fake.sent(CARD_UPDATE)
    assert update.body["cardBizId"] == card_id
    assert sqlite_rig.fake.cards[card_id]["header"]["title"]["text"] == "我能为你做什么"


# HTTP callbacks (opt-in): what the signature, the replay check and the addressee check refuse.


async def test_an_hour_old_signature_is_refused(http_rig: Rig) -> None:
    body = robot_message("/ping", msg_id="old", staff_id=BOB, webhook="x", expires_ms=1)
    assert await http_rig.post("/dingtalk/callback", body, age_ms=3_600_000 + 60_000) == 403
    assert await inbox_count(http_rig.runtime) == 0


async def test_a_signature_carries_one_body_and_is_refused_with_another(http_rig: Rig) -> None:
    headers = http_rig.signed()
    assert (
        await http_rig.post("/dingtalk/callback", http_rig.message(CAROL, "/ping"), headers=headers)
        == 200
    )
    forged = http_rig.message(BOB, "/lang en")  # another body: another sender, text and msgId
    with capture_logs() as logs:
        assert await http_rig.post("/dingtalk/callback", forged, headers=headers) == 403
        card = card_callback("card1", CAROL, "token1")
        assert await http_rig.post("/dingtalk/card-callback", card, headers=headers) == 403
    assert [e["event"] for e in logs] == ["refused.replayed_signature"] * 2
    assert await inbox_count(http_rig.runtime) == 1
    [reply] = http_rig.fake.sent(WEBHOOK)
    assert reply.body["text"]["content"] == "pong"


async def test_a_signature_used_on_one_server_is_refused_on_another(
    http_rig: Rig, settings: Settings, aiohttp_client: Callable[..., Any]
) -> None:
    """Servers sharing the database share the used signatures (not a memory of their own)."""
    other_db = open_database(settings.database_url.get_secret_value())
    other = web.Application()
    DingTalkChannel(
        app_key="dingappkey",
        app_secret="dingappsecret",
        robot_code="",
        api_url=http_rig.fake.base_url,
        seen=DatabaseSeenSignatures(other_db),
        stream=False,
    ).mount(other, http_rig.runtime.ingest)
    other_http: TestClient[Any, Any] = await aiohttp_client(other)
    headers = http_rig.signed()
    try:
        assert (
            await http_rig.post(
                "/dingtalk/callback", http_rig.message(BOB, "/ping"), headers=headers
            )
            == 200
        )
        forged = http_rig.message(CAROL, "/ping")
        response = await other_http.post("/dingtalk/callback", json=forged, headers=headers)
        assert response.status == 403
    finally:
        await other_db.dispose()
    assert await inbox_count(http_rig.runtime) == 1


async def test_a_request_that_could_not_be_stored_is_accepted_when_resent(
    http_rig: Rig, aiohttp_client: Callable[..., Any]
) -> None:
    """DingTalk is answered 503 and may resend the same request: its signature is given back."""

    async def broken_inbox(_event: InboundEvent) -> Accepted:
        raise OSError("database gone")

    broken = web.Application()
    DingTalkChannel(
        app_key="dingappkey",
        app_secret="dingappsecret",
        robot_code="",
        api_url=http_rig.fake.base_url,
        seen=DatabaseSeenSignatures(http_rig.runtime.db),
        stream=False,
    ).mount(broken, broken_inbox)
    broken_http: TestClient[Any, Any] = await aiohttp_client(broken)
    headers, body = http_rig.signed(), http_rig.message(BOB, "/ping")
    assert (await broken_http.post("/dingtalk/callback", json=body, headers=headers)).status == 503
    assert await http_rig.post("/dingtalk/callback", body, headers=headers) == 200
    assert await inbox_count(http_rig.runtime) == 1


@pytest.mark.parametrize(
    ("path", "field", "value", "reason"),
    [
        ("/dingtalk/callback", "chatbotCorpId", "dingothercorp", "refused.wrong_corp"),
        ("/dingtalk/callback", "chatbotCorpId", None, "refused.wrong_corp"),
        ("/dingtalk/callback", "robotCode", "dingotherrobot", "refused.wrong_robot"),
        ("/dingtalk/card-callback", "corpId", "dingothercorp", "refused.wrong_corp"),
    ],
)
async def test_a_body_for_another_corp_or_robot_is_refused_and_changes_nothing(
    http_rig: Rig, path: str, field: str, value: str | None, reason: str
) -> None:
    card_id, buttons = await _language_card(http_rig, CAROL)
    before = (await inbox_count(http_rig.runtime), len(http_rig.fake.calls))
    body = (
        http_rig.message(BOB, "/lang zh")
        if path == "/dingtalk/callback"
        else card_callback(card_id, CAROL, buttons["中文"]["id"])
    )
    body[field] = value
    with capture_logs() as logs:
        assert await http_rig.post(path, body) == 403
    assert [e["event"] for e in logs] == [reason]
    assert (await inbox_count(http_rig.runtime), len(http_rig.fake.calls)) == before
    body[field] = {"chatbotCorpId": "dingcorp01", "corpId": "dingcorp01"}.get(field, "dingappkey")
    assert await http_rig.post(path, body) == 200  # the same body, addressed to us, is taken
    assert await inbox_count(http_rig.runtime) == before[0] + 1


async def test_default_settings_receive_over_stream_mode_and_serve_no_callback_route(
    sqlite_url: str, aiohttp_server: Callable[..., Any], aiohttp_client: Callable[..., Any]
) -> None:
    fake = FakeDingTalk()
    server: TestServer = await aiohttp_server(fake.app)
    fake.base_url = str(server.make_url("")).rstrip("/")
    settings = Settings(
        database_url=sqlite_url,  # type: ignore[arg-type]
        demo=False,
        poll_interval=0.05,
        dingtalk_app_key=fake.app_key,
        dingtalk_app_secret=fake.app_secret,  # type: ignore[arg-type]
        dingtalk_api_url=fake.base_url,
    )
    assert settings.dingtalk_stream

    def channel(db: Database) -> Channel:
        return dingtalk_channel(settings, DatabaseSeenSignatures(db))

    async with pipeline_behind(settings, channel, aiohttp_client) as (runtime, http):
        rig = Rig(fake, runtime, http)
        for path in ("/dingtalk/callback", "/dingtalk/card-callback"):
            answer = await http.post(path, json=rig.message(CAROL, "/ping"), headers=rig.signed())
            assert answer.status == 404
        rig.stream = True
        assert await rig.say(CAROL, "/ping") == 200
        assert [call.body["text"]["content"] for call in fake.sent(WEBHOOK)] == ["pong"]
        [opened] = fake.opened
        assert opened["clientId"] == fake.app_key


async def test_a_picture_a_member_sends_is_fetched_checked_and_kept(sqlite_rig: Rig) -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x06" * 400
    sqlite_rig.fake.member_files["dc1"] = jpeg
    body = file_message(msg_id="pic1", staff_id=CAROL, code="dc1", picture=True)
    assert await sqlite_rig.post("/dingtalk/callback", body) == 200
    row = await sqlite_rig.runtime.db.run(lambda s: s.scalars(select(FileRow)).one())
    assert (row.content_type, bytes(row.data)) == ("image/jpeg", jpeg)
    payload = await sqlite_rig.runtime.db.run(lambda s: s.scalars(select(InboxRow.payload)).one())
    assert payload["files"][0]["id"] == row.id
    assert "file_download_code" not in payload["extra"]  # the code is never kept


async def test_a_program_sent_as_a_file_is_refused(sqlite_rig: Rig) -> None:
    sqlite_rig.fake.member_files["dc2"] = b"MZ\x90\x00" + b"\x00" * 100
    body = file_message(msg_id="f1", staff_id=CAROL, code="dc2", name="报销单.pdf")
    assert await sqlite_rig.post("/dingtalk/callback", body) == 200
    assert await sqlite_rig.runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []
    said = json.dumps([c.body for c in sqlite_rig.fake.calls], ensure_ascii=False)
    assert "报销单.pdf" in said

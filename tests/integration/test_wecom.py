"""WeCom: our adapter behind a real pipeline, a fake WeCom API in front of it.

What every platform does is tested in test_platform_contract.py; here is what only WeCom does.
``rig`` runs on SQLite and PostgreSQL, ``sqlite_rig`` (verification, rendering) on SQLite only.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from structlog.testing import capture_logs

from adapters.wecom.channel import WeComChannel
from adapters.wecom.routes import PROFILE_SECONDS
from adapters.wecom.signing import WeComCrypto
from bot.app import Runtime
from bot.config import Settings
from bot.contacts import DirectoryExternalContacts
from bot.filestore import DatabaseFiles
from bot.pipeline.tables import FileRow, InboxRow
from domain.directory.external_contacts import ExternalProfileFields, external_contacts
from domain.shared.clock import SystemClock
from tests.fakes.wecom import SEND, UPDATE, FakeWeCom
from tests.rigs import FakeClock, inbox_count, pipeline_behind
from tests.unit.test_wecom_crypto import (
    ECHO_PLAIN,
    ECHOSTR,
    MSG_ENCRYPT,
    MSG_NONCE,
    MSG_SIGNATURE,
    MSG_TIMESTAMP,
    VERIFY_NONCE,
    VERIFY_SIGNATURE,
    VERIFY_TIMESTAMP,
)
from tests.wecom_messages import (
    AES_KEY,
    CORP_ID,
    TOKEN,
    card_event,
    contact_event,
    image_message,
    sealed,
    text_message,
)

BOB, CAROL = "bob.li", "carol.chen"


@dataclass
class Rig:
    fake: FakeWeCom
    runtime: Runtime
    http: TestClient[Any, Any]
    clock: FakeClock
    crypto: WeComCrypto
    ids: int = 0

    async def post(self, plain: str, *, crypto: WeComCrypto | None = None, age: int = 0) -> int:
        query, body = sealed(crypto or self.crypto, plain, int(self.clock()) - age)
        response = await self.http.post("/wecom/callback", params=query, data=body.encode())
        assert response.status != 200 or await response.text() == ""
        await self.runtime.settle()
        return response.status

    async def say(self, user: str, text: str, msg_id: str = "") -> int:
        self.ids += 1
        return await self.post(text_message(user, text, msg_id or f"m{self.ids}", self._now()))

    async def tap(self, user: str, key: str, task_id: str, code: str = "") -> int:
        self.ids += 1
        return await self.post(card_event(user, key, task_id, code, self._now() + self.ids))

    def _now(self) -> int:
        return int(self.clock())


@asynccontextmanager
async def running_rig(
    settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
) -> AsyncIterator[Rig]:
    """Our WeCom channel behind a running pipeline, the fake WeCom API in front of it."""
    fake = FakeWeCom(CORP_ID)
    server: TestServer = await aiohttp_server(fake.app)
    clock = FakeClock(time.time())

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
            clock=clock,
            files=DatabaseFiles(db, SystemClock()),
        )

    async with pipeline_behind(settings, channel, aiohttp_client) as (runtime, http):
        yield Rig(fake, runtime, http, clock, WeComCrypto(TOKEN, AES_KEY, CORP_ID))


@pytest.fixture
async def rig(
    settings: Settings, aiohttp_server: Callable[..., Any], aiohttp_client: Callable[..., Any]
) -> AsyncIterator[Rig]:
    async with running_rig(settings, aiohttp_server, aiohttp_client) as running:
        yield running


@pytest.fixture
async def sqlite_rig(
    sqlite_settings: Settings,
    aiohttp_server: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
) -> AsyncIterator[Rig]:
    """The same, on SQLite only: for what the database plays no part in."""
    async with running_rig(sqlite_settings, aiohttp_server, aiohttp_client) as running:
        yield running


async def test_url_verification_returns_the_plain_echostr(sqlite_rig: Rig) -> None:
    sqlite_rig.clock.now = float(VERIFY_TIMESTAMP)
    query = {
        "msg_signature": VERIFY_SIGNATURE,
        "timestamp": VERIFY_TIMESTAMP,
        "nonce": VERIFY_NONCE,
        "echostr": ECHOSTR,
    }
    response = await sqlite_rig.http.get("/wecom/callback", params=query)
    assert response.status == 200
    assert await response.read() == ECHO_PLAIN.encode()
    bad = await sqlite_rig.http.get("/wecom/callback", params=query | {"nonce": "1"})
    assert bad.status == 401


async def test_the_vendor_sample_message_is_taken_and_answered(sqlite_rig: Rig) -> None:
    sqlite_rig.clock.now = float(MSG_TIMESTAMP)
    query = {"msg_signature": MSG_SIGNATURE, "timestamp": MSG_TIMESTAMP, "nonce": MSG_NONCE}
    body = f"<xml><ToUserName>{CORP_ID}</ToUserName><Encrypt>{MSG_ENCRYPT}</Encrypt></xml>"
    response = await sqlite_rig.http.post("/wecom/callback", params=query, data=body.encode())
    assert (response.status, await response.text()) == (200, "")
    await sqlite_rig.runtime.settle()
    assert await inbox_count(sqlite_rig.runtime) == 1
    [reply] = sqlite_rig.fake.sent(SEND)  # a stranger is told how to bind
    assert reply.body["touser"] == "ChenJiaShun" and reply.body["agentid"] == 1000002
    assert "绑定码" in reply.body["text"]["content"]  # the org speaks Chinese


async def test_whoami_is_answered_with_the_members_card(sqlite_rig: Rig) -> None:
    assert await sqlite_rig.say(BOB, "/whoami") == 200
    [reply] = sqlite_rig.fake.sent(SEND)
    assert reply.body["touser"] == BOB and reply.body["msgtype"] == "markdown"
    assert "李博 Bob" in reply.body["markdown"]["content"]
    assert "@bob" in reply.body["markdown"]["content"]


async def test_xml_with_a_doctype_is_refused(rig: Rig) -> None:
    body = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>'
    response = await rig.http.post("/wecom/callback", params={"timestamp": "1"}, data=body)
    assert response.status == 400
    assert await inbox_count(rig.runtime) == 0


async def _language_card(rig: Rig, user: str) -> tuple[str, dict[str, str]]:
    await rig.say(user, "/lang")
    [sent] = rig.fake.sent(SEND)
    card = sent.body["template_card"]
    assert card["card_type"] == "button_interaction"
    return card["task_id"], {b["text"]: b["key"] for b in card["button_list"]}


async def test_help_button_updates_the_card_in_the_other_language(sqlite_rig: Rig) -> None:
    await sqlite_rig.say(CAROL, "/help")
    [sent] = sqlite_rig.fake.sent(SEND)
    card = sent.body["template_card"]
    [button] = card["button_list"]
    assert button["text"] == "中文"
    task = card["task_id"]
    assert (
        await sqlite_rig.tap(CAROL, button["key"], task, sqlite_rig.fake.response_code(task)) == 200
    )
    [update] = sqlite_rig.fake.sent(UPDATE)
    assert update.body["userids"] == [CAROL] and update.body["agentid"] == 1000002
    assert sqlite_rig.fake.cards[task]["main_title"]["title"] == "我能为你做什么"
    assert sqlite_rig.fake.cards[task]["task_id"] == task


async def test_a_used_response_code_falls_back_to_a_new_message(sqlite_rig: Rig) -> None:
    task, keys = await _language_card(sqlite_rig, CAROL)
    assert await sqlite_rig.tap(CAROL, keys["中文"], task, "rc_never_issued") == 200
    assert [c.path for c in sqlite_rig.fake.calls] == [SEND, UPDATE, SEND]
    assert sqlite_rig.fake.sent(SEND)[-1].body["msgtype"] == "markdown"  # the outcome, anew


async def test_external_contacts_are_stored_added_and_removed(rig: Rig) -> None:
    now = int(rig.clock())
    add = contact_event("add_external_contact", BOB, "wmCUSTOMER1", now, state="fair2026")
    assert await rig.post(add) == 200
    assert await rig.post(add) == 200  # WeCom retries: still one contact
    other = contact_event("add_external_contact", CAROL, "wmCUSTOMER2", now)
    assert await rig.post(other) == 200
    contacts = await rig.runtime.db.run(lambda s: external_contacts(s, "wecom"))
    assert [(c.external_user_id, c.staff_user_id, c.state) for c in contacts] == [
        ("wmCUSTOMER1", BOB, "fair2026"),
        ("wmCUSTOMER2", CAROL, ""),
    ]
    assert contacts[0].workspace == CORP_ID
    removed = contact_event("del_external_contact", BOB, "wmCUSTOMER1", now + 5)
    assert await rig.post(removed) == 200
    assert await rig.post(add) == 200  # a late retry of the older add changes nothing
    active = await rig.runtime.db.run(lambda s: external_contacts(s, "wecom"))
    assert [c.external_user_id for c in active] == ["wmCUSTOMER2"]
    left = contact_event("del_follow_user", CAROL, "wmCUSTOMER2", now + 6)  # the customer left
    assert await rig.post(left) == 200
    assert await rig.runtime.db.run(lambda s: external_contacts(s, "wecom")) == []
    assert await inbox_count(rig.runtime) == 0  # contact changes are not chat events


async def test_an_added_customer_is_looked_up_and_stored_with_their_profile(rig: Rig) -> None:
    rig.fake.add_customer(
        "wmWANG", "Wei", added_by=BOB, remark="王伟", phones=("13800000001",), corp_name="华为"
    )
    now = int(rig.clock())
    assert await rig.post(contact_event("add_external_contact", BOB, "wmWANG", now)) == 200
    [stored] = await rig.runtime.db.run(lambda s: external_contacts(s, "wecom"))
    assert stored.profile == ExternalProfileFields("Wei", "王伟", "华为", ("13800000001",))
    assert rig.fake.profile_lookups == ["wmWANG"]
    removed = contact_event("del_external_contact", BOB, "wmWANG", now + 5)
    assert await rig.post(removed) == 200
    assert rig.fake.profile_lookups == ["wmWANG"]  # a removal is not looked up
    [kept] = await rig.runtime.db.run(lambda s: external_contacts(s, "wecom", active_only=False))
    assert kept.profile == stored.profile and not kept.active


async def test_without_a_profile_the_change_is_still_stored_in_time(rig: Rig) -> None:
    now = int(rig.clock())
    with capture_logs() as logs:
        unknown = contact_event("add_external_contact", BOB, "wmGONE", now)
        assert await rig.post(unknown) == 200  # WeCom answers 84061
        rig.fake.add_customer("wmSLOW", "Slow", added_by=BOB)
        rig.fake.profile_delay = PROFILE_SECONDS + 1
        slow = contact_event("add_external_contact", BOB, "wmSLOW", now)
        assert await rig.post(slow) == 200
    stored = await rig.runtime.db.run(lambda s: external_contacts(s, "wecom"))
    assert [(c.external_user_id, c.profile.name) for c in stored] == [
        ("wmGONE", ""),
        ("wmSLOW", ""),
    ]
    assert [e["external"] for e in logs if e["event"] == "wecom.profile_unavailable"] == [
        "wmGONE",
        "wmSLOW",
    ]


async def test_a_picture_a_member_sends_is_fetched_checked_and_kept(sqlite_rig: Rig) -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x07" * 300
    sqlite_rig.fake.member_media["MEDIA1"] = jpeg
    assert await sqlite_rig.post(image_message("bob.li", "MEDIA1", "img1", 1_700_000_000)) == 200
    row = await sqlite_rig.runtime.db.run(lambda s: s.scalars(select(FileRow)).one())
    assert (row.content_type, bytes(row.data), row.conversation_key) == (
        "image/jpeg",
        jpeg,
        f"wecom:{CORP_ID}:bob.li",
    )
    payload = await sqlite_rig.runtime.db.run(lambda s: s.scalars(select(InboxRow.payload)).one())
    assert payload["files"][0]["id"] == row.id and payload["extra"] == {}


async def test_a_picture_wecom_will_not_give_is_refused_with_a_message(sqlite_rig: Rig) -> None:
    assert await sqlite_rig.post(image_message("bob.li", "GONE", "img2", 1_700_000_000)) == 200
    assert await sqlite_rig.runtime.db.run(lambda s: s.scalars(select(FileRow)).all()) == []
    (sent,) = sqlite_rig.fake.sent(SEND)
    assert "picture-img2.jpg" in json.dumps(sent.body, ensure_ascii=False)

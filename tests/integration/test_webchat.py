"""The web chat through a real aiohttp server: sign-in, the WebSocket and the JSON API.

What the database takes part in (login links used once, duplicates, what is stored or not)
runs on SQLite and on PostgreSQL (``site`` follows ``db_url``); pages, cookies and rendering
run on SQLite only (``sqlite_site``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError

from adapters.webchat.guard import CSRF_FIELD
from adapters.webchat.routes import SIGNED_OUT
from adapters.webchat.signin import COOKIE
from bot.config import Settings
from bot.pipeline.tables import InboxRow, InboxStatus
from domain.directory.services import create_login_link
from tests.support import ORG_YAML
from tests.webchat import (
    FRAME_TIMEOUT,
    Site,
    frame_id,
    frames_until,
    local_login,
    next_frame,
    of_type,
    page_strings,
    say,
    serving,
    tap,
)

HELP_EN = "What I can do for you"
HELP_ZH = "我能为你做什么"
BOB_DEACTIVATED = ORG_YAML.replace(
    "    name: 李博 Bob\n", "    name: 李博 Bob\n    active: false\n"
)


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    """The web chat with local sign-in on (BIZBOT_LOCAL_LOGIN=1, as ``make run``)."""
    async with serving(local_login(settings)) as running:
        yield running


@pytest.fixture
async def plain_site(settings: Settings) -> AsyncIterator[Site]:
    """The web chat with local sign-in off (the default): sign-in by login link only."""
    async with serving(settings) as running:
        yield running


@pytest.fixture
async def sqlite_site(sqlite_settings: Settings) -> AsyncIterator[Site]:
    """``site`` on SQLite only: for what the database plays no part in."""
    async with serving(local_login(sqlite_settings)) as running:
        yield running


@pytest.fixture
async def sqlite_plain_site(sqlite_settings: Settings) -> AsyncIterator[Site]:
    """``plain_site`` on SQLite only."""
    async with serving(sqlite_settings) as running:
        yield running


async def link_for(site: Site, handle: str, *, age: timedelta = timedelta(0)) -> str:
    """A login link made ``age`` ago, valid for 15 minutes from then."""
    made = site.runtime.clock.now() - age
    return await site.runtime.db.run(
        lambda s: create_login_link(s, handle, made, timedelta(minutes=15))
    )


# --- sign-in ---------------------------------------------------------------------------------


async def test_the_chat_page_sends_strangers_to_sign_in(sqlite_site: Site) -> None:
    response = await sqlite_site.client.get("/", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/login"


async def test_local_login_offers_active_members_only(sqlite_site: Site) -> None:
    page = await (await sqlite_site.client.get("/login")).text()
    for handle in ("alice", "bob", "carol"):
        assert f'value="{handle}"' in page
    assert 'value="dave"' not in page and "Dave Gone" not in page


async def test_local_login_sets_an_httponly_cookie_and_the_page_speaks_the_members_language(
    sqlite_site: Site,
) -> None:
    token = await sqlite_site.form_token("/login")
    response = await sqlite_site.client.post(
        "/login", data={"handle": "bob", CSRF_FIELD: token}, allow_redirects=False
    )
    assert response.status == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = await sqlite_site.client.get("/")
    text = await page.text()
    assert page.status == 200
    assert '<html lang="zh-CN">' in text and "李博 Bob <small>@bob</small>" in text
    assert 'placeholder="输入消息，或 /帮助"' in text
    strings = page_strings(text)  # what chat.js reads: must be valid JSON inside <script>
    assert strings["connected"] == "已连接" and strings["reconnecting"] == "正在重新连接…"


async def test_local_login_refuses_deactivated_and_unknown_members(sqlite_site: Site) -> None:
    token = await sqlite_site.form_token("/login")
    for handle in ("dave", "nobody", ""):
        response = await sqlite_site.client.post(
            "/login", data={"handle": handle, CSRF_FIELD: token}, allow_redirects=False
        )
        assert response.status == 302 and response.headers["Location"] == "/login"
        assert COOKIE not in response.cookies


async def test_logout_ends_the_session(sqlite_site: Site) -> None:
    secret = await sqlite_site.login("carol")
    response = await sqlite_site.logout()
    assert response.status == 302 and response.headers["Location"] == "/login"
    sqlite_site.sign_out_locally()
    again = await sqlite_site.client.get("/", cookies={COOKIE: secret}, allow_redirects=False)
    assert again.status == 302


async def test_without_the_setting_there_is_no_local_login(sqlite_plain_site: Site) -> None:
    response = await sqlite_plain_site.client.get("/login", headers={"Accept-Language": "zh-CN,zh"})
    page = await response.text()
    assert response.status == 200
    assert 'name="handle"' not in page and "alice" not in page
    assert "请向管理员索取登录链接" in page
    refused = await sqlite_plain_site.client.post(
        "/login", data={"handle": "alice"}, allow_redirects=False
    )
    assert refused.status == 403
    assert COOKIE not in refused.cookies
    assert (await sqlite_plain_site.client.get("/", allow_redirects=False)).status == 302


async def test_a_login_link_works_exactly_once(plain_site: Site) -> None:
    secret = await link_for(plain_site, "bob")
    token = await plain_site.form_token(f"/login/{secret}")
    confirm = {CSRF_FIELD: token}
    first = await plain_site.client.post(f"/login/{secret}", data=confirm, allow_redirects=False)
    assert first.status == 302 and first.headers["Location"] == "/"
    assert "HttpOnly" in first.headers["Set-Cookie"]
    page = await plain_site.client.get("/")
    assert page.status == 200 and "李博 Bob" in await page.text()
    again = await plain_site.client.post(f"/login/{secret}", data=confirm, allow_redirects=False)
    assert again.status == 403
    assert COOKIE not in again.cookies
    assert "unknown, used or expired" in await again.text()
    plain_site.sign_out_locally()
    second = await plain_site.client.get(f"/login/{secret}", allow_redirects=False)
    assert second.status == 403
    assert "unknown, used or expired" in await second.text()
    assert (await plain_site.client.get("/", allow_redirects=False)).status == 302


async def test_expired_and_unknown_login_links_are_refused(plain_site: Site) -> None:
    expired = await link_for(plain_site, "alice", age=timedelta(minutes=16))
    for secret in (expired, "not-a-link-at-all", "x" * 300):
        response = await plain_site.client.get(f"/login/{secret}", allow_redirects=False)
        assert response.status == 403, secret
        assert COOKIE not in response.cookies
        assert "unknown, used or expired" in await response.text()
    assert (await plain_site.client.get("/", allow_redirects=False)).status == 302


# --- the WebSocket ---------------------------------------------------------------------------


async def test_help_card_and_its_language_button_over_the_websocket(sqlite_site: Site) -> None:
    await sqlite_site.login("alice")
    async with await sqlite_site.socket() as ws:
        hello = await next_frame(ws)
        assert hello == {"type": "history", "lines": [], "rooms": []}
        sent = say("/help")
        await ws.send_json(sent)
        frames = await frames_until(ws, of_type("message"))
        assert {"type": "ack", "id": sent["id"], "duplicate": False} in frames
        card = frames[-1]
        assert card["author"] == "bot" and card["message"]["type"] == "card"
        assert card["message"]["title"] == HELP_EN
        label, token, _style, _command = card["message"]["buttons"][0]
        assert label == "中文"

        pressed = tap(token)
        await ws.send_json(pressed)
        frames = await frames_until(ws, of_type("update"))
        assert {"type": "ack", "id": pressed["id"], "duplicate": False} in frames
        update = frames[-1]
        assert update["id"] == card["id"]
        assert update["message"]["title"] == HELP_ZH
        assert update["message"]["buttons"][0][0] == "English"


async def test_a_resent_frame_is_acknowledged_as_duplicate_and_answered_once(site: Site) -> None:
    await site.login("carol")
    async with await site.socket() as ws:
        await next_frame(ws)
        ping = say("/ping")
        await ws.send_json(ping)
        frames = await frames_until(ws, of_type("message"))
        assert frames[-1]["message"] == {"type": "text", "text": "pong"}
        await site.runtime.settle()

        await ws.send_json(ping)
        assert await next_frame(ws) == {"type": "ack", "id": ping["id"], "duplicate": True}
        await site.runtime.settle()
        await ws.send_json(say("/whoami"))  # anything answered twice would arrive before this
        frames = await frames_until(ws, of_type("message"))
        assert [f["type"] for f in frames] == ["ack", "message"]
        assert frames[-1]["message"]["title"] == "Carol Chen"
    assert await site.inbox_rows() == 2
    assert await site.outbox_rows("carol") == 2


BAD_FRAMES: list[tuple[str, str]] = [
    ("this is not JSON", "需要一个 JSON 对象。"),
    ("[1, 2]", "需要一个 JSON 对象。"),
    ('"/help"', "需要一个 JSON 对象。"),
    (json.dumps({"type": "say", "text": "/help"}), "每条消息都需要一个"),
    (json.dumps({"type": "say", "id": "short", "text": "/help"}), "每条消息都需要一个"),
    (json.dumps({"type": "say", "id": 12345678, "text": "/help"}), "每条消息都需要一个"),
    (json.dumps({"type": "say", "id": "a b c d e f", "text": "/help"}), "每条消息都需要一个"),
    (json.dumps(say("")), "消息是空的。"),
    (json.dumps(say(" \n\t　")), "消息是空的。"),
    (json.dumps({"type": "say", "id": frame_id()}), "消息是空的。"),
    (json.dumps(say("字" * 4001)), "消息太长了（最多 4000 个字符）。"),
    (json.dumps({"type": "shout", "id": frame_id(), "text": "/help"}), "未知的消息类型。"),
    (json.dumps(tap("")), "这个按钮无效。"),
    (json.dumps(tap("t" * 65)), "这个按钮无效。"),
]


async def test_bad_frames_get_an_error_in_the_members_language_and_store_nothing(
    site: Site,
) -> None:
    await site.login("bob")
    async with await site.socket() as ws:
        await next_frame(ws)
        for data, error in BAD_FRAMES:
            await ws.send_str(data)
            answer = await next_frame(ws)
            assert answer["type"] == "error", data
            assert answer["error"].startswith(error), (data, answer)
            assert "retry" not in answer
            sent = json.loads(data) if data.startswith("{") else None
            assert answer["id"] == (sent.get("id") if sent else None)
    assert await site.inbox_rows() == 0
    assert await site.outbox_rows("bob") == 0


async def test_a_websocket_needs_a_session_and_our_own_origin(sqlite_site: Site) -> None:
    with pytest.raises(WSServerHandshakeError) as anonymous:
        await sqlite_site.socket()
    assert anonymous.value.status == 401
    await sqlite_site.login("alice")
    for origin in ("http://evil.example", "null", f"http://{sqlite_site.client.host}:1"):
        with pytest.raises(WSServerHandshakeError) as foreign:
            await sqlite_site.client.ws_connect("/ws", headers={"Origin": origin})
        assert foreign.value.status == 403, origin
    async with await sqlite_site.socket() as ws:
        assert (await next_frame(ws))["type"] == "history"


async def test_history_after_reconnect_shows_the_card_as_edited(site: Site) -> None:
    await site.login("alice")
    async with await site.socket() as ws:
        await next_frame(ws)
        await ws.send_json(say("/help"))
        card = (await frames_until(ws, of_type("message")))[-1]
        await ws.send_json(tap(card["message"]["buttons"][0][1]))
        await frames_until(ws, of_type("update"))
        await site.runtime.settle()
    async with await site.socket() as ws:
        history = await next_frame(ws)
    assert history["type"] == "history"
    lines: list[dict[str, Any]] = history["lines"]
    assert [line["author"] for line in lines] == ["member", "bot"]
    assert lines[0]["message"] == {"type": "text", "text": "/help"}
    assert lines[1]["id"] == card["id"]
    assert lines[1]["message"]["title"] == HELP_ZH


async def test_a_member_deactivated_after_sign_in_is_refused_at_once(site: Site) -> None:
    secret = await site.login("bob")
    async with await site.socket() as ws:
        await next_frame(ws)
        await site.reimport(BOB_DEACTIVATED)
        await ws.send_json(say("/whoami"))
        refused = await next_frame(ws)
        assert refused["type"] == "error" and "请重新登录" in refused["error"]
        closing = await ws.receive(timeout=FRAME_TIMEOUT)
        assert closing.type is WSMsgType.CLOSE and closing.data == SIGNED_OUT
    assert await site.inbox_rows() == 0
    page = await site.client.get("/", cookies={COOKIE: secret}, allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == "/login"
    api = await site.client.post("/api/messages", json=say("/whoami"))
    assert api.status == 401
    with pytest.raises(WSServerHandshakeError) as again:
        await site.socket()
    assert again.value.status == 401
    assert await site.inbox_rows() == 0


# --- the HTTP API ----------------------------------------------------------------------------


async def test_the_api_needs_a_session(site: Site) -> None:
    assert (await site.client.post("/api/messages", json=say("/ping"))).status == 401
    assert (await site.client.get("/api/history")).status == 401
    assert await site.inbox_rows() == 0


async def test_the_api_takes_json_frames_and_answers_like_the_socket(site: Site) -> None:
    await site.login("alice")
    plain = await site.client.post("/api/messages", data="/ping")
    assert plain.status == 415
    form = await site.client.post("/api/messages", data={"type": "say", "text": "/ping"})
    assert form.status == 415
    bad = await site.client.post(
        "/api/messages", data="{", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400 and (await bad.json())["error"] == "Expected a JSON object."
    too_long = await site.client.post("/api/messages", json=say("x" * 4001))
    assert too_long.status == 400 and (await too_long.json())["type"] == "error"
    assert await site.inbox_rows() == 0

    ping = say("/ping")
    first = await site.client.post("/api/messages", json=ping)
    assert first.status == 200
    assert await first.json() == {"type": "ack", "id": ping["id"], "duplicate": False}
    again = await site.client.post("/api/messages", json=ping)
    assert again.status == 200 and (await again.json())["duplicate"] is True
    longest = await site.client.post("/api/messages", json=say("x" * 4000))
    assert longest.status == 200
    await site.runtime.settle()

    history = await site.client.get("/api/history")
    assert history.status == 200
    lines = (await history.json())["lines"]
    assert [(line["author"], line["message"]["type"]) for line in lines] == [
        ("member", "text"),
        ("bot", "text"),
        ("member", "text"),
        ("bot", "text"),
    ]
    assert lines[0]["message"]["text"] == "/ping" and lines[1]["message"]["text"] == "pong"
    assert await site.outbox_rows("alice") == 2


async def test_the_api_answers_400_to_bytes_and_characters_it_cannot_use(site: Site) -> None:
    await site.login("alice")
    raw = {"Content-Type": "application/json"}
    not_utf8 = await site.client.post(
        "/api/messages", data=b'{"type": "say", "id": "abcdefgh", "text": "\xff\xfe"}', headers=raw
    )
    assert not_utf8.status == 400
    odd_charset = await site.client.post(
        "/api/messages",
        data=json.dumps(say("/ping")).encode(),
        headers={"Content-Type": "application/json; charset=klingon"},
    )
    assert odd_charset.status == 200  # JSON is UTF-8 whatever the header says
    for token in ("ab\x00cd", "\ud800", "token with spaces", "tøken"):
        refused = await site.client.post("/api/messages", json=tap(token))
        assert refused.status == 400, token
    trailing_newline = await site.client.post("/api/messages", json=say("/ping", "abcdefgh\n"))
    assert trailing_newline.status == 400
    # PostgreSQL cannot take NUL or lone surrogates as query parameters: they are dropped.
    for text in ("/invite zed\x00", "/invite \ud800zed", "/whoami\x1b"):
        accepted = await site.client.post("/api/messages", json=say(text))
        assert accepted.status == 200, text
    await site.runtime.settle()
    assert await site.count(InboxRow.id, InboxRow.status == InboxStatus.DONE) == 4
    lines = (await (await site.client.get("/api/history")).json())["lines"]
    bot = [line["message"] for line in lines if line["author"] == "bot"]
    assert bot[1:3] == [{"type": "text", "text": "No member with handle zed."}] * 2
    assert bot[3]["title"] == "Alice Admin"

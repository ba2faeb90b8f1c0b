"""The web chat's sign-in guards, each hole of issue 11 as it was reproduced: local sign-in needs
BIZBOT_LOCAL_LOGIN, no public URL and a browser on this computer; a form counts only with its
token and from this site; one-time links are used only by their confirmation's POST; every answer
has a strict content policy; a WebSocket needs this site's exact origin; frame ids belong to
their sender. SQLite (the database plays no part)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientWebSocketResponse, WSServerHandshakeError
from sqlalchemy import select
from structlog.testing import capture_logs

from adapters.webchat.guard import CSRF_FIELD, FORWARDING_HEADERS
from adapters.webchat.signin import COOKIE
from bot.config import Settings
from bot.pipeline.tables import InboxRow
from domain.directory.models import MemberToken
from domain.directory.services import create_login_link, start_web_session
from tests.webchat import (
    Site,
    frame_id,
    frames_until,
    local_login,
    next_frame,
    of_type,
    say,
    serving,
)

PUBLIC_URL = "https://chat.example.com"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
NOT_HERE = "only in a browser on the computer running Bizbot"
FORM_REFUSED = "This form has expired or was sent from another site."
PROXIED: list[tuple[dict[str, str], str]] = [
    ({"Host": "bizbot.example.com"}, "host"),  # a TLS proxy passing the public name on
    ({"Host": "rebound.evil.example:8080"}, "host"),  # DNS rebinding: the attacker's name, here
    ({"Host": "127.0.0.1.evil.example"}, "host"),
    ({"Host": "localhost@evil.example"}, "host"),
    ({"Host": ""}, "host"),
    *(({name: "203.0.113.7"}, "forwarded") for name in FORWARDING_HEADERS),
    (
        {
            "Host": "bizbot.example.com",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "Origin": "https://bizbot.example.com",
        },
        "host",
    ),
]


@pytest.fixture
async def site(sqlite_settings: Settings) -> AsyncIterator[Site]:
    """Local sign-in on (BIZBOT_LOCAL_LOGIN=1, as ``make run``)."""
    async with serving(local_login(sqlite_settings)) as running:
        yield running


@pytest.fixture
async def plain_site(sqlite_settings: Settings) -> AsyncIterator[Site]:
    """The defaults: no BIZBOT_LOCAL_LOGIN, listening on 127.0.0.1."""
    async with serving(sqlite_settings) as running:
        yield running


def reasons(logs: Iterable[Mapping[str, Any]], event: str) -> list[str]:
    """The reasons logged for one kind of refusal, in order."""
    return [entry["reason"] for entry in logs if entry["event"] == event]


async def post_login(
    site: Site, data: dict[str, str], headers: dict[str, str] | None = None
) -> ClientResponse:
    """Post the local login form as given (not following the redirect)."""
    return await site.client.post("/login", data=data, headers=headers, allow_redirects=False)


async def web_sessions(site: Site) -> int:
    """Web chat sessions ever opened."""
    return await site.count(MemberToken.token_hash, MemberToken.purpose == "web_session")


# --- local sign-in -----------------------------------------------------------------------------


async def test_without_bizbot_local_login_nobody_signs_in_as_anyone(plain_site: Site) -> None:
    page = await (await plain_site.client.get("/login")).text()
    assert 'name="handle"' not in page and "Alice Admin" not in page
    with capture_logs() as logs:
        refused = await post_login(plain_site, {"handle": "alice"})
    assert refused.status == 403 and COOKIE not in refused.cookies
    assert "Ask your administrator for a login link" in await refused.text()
    assert reasons(logs, "refused.local_login") == ["off"]
    assert await web_sessions(plain_site) == 0


async def test_a_public_url_turns_local_login_off_and_says_so(sqlite_settings: Settings) -> None:
    settings = local_login(sqlite_settings).model_copy(update={"public_url": PUBLIC_URL})
    with capture_logs() as logs:
        async with serving(settings) as site:
            page = await site.client.get("/login", headers={"Accept-Language": "zh-CN"})
            shown = await page.text()
            refused = await post_login(site, {"handle": "alice"})
            told = await refused.text()
            assert await web_sessions(site) == 0
    assert 'name="handle"' not in shown and "已设置 BIZBOT_PUBLIC_URL" in shown
    assert refused.status == 403 and COOKIE not in refused.cookies
    assert "off because BIZBOT_PUBLIC_URL is set" in told
    assert reasons(logs, "refused.local_login") == ["public_url", "public_url"]  # start, then post


async def test_local_login_through_a_proxy_or_under_another_name_is_refused(site: Site) -> None:
    await site.client.get("/login")
    token = site.csrf_cookie()  # the form's token: only where the request came from is wrong
    with capture_logs() as logs:
        for headers, _reason in PROXIED:
            page = await site.client.get("/login", headers=headers)
            assert 'name="handle"' not in await page.text(), headers
            refused = await post_login(site, {"handle": "alice", CSRF_FIELD: token}, headers)
            assert refused.status == 403, headers
            assert COOKIE not in refused.cookies
            assert NOT_HERE in await refused.text()
    assert reasons(logs, "refused.local_login") == [reason for _headers, reason in PROXIED]
    assert await web_sessions(site) == 0
    for host in ("127.0.0.1", "LOCALHOST:8080", "[::1]:8080"):
        signed_in = await post_login(site, {"handle": "alice", CSRF_FIELD: token}, {"Host": host})
        assert signed_in.status == 302, host


async def test_a_login_form_without_its_token_or_from_another_site_changes_nothing(
    site: Site,
) -> None:
    await site.client.get("/login")
    token = site.csrf_cookie()
    elsewhere = f"https://{site.client.host}:{site.client.port}"
    attempts: list[tuple[dict[str, str], dict[str, str]]] = [
        ({"handle": "alice"}, {}),  # what a form on another site can post
        ({"handle": "alice", CSRF_FIELD: "x" * 43}, {}),
        ({"handle": "alice", CSRF_FIELD: token}, {"Origin": "http://evil.example"}),
        ({"handle": "alice", CSRF_FIELD: token}, {"Origin": "null"}),
        ({"handle": "alice", CSRF_FIELD: token}, {"Origin": elsewhere}),
    ]
    with capture_logs() as logs:
        for data, headers in attempts:
            refused = await post_login(site, data, headers)
            assert refused.status == 403, (data, headers)
            assert COOKIE not in refused.cookies
            assert FORM_REFUSED in await refused.text()
        site.sign_out_locally()  # the right token, but not this browser's cookie
        refused = await post_login(site, {"handle": "alice", CSRF_FIELD: token})
        assert refused.status == 403
    assert reasons(logs, "refused.form") == [
        "csrf_missing",
        "csrf_mismatch",
        "origin",
        "origin",
        "origin",
        "csrf_missing",
    ]
    assert await web_sessions(site) == 0
    assert (await site.client.get("/", allow_redirects=False)).status == 302


async def test_logging_out_needs_the_chat_pages_token(site: Site) -> None:
    await site.login("carol")
    await site.client.get("/")
    for data in ({}, {CSRF_FIELD: "x" * 43}):
        refused = await site.client.post("/logout", data=data, allow_redirects=False)
        assert refused.status == 403
    assert (await site.client.get("/", allow_redirects=False)).status == 200  # still signed in
    assert (await site.logout()).status == 302
    assert (await site.client.get("/", allow_redirects=False)).status == 302


# --- one-time links ----------------------------------------------------------------------------


async def test_opening_a_login_link_asks_first_and_uses_nothing_up(plain_site: Site) -> None:
    now = plain_site.runtime.clock.now()
    secret = await plain_site.runtime.db.run(
        lambda s: create_login_link(s, "bob", now, timedelta(minutes=15))
    )
    link = f"/login/{secret}"
    for _ in range(2):  # a chat app's link preview, a mail scanner, then the member
        page = await plain_site.client.get(
            link, headers={"Accept-Language": "zh-CN"}, allow_redirects=False
        )
        assert page.status == 200 and COOKIE not in page.cookies
        shown = await page.text()
        assert "以 李博 Bob（@bob）的身份登录 Bizbot？" in shown and ">登录</button>" in shown
    assert (await plain_site.client.head(link, allow_redirects=False)).status == 200
    unconfirmed = await plain_site.client.post(link, allow_redirects=False)
    assert unconfirmed.status == 403  # no token: not the confirmation page's own POST
    assert await web_sessions(plain_site) == 0

    assert (await plain_site.confirm(link)).status == 302
    assert "李博 Bob" in await (await plain_site.client.get("/")).text()
    again = await plain_site.client.post(
        link, data={CSRF_FIELD: plain_site.csrf_cookie()}, allow_redirects=False
    )
    assert again.status == 403 and COOKIE not in again.cookies
    assert await web_sessions(plain_site) == 1


# --- headers and origins -----------------------------------------------------------------------


async def test_every_answer_carries_the_content_policy(site: Site) -> None:
    await site.login("alice")
    paths = ["/", "/login", "/login/no-such-link", "/static/chat.js", "/api/history", "/healthz"]
    for path in paths:
        response = await site.client.get(path, allow_redirects=False)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


async def test_a_websocket_needs_this_sites_exact_origin(site: Site) -> None:
    await site.login("alice")
    host = f"{site.client.host}:{site.client.port}"
    for origin in (
        f"https://{host}",
        f"ws://{host}",
        f"http://{host}/",
        f"http://{site.client.host}",
        "https://evil.example",
        "null",
    ):
        with pytest.raises(WSServerHandshakeError) as refused:
            await site.client.ws_connect("/ws", headers={"Origin": origin})
        assert refused.value.status == 403, origin
    async with await site.socket() as ws:
        assert (await next_frame(ws))["type"] == "history"


async def test_behind_a_public_url_a_websocket_needs_its_origin(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings.model_copy(update={"public_url": PUBLIC_URL})) as site:
        now = site.runtime.clock.now()
        secret, _member = await site.runtime.db.run(
            lambda s: start_web_session(s, now, timedelta(days=1), handle="alice")
        )
        signed_in = {"Cookie": f"{COOKIE}={secret}"}
        for origin in (site.origin, "http://chat.example.com", "https://chat.example.com:8443"):
            with pytest.raises(WSServerHandshakeError) as refused:
                await site.client.ws_connect("/ws", headers={**signed_in, "Origin": origin})
            assert refused.value.status == 403, origin
        headers = {**signed_in, "Origin": PUBLIC_URL}
        async with site.client.ws_connect("/ws", headers=headers) as ws:
            assert (await next_frame(ws))["type"] == "history"


# --- frame ids -----------------------------------------------------------------------------------


async def ack_and_reply(ws: ClientWebSocketResponse) -> tuple[dict[str, Any], str]:
    """The ack of the frame just sent, and the title of its reply ("" for a duplicate)."""
    frames = await frames_until(ws, of_type("ack"))
    ack = frames[-1]
    if ack["duplicate"]:
        return ack, ""
    replies = [f for f in frames if f["type"] == "message"]
    reply = replies[0] if replies else (await frames_until(ws, of_type("message")))[-1]
    return ack, str(reply["message"]["title"])


async def test_two_members_sending_the_same_frame_id_are_both_answered(site: Site) -> None:
    sessions = {}
    for handle in ("alice", "bob"):
        sessions[handle] = await site.login(handle)
        site.sign_out_locally()
    shared = frame_id()

    async def whoami(handle: str) -> tuple[dict[str, Any], str]:
        headers = {"Origin": site.origin, "Cookie": f"{COOKIE}={sessions[handle]}"}
        async with site.client.ws_connect("/ws", headers=headers) as ws:
            await next_frame(ws)
            await ws.send_json(say("/whoami", shared))
            return await ack_and_reply(ws)

    fresh = {"type": "ack", "id": shared, "duplicate": False}
    assert await whoami("alice") == (fresh, "Alice Admin")
    assert await whoami("bob") == (fresh, "李博 Bob")
    resent = await whoami("bob")  # the same member again, after reconnecting: one answer only
    assert resent == ({**fresh, "duplicate": True}, "")
    await site.runtime.settle()
    stored = await site.runtime.db.run(lambda s: sorted(s.scalars(select(InboxRow.event_id))))
    assert stored == [f"alice:{shared}", f"bob:{shared}"]
    assert await site.outbox_rows("alice") == await site.outbox_rows("bob") == 1

"""A fake WeCom API (``/cgi-bin``): gettoken, message/send, message/update_template_card,
externalcontact/get for the customers in ``customers``, and group chats (appchat/create, get,
send; ``chats``).

Answers follow WeCom's documented shapes (research/protocols.md §4.4, §4.5). Knobs:
``fail_next`` queues ``(http status, body)`` answers for the next message calls,
``expire_tokens`` makes issued tokens answer errcode 42001, ``invalid_users`` answer 81013,
``profile_delay`` holds externalcontact/get answers back that many seconds.
Each ``response_code`` works once, as WeCom documents.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.failures import Failure

SEND = "/cgi-bin/message/send"
UPDATE = "/cgi-bin/message/update_template_card"
EXTERNAL_CONTACT = "/cgi-bin/externalcontact/get"
CHAT_CREATE, CHAT_GET, CHAT_SEND = (
    "/cgi-bin/appchat/create", "/cgi-bin/appchat/get", "/cgi-bin/appchat/send",
)  # fmt: skip
CHAT_EXISTS, NO_CHAT = 86215, 86003  # the fake's answers: the chatid is taken; no such chat
NOT_A_CUSTOMER = 84061  # WeCom: no external-contact relationship with this user
CODE_UNUSABLE = 40098  # the fake's answer for a used or unknown response_code
MEDIA_UPLOAD = "/cgi-bin/media/upload"
MEDIA_LIMITS = {"image": 10 * 1024 * 1024, "file": 20 * 1024 * 1024}  # and at least 5 bytes
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass
class Media:
    """Temporary media uploaded with media/upload."""

    media_id: str
    kind: str
    name: str
    data: bytes


@dataclass
class Call:
    """One message call the fake answered."""

    path: str
    body: dict[str, Any]
    token: str
    at: float


class FakeWeCom:
    """The fake's state; ``app`` serves it under ``/cgi-bin``."""

    def __init__(self, corp_id: str) -> None:
        self.corp_id, self.secret = corp_id, "wecom-secret"
        self.calls: list[Call] = []
        self.token_fetches = 0
        self.valid_tokens: set[str] = set()
        self.fail_next: deque[Failure] = deque()
        self.invalid_users: set[str] = set()
        self.cards: dict[str, dict[str, Any]] = {}  # task_id -> current template_card
        self.codes: dict[str, str] = {}  # unused response_code -> task_id
        self.customers: dict[str, dict[str, Any]] = {}  # external_userid -> externalcontact/get
        self.profile_delay = 0.0
        self.profile_lookups: list[str] = []
        self.media: dict[str, Media] = {}
        self.app = web.Application(client_max_size=MEDIA_LIMITS["file"] + 1024 * 1024)
        self.app.router.add_post(MEDIA_UPLOAD, self._media_upload)
        self.app.router.add_get("/cgi-bin/media/get", self._media_get)
        self.member_media: dict[str, bytes] = {}  # media id -> a picture a member sent
        self.shown_files: list[tuple[str, str, str]] = []  # (user, kind, media id) delivered
        self.app.router.add_get("/cgi-bin/gettoken", self._token)
        self.app.router.add_post(SEND, self._message)
        self.app.router.add_post(UPDATE, self._message)
        self.app.router.add_get(EXTERNAL_CONTACT, self._external_contact)
        self.chats: dict[str, dict[str, Any]] = {}  # chatid -> name, owner, userlist, messages
        self.app.router.add_post(CHAT_CREATE, self._chat)
        self.app.router.add_get(CHAT_GET, self._chat)
        self.app.router.add_post(CHAT_SEND, self._chat)

    def expire_tokens(self) -> None:
        """Every token issued so far now answers errcode 42001."""
        self.valid_tokens.clear()

    def sent(self, path: str) -> list[Call]:
        """Calls to one endpoint, oldest first."""
        return [c for c in self.calls if c.path == path]

    def add_customer(
        self,
        external_user_id: str,
        name: str,
        *,
        added_by: str,
        remark: str = "",
        phones: tuple[str, ...] = (),
        corp_name: str = "",
    ) -> None:
        """A customer as ``externalcontact/get`` will describe them (a WeChat user)."""
        follow = {"userid": added_by, "remark": remark, "remark_mobiles": list(phones)}
        contact = {"external_userid": external_user_id, "name": name, "type": 1, "gender": 0}
        if corp_name:
            contact |= {"type": 2, "corp_name": corp_name}
        self.customers[external_user_id] = {"external_contact": contact, "follow_user": [follow]}

    def response_code(self, task_id: str) -> str:
        """A one-time code, as a template_card_event carries for a tapped card."""
        code = f"rc_{secrets.token_hex(6)}"
        self.codes[code] = task_id
        return code

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.token_fetches += 1
        token = f"wtok{self.token_fetches}"
        self.valid_tokens.add(token)
        answer = {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        return web.json_response(answer)

    async def _message(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        if token not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        body = await request.json()
        self.calls.append(Call(request.path, body, token, time.monotonic()))
        if self.fail_next:
            failure = self.fail_next.popleft()
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if request.path == SEND:
            return web.json_response(self._send(body))
        return web.json_response(self._update(body))

    async def _media_upload(self, request: web.Request) -> web.Response:
        """WeCom's checks: the token, a type, one ``media`` part with a name, the size limits."""
        if request.query.get("access_token", "") not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        kind = request.query.get("type", "")
        if kind not in ("image", "voice", "video", "file"):
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        media = (await request.post()).get("media")
        if not isinstance(media, web.FileField) or not media.filename:
            return web.json_response({"errcode": 41001, "errmsg": "missing media"})
        data = media.file.read()
        if not 5 <= len(data) <= MEDIA_LIMITS.get(kind, MEDIA_LIMITS["file"]):
            return web.json_response({"errcode": 40006, "errmsg": "invalid file size"})
        if kind == "image" and not media.filename.lower().endswith(IMAGE_SUFFIXES):
            return web.json_response({"errcode": 40005, "errmsg": "invalid file type"})
        media_id = f"3m{len(self.media) + 1:06d}"
        self.media[media_id] = Media(media_id, kind, media.filename, data)
        answer = {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id}
        return web.json_response(answer | {"created_at": "1380000000"})

    async def _media_get(self, request: web.Request) -> web.Response:
        """The bytes of a member's picture, or WeCom's JSON error."""
        if request.query.get("access_token", "") not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        data = self.member_media.get(request.query.get("media_id", ""))
        if data is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=data, content_type="image/jpeg")

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body["touser"]
        kind = body["msgtype"]
        if kind in ("image", "file") and body.get(kind, {}).get("media_id") not in self.media:
            return {"errcode": 40007, "errmsg": "invalid media_id"}
        if kind in ("image", "file"):
            shown = (user, kind, body[kind]["media_id"])
            if body.get("enable_duplicate_check") == 1 and shown in self.shown_files:
                return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "dup"}
            self.shown_files.append(shown)
        if user in self.invalid_users:
            return {
                "errcode": 81013,
                "errmsg": "user & party & tag all invalid",
                "invaliduser": user,
            }
        if body["msgtype"] == "template_card":
            card = body["template_card"]
            self.cards[card["task_id"]] = card
        answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"msg{len(self.calls)}"}
        return answer | {"response_code": f"send_{secrets.token_hex(4)}"}

    async def _chat(self, request: web.Request) -> web.Response:
        """appchat/create (at least two members, a chatid not taken), get, send."""
        if request.query.get("access_token", "") not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        body = await request.json() if request.method == "POST" else dict(request.query)
        self.calls.append(Call(request.path, body, request.query["access_token"], time.monotonic()))
        chat = self.chats.get(str(body.get("chatid", "")))
        if request.path == CHAT_CREATE:
            if chat is not None:
                return web.json_response({"errcode": CHAT_EXISTS, "errmsg": "chatid exists"})
            if len(body.get("userlist") or []) < 2:
                return web.json_response({"errcode": 86216, "errmsg": "too few members"})
            self.chats[body["chatid"]] = {**body, "messages": []}
            return web.json_response({"errcode": 0, "errmsg": "ok", "chatid": body["chatid"]})
        if chat is None:
            return web.json_response({"errcode": NO_CHAT, "errmsg": "chat not found"})
        if request.path == CHAT_SEND:
            chat["messages"].append(body)
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        info = {k: chat[k] for k in ("chatid", "name", "owner", "userlist")}
        return web.json_response({"errcode": 0, "errmsg": "ok", "chat_info": info})

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        task = self.codes.pop(body.get("response_code", ""), None)
        if task is None:
            return {"errcode": CODE_UNUSABLE, "errmsg": "invalid response_code"}
        self.cards[task] = body["template_card"]
        return {"errcode": 0, "errmsg": "ok", "invaliduser": []}

    async def _external_contact(self, request: web.Request) -> web.Response:
        if request.query.get("access_token", "") not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        user = request.query.get("external_userid", "")
        self.profile_lookups.append(user)
        await asyncio.sleep(self.profile_delay)
        found = self.customers.get(user)
        if found is None:
            return web.json_response({"errcode": NOT_A_CUSTOMER, "errmsg": "not external contact"})
        return web.json_response({"errcode": 0, "errmsg": "ok", **found})

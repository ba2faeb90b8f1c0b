"""A fake DingTalk: OpenAPI (token, robot sends, cards), session webhooks, the Stream gateway.

Responses follow the shapes in DingTalk's docs and in dingtalk-stream's sources
(research/protocols.md §3). Knobs: ``fail_next`` queues answers for the next API calls,
``revoke_tokens`` makes issued tokens invalid (401), ``invalid_users`` are listed as unknown.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.failures import Failure

TOKEN_PATH = "/v1.0/oauth2/accessToken"
BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
GROUP_SEND = "/v1.0/robot/groupMessages/send"
CARD_SEND = "/v1.0/im/v1.0/robot/interactiveCards/send"
CARD_UPDATE = "/v1.0/im/robots/interactiveCards"
WEBHOOK = "/robot/sendBySession"
OPEN_CONNECTION = "/v1.0/gateway/connections/open"
FILE_DOWNLOAD = "/v1.0/robot/messageFiles/download"
MEDIA_UPLOAD = "/media/upload"  # on oapi.dingtalk.com; the fake serves both hosts
MAX_MEDIA = 20 * 1024 * 1024
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp")


@dataclass
class Media:
    """A file uploaded with /media/upload."""

    media_id: str
    kind: str
    name: str
    data: bytes


@dataclass
class Call:
    """One request the fake answered."""

    method: str
    path: str
    body: dict[str, Any]
    token: str
    at: float


class FakeDingTalk:
    """The fake's state; ``app`` serves it."""

    def __init__(self) -> None:
        self.app_key, self.app_secret = "dingappkey", "dingappsecret"
        self.calls: list[Call] = []
        self.token_fetches = 0
        self.expire_in = 7200
        self.valid_tokens: set[str] = set()
        self.fail_next: deque[Failure] = deque()
        self.invalid_users: set[str] = set()
        self.cards: dict[str, dict[str, Any]] = {}  # cardBizId -> current cardData
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.acks: list[dict[str, Any]] = []
        self.opened: list[dict[str, Any]] = []
        self.media: dict[str, Media] = {}
        self.base_url = ""
        self.app = web.Application(client_max_size=MAX_MEDIA + 1024 * 1024)
        self.app.router.add_post(MEDIA_UPLOAD, self._media_upload)
        self.app.router.add_post(FILE_DOWNLOAD, self._file_download)
        self.app.router.add_get("/member-files/{code}", self._member_file)
        self.member_files: dict[str, bytes] = {}  # downloadCode -> what a member sent
        self.app.router.add_post(TOKEN_PATH, self._token)
        for path in (BATCH_SEND, GROUP_SEND, CARD_SEND):
            self.app.router.add_post(path, self._api)
        self.app.router.add_put(CARD_UPDATE, self._api)
        self.app.router.add_post(WEBHOOK, self._webhook)
        self.app.router.add_post(OPEN_CONNECTION, self._open_connection)
        self.app.router.add_get("/connect", self._socket)

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid (the API answers 401)."""
        self.valid_tokens.clear()

    def sent(self, path: str) -> list[Call]:
        """Calls to one endpoint, oldest first."""
        return [c for c in self.calls if c.path == path]

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"appKey": self.app_key, "appSecret": self.app_secret}:
            return web.json_response({"code": "invalidClientId", "message": "bad"}, status=400)
        self.token_fetches += 1
        token = f"tok{self.token_fetches}"
        self.valid_tokens.add(token)
        return web.json_response({"accessToken": token, "expireIn": self.expire_in})

    async def _api(self, request: web.Request) -> web.Response:
        token = request.headers.get("x-acs-dingtalk-access-token", "")
        if token not in self.valid_tokens:
            body = {"code": "InvalidAuthentication", "message": "token is not authorized"}
            return web.json_response(body, status=401)
        body = await request.json()
        if self.fail_next:
            failure = self.fail_next.popleft()
            self._record(request, body, token)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        self._record(request, body, token)
        return web.json_response(self._answer(request, body))

    def _answer(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        if request.path == BATCH_SEND:
            invalid = [u for u in body["userIds"] if u in self.invalid_users]
            answer = {"processQueryKey": f"q{len(self.calls)}", "invalidStaffIdList": invalid}
            return answer | {"flowControlledStaffIdList": []}
        if request.path == CARD_SEND:
            self.cards[body["cardBizId"]] = json.loads(body["cardData"])
        if request.path == CARD_UPDATE:
            self.cards[body["cardBizId"]] = json.loads(body["cardData"])
            return {"success": True, "result": True}
        return {"processQueryKey": f"q{len(self.calls)}"}

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.fail_next:
            failure = self.fail_next.popleft()
            self._record(request, body, "")
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        self._record(request, body, "")
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _file_download(self, request: web.Request) -> web.Response:
        """A short-lived URL for a member's file, for the app token and its own robot."""
        token = request.headers.get("x-acs-dingtalk-access-token", "")
        if token not in self.valid_tokens:
            body = {"code": "InvalidAuthentication", "message": "token is not authorized"}
            return web.json_response(body, status=401)
        body = await request.json()
        self._record(request, body, token)
        code = body.get("downloadCode", "")
        if body.get("robotCode") != self.app_key or code not in self.member_files:
            return web.json_response({"code": "invalidParameter", "message": "bad"}, status=400)
        return web.json_response({"downloadUrl": f"{self.base_url}/member-files/{code}"})

    async def _member_file(self, request: web.Request) -> web.Response:
        data = self.member_files.get(request.match_info["code"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _media_upload(self, request: web.Request) -> web.Response:
        """The older API's checks: token in the query, a known type, one ``media`` part."""
        token = request.query.get("access_token", "")
        if token not in self.valid_tokens:
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        kind = request.query.get("type", "")
        if kind not in ("image", "voice", "video", "file"):
            return web.json_response({"errcode": 40004, "errmsg": "不合法的媒体文件类型"})
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 41001, "errmsg": "缺少media参数"})
        data = media.file.read()
        self._record(request, {"type": kind, "name": media.filename, "size": len(data)}, token)
        if not data or len(data) > MAX_MEDIA:
            return web.json_response({"errcode": 40006, "errmsg": "不合法的文件大小"})
        if kind == "image" and not media.filename.lower().endswith(IMAGE_SUFFIXES):
            return web.json_response({"errcode": 40005, "errmsg": "不合法的文件类型"})
        media_id = f"@media{len(self.media) + 1}"
        self.media[media_id] = Media(media_id, kind, media.filename, data)
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": 1}
        )

    def _record(self, request: web.Request, body: dict[str, Any], token: str) -> None:
        self.calls.append(Call(request.method, request.path, body, token, time.monotonic()))

    async def _open_connection(self, request: web.Request) -> web.Response:
        self.opened.append(await request.json())
        endpoint = self.base_url.replace("http://", "ws://") + "/connect"
        return web.json_response({"endpoint": endpoint, "ticket": "ticket-1"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        pump = asyncio.create_task(self._pump(ws))
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self.acks.append(json.loads(message.data))
        finally:
            pump.cancel()
        return ws

    async def _pump(self, ws: web.WebSocketResponse) -> None:
        while True:
            frame = await self.frames.get()
            await ws.send_json(frame)


def robot_message(
    text: str,
    *,
    msg_id: str,
    staff_id: str,
    webhook: str,
    expires_ms: int,
    conversation: str = "cidDirect0002BOB==",
    conversation_type: str = "1",
) -> dict[str, Any]:
    """A robot callback body as DingTalk documents it (HTTP and Stream alike)."""
    return {
        "conversationId": conversation,
        "chatbotCorpId": "dingcorp01",
        "chatbotUserId": "$:LWCP_v1:$robot",
        "msgId": msg_id,
        "senderNick": "Someone",
        "isAdmin": False,
        "senderStaffId": staff_id,
        "sessionWebhookExpiredTime": expires_ms,
        "createAt": expires_ms - 5_400_060,
        "senderCorpId": "dingcorp01",
        "conversationType": conversation_type,
        "senderId": f"$:LWCP_v1:${staff_id}",
        "sessionWebhook": webhook,
        "robotCode": "dingappkey",
        "msgtype": "text",
        "text": {"content": text},
        "isInAtList": True,
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$robot"}],
    }


def card_callback(card_biz_id: str, user_id: str, token: str, nonce: str = "") -> dict[str, Any]:
    """An interactive card ``request`` button callback (card_callback.py shape)."""
    content = {"cardPrivateData": {"actionIds": [token], "params": {}}}
    return {
        "outTrackId": card_biz_id,
        "corpId": "dingcorp01",
        "userId": user_id,
        "content": json.dumps(content),
        "extension": json.dumps({"nonce": nonce}),
        "type": "actionCallback",
    }


def stream_frame(topic: str, data: dict[str, Any], message_id: str) -> dict[str, Any]:
    """A Stream mode CALLBACK frame."""
    headers = {
        "appId": "app1",
        "connectionId": "conn1",
        "contentType": "application/json",
        "messageId": message_id,
        "time": str(int(time.time() * 1000)),
        "topic": topic,
    }
    return {"specVersion": "1.0", "type": "CALLBACK", "headers": headers, "data": json.dumps(data)}


def card_buttons(card_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``request`` buttons of a StandardCard."""
    return [
        action
        for content in card_data["contents"]
        if content["type"] == "action"
        for action in content["actions"]
    ]


def ding_sign(timestamp: str, secret: str) -> str:
    """DingTalk's documented callback signature, computed here independently of the adapter."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def file_message(
    *, msg_id: str, staff_id: str, code: str, name: str = "", picture: bool = False
) -> dict[str, Any]:
    """A robot callback for a picture or a file a member sent in the single chat."""
    body = robot_message("", msg_id=msg_id, staff_id=staff_id, webhook="", expires_ms=0)
    del body["text"]
    if picture:
        return body | {"msgtype": "picture", "content": {"downloadCode": code}}
    return body | {"msgtype": "file", "content": {"downloadCode": code, "fileName": name}}

"""A fake Slack on 127.0.0.1: the Web API, response_url endpoints and a Socket Mode WebSocket.

It records every call and keeps the messages it was asked to post, so tests can read what a
member would see now. ``fail(method, ...)`` scripts the next answers of a method: HTTP 429 with
``Retry-After``, 5xx, ``{"ok": false, "error": ...}``, or a delay longer than the client waits.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.slack_requests import BOT_TOKEN


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str  # a Web API method, or "response_url"
    body: dict[str, Any]
    authorization: str
    content_type: str
    at: float  # time.monotonic()
    path: str = ""


@dataclass(frozen=True)
class SharedFile:
    """A file uploaded and shared in a channel."""

    id: str
    name: str
    title: str
    data: bytes
    channel: str


MAX_UPLOAD = 1024**3  # Slack's limit: 1 GB a file


@dataclass(frozen=True)
class Failure:
    """A scripted answer: an HTTP status, a Slack error code, Retry-After, or a delay."""

    status: int = 200
    error: str = ""
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class Posted:
    """A message as Slack would show it now."""

    channel: str
    ts: str
    body: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def header(self) -> str:
        """The text of the card's header block ("" for a text message)."""
        for block in self.body.get("blocks") or []:
            if block.get("type") == "header":
                return str(block["text"]["text"])
        return ""

    def tokens(self) -> list[str]:
        """The action tokens of the message's buttons, in order."""
        return [
            element["value"]
            for block in self.body.get("blocks") or []
            if block.get("type") == "actions"
            for element in block["elements"]
        ]


@dataclass
class FakeChannel:
    """A channel the bot made, and who was invited to it."""

    id: str
    name: str
    members: list[str] = field(default_factory=list)


class FakeSlack:
    """The fake's state and its aiohttp application."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Posted] = {}
        self.responses: list[Call] = []
        self.failures: defaultdict[str, deque[Failure]] = defaultdict(deque)
        self.socket_acks: list[dict[str, Any]] = []
        self.socket_ready = asyncio.Event()
        self.acked = asyncio.Event()
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.pending_uploads: dict[str, dict[str, Any]] = {}  # file id -> name, length, bytes
        self.files: dict[str, SharedFile] = {}  # completed uploads, by file id
        self.member_files: dict[str, bytes] = {}  # files members shared, by file id
        self.downloads: list[str] = []  # Authorization headers of download requests
        self.channels: dict[str, FakeChannel] = {}  # channels the bot made, by name
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeSlack:
        """Serve on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk GETs conversations.list
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._download)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        """Close sockets and stop serving."""
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The Web API base URL, as ``BIZBOT_SLACK_API_URL``."""
        return f"{self.url}/api/"

    def response_url(self, hook: str = "T1/B1/abc") -> str:
        """A response_url that lands on this fake."""
        return f"{self.url}/respond/{hook.replace('/', '-')}"

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "",
        retry_after: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Script the next ``times`` answers of a method (``response_url`` for the hooks)."""
        for _ in range(times):
            self.failures[method].append(Failure(status, error, retry_after, delay))

    def of(self, method: str) -> list[Call]:
        """The recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    def message(self, channel: str, ts: str) -> Posted:
        """A posted message by its channel and ts."""
        return self.messages[(channel, ts)]

    def in_channel(self, channel: str) -> list[Posted]:
        """The messages of a channel, oldest first."""
        return [m for (c, _), m in self.messages.items() if c == channel]

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = await self._record(request, method)
        failure = await self._scripted(method)
        if failure is not None:
            return failure
        if method == "chat.postMessage":
            return web.json_response(self._post(call.body))
        if method == "chat.update":
            return web.json_response(self._update(call.body))
        if call.authorization != f"Bearer {BOT_TOKEN}" and method.startswith(
            ("files.", "conversations.")
        ):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "files.getUploadURLExternal":
            return web.json_response(self._upload_url(call.body))
        if method == "files.completeUploadExternal":
            return web.json_response(self._complete(call.body))
        if method.startswith(
            ("conversations.create", "conversations.invite", "conversations.list")
        ):
            return web.json_response(self._conversations(method, call.body))
        if method == "conversations.open":
            return web.json_response(
                {"ok": True, "channel": {"id": "D" + str(call.body["users"])[1:]}}
            )
        if method == "apps.connections.open":
            ws_url = self.url.replace("http://", "ws://") + "/socket"
            return web.json_response({"ok": True, "url": ws_url})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": "T0TEST", "user_id": "U0BOT", "bot_id": "B0BOT"}
            )
        return web.json_response({"ok": False, "error": "unknown_method"})

    def _conversations(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.create (``name_taken`` for a name made before), .invite
        (``already_in_channel`` when everyone is in), .list (two channels a page)."""
        if method == "conversations.create":
            name = str(body["name"])
            if name in self.channels:
                return {"ok": False, "error": "name_taken"}
            made = self.channels[name] = FakeChannel(f"C{len(self.channels) + 100}", name)
            return {"ok": True, "channel": {"id": made.id, "name": name}}
        if method == "conversations.invite":
            found = next((c for c in self.channels.values() if c.id == body["channel"]), None)
            if found is None:
                return {"ok": False, "error": "channel_not_found"}
            users = [u for u in str(body["users"]).split(",") if u not in found.members]
            if not users:
                return {"ok": False, "error": "already_in_channel"}
            found.members += users
            return {"ok": True, "channel": {"id": found.id}}
        every = [{"id": c.id, "name": c.name} for c in self.channels.values()]
        start = int(body.get("cursor") or 0)
        more = {"next_cursor": str(start + 2) if start + 2 < len(every) else ""}
        return {"ok": True, "channels": every[start : start + 2], "response_metadata": more}

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        call = await self._record(request, "response_url")
        self.responses.append(call)
        failure = await self._scripted("response_url")
        return failure or web.Response(text="ok")

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        """Step 1 of an upload: Slack wants the name and the exact length first."""
        filename, length = body.get("filename"), str(body.get("length", ""))
        if not filename or not length.isdigit() or int(length) == 0:
            return {"ok": False, "error": "invalid_arguments"}
        if int(length) > MAX_UPLOAD:
            return {"ok": False, "error": "file_too_large"}
        file_id = f"F{next(self._file_ids):08d}"
        self.pending_uploads[file_id] = {"name": filename, "length": int(length), "data": None}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        """Step 2: the bytes, to the URL step 1 gave (it needs no token: the URL is the key)."""
        pending = self.pending_uploads.get(request.match_info["file_id"])
        data = await request.read()
        self.calls.append(Call("upload", {"size": len(data)}, "", request.content_type, 0.0))
        if pending is None:
            return web.Response(status=404, text="unknown upload")
        if len(data) != pending["length"]:
            return web.Response(status=400, text="length mismatch")
        pending["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def member_file(self, file_id: str, name: str, data: bytes) -> dict[str, Any]:
        """A file a member shares: its entry in a ``file_share`` message's ``files``."""
        self.member_files[file_id] = data
        url = f"{self.url}/files-pri/T0TEST-{file_id}/download/{name}"
        return {"id": file_id, "name": name, "size": len(data), "url_private_download": url}

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """``url_private_download``: only with the bot token (files:read), as Slack does."""
        authorization = request.headers.get("Authorization", "")
        self.downloads.append(authorization)
        if authorization != f"Bearer {BOT_TOKEN}":
            return web.Response(status=302, headers={"Location": "/login"})  # Slack's sign-in
        file_id = request.match_info["team_file"].split("-", 1)[-1]
        data = self.member_files.get(file_id)
        return web.Response(body=data) if data is not None else web.Response(status=404)

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files in a channel (a conversation id, not a user id)."""
        channel = str(body.get("channel_id") or "")
        if channel.startswith(("U", "W")):
            return {"ok": False, "error": "invalid_channel"}
        listed = json.loads(body.get("files") or "[]")
        shared: list[dict[str, Any]] = []
        for item in listed:
            pending = self.pending_uploads.get(item.get("id", ""))
            if pending is None or pending["data"] is None:
                return {"ok": False, "error": "file_not_found"}
        for item in listed:
            pending = self.pending_uploads.pop(item["id"])
            self.files[item["id"]] = SharedFile(
                item["id"], pending["name"], item.get("title", ""), pending["data"], channel
            )
            shared.append({"id": item["id"], "name": pending["name"], "title": item.get("title")})
        if channel:
            ts = f"{1700000000 + next(self._ts)}.000100"
            message = {"text": body.get("initial_comment") or "", "files": shared}
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            self.messages[(channel, ts)] = Posted(channel, ts, message, [message])
        return {"ok": True, "files": shared}

    async def _record(self, request: web.Request, method: str) -> Call:
        raw = await request.text()
        body: dict[str, Any] = json.loads(raw) if raw.startswith("{") else dict(parse_qsl(raw))
        body = {**request.query, **body}  # slack_sdk sends some methods' arguments as a query
        call = Call(
            method=method,
            body=body,
            authorization=request.headers.get("Authorization", ""),
            content_type=request.headers.get("Content-Type", ""),
            at=time.monotonic(),
            path=request.path,
        )
        self.calls.append(call)
        return call

    async def _scripted(self, method: str) -> web.Response | None:
        if not self.failures[method]:
            return None
        failure = self.failures[method].popleft()
        if failure.delay:
            await asyncio.sleep(failure.delay)
        if failure.status == 200 and not failure.error:
            return None
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
        if method == "response_url":
            return web.Response(status=failure.status, text=failure.error, headers=headers)
        if failure.status >= 500:  # a gateway's page, not JSON
            return web.Response(status=failure.status, text="<html>unavailable</html>")
        body = {"ok": False, "error": failure.error or "ratelimited"}
        return web.json_response(body, status=failure.status, headers=headers)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body["channel"])
        if channel.startswith(("U", "W")):  # a user id: Slack posts to the app's DM with them
            channel = "D" + channel[1:]
        ts = f"{1700000000 + next(self._ts)}.000100"
        self.messages[(channel, ts)] = Posted(channel, ts, body, [body])
        return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        key = (str(body["channel"]), str(body["ts"]))
        posted = self.messages.get(key)
        if posted is None:
            return {"ok": False, "error": "message_not_found"}
        posted.body = body
        posted.versions.append(body)
        return {"ok": True, "channel": key[0], "ts": key[1]}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        self.socket_ready.set()
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                self.acked.set()
        self._sockets.remove(ws)
        return ws

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to every connected client."""
        for ws in list(self._sockets):
            await ws.send_json(envelope)

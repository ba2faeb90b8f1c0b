"""A fake Telegram Bot API on 127.0.0.1, for contract tests and the benchmark.

It answers what PTB's ``Bot`` sends (form-encoded, JSON inside structured fields) for getMe,
sendMessage, createForumTopic, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
setWebhook, deleteWebhook and getUpdates; records every call; applies Telegram's own checks (64-byte
``callback_data``, 4096 characters, HTML entities, "message is not modified"); and can inject
429 with ``retry_after``, 5xx, slow answers and permanent errors (tests/telegram_updates.py
builds the updates Telegram would send). Run alone for the benchmark:
``python -m tests.fake_telegram --port 0`` prints its base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
TOKEN = f"{BOT_ID}:AAF-fake_token_for_tests"
USERNAME = "bizbot_test_bot"
JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "link_preview_options", "entities"})
INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"})
TAG = re.compile(
    r'<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|tg-spoiler|a)(?: href="[^"<>]*")?>'
)
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True)
class Fault:
    """What the next matching call gets instead of its answer (``delay`` first, if any)."""

    status: int | None = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    delay: float = 0.0


def too_many_requests(retry_after: int) -> Fault:
    """A 429 with ``parameters.retry_after``."""
    return Fault(429, f"Too Many Requests: retry after {retry_after}", retry_after)


BLOCKED = Fault(403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = Fault(400, "Bad Request: chat not found")
DEACTIVATED = Fault(403, "Forbidden: user is deactivated")
BAD_GATEWAY = Fault(502, "Bad Gateway")


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Stored:
    """A message the bot sent, as it shows now."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    edits: int = 0
    thread_id: int | None = None  # the forum topic it was sent to


@dataclass
class Document:
    """A photo or a document the bot sent."""

    chat_id: int
    message_id: int
    kind: str  # "photo" or "document"
    name: str
    data: bytes
    caption: str


MAX_PHOTO = 10 * 1024 * 1024  # the Bot API's limits on uploads by the bot
MAX_DOCUMENT = 50 * 1024 * 1024
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile's limit for bots


@dataclass
class FakeBotApi:
    """The fake server. ``url`` is the base URL to give PTB (``.../bot``)."""

    token: str = TOKEN
    record: bool = True
    calls: list[Call] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    messages: dict[tuple[int, int], Stored] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    member_files: dict[str, bytes] = field(default_factory=dict)  # file_id -> what members sent
    forums: set[int] = field(default_factory=set)  # supergroups with topics enabled
    topics: list[tuple[int, int, str]] = field(default_factory=list)  # chat, thread id, name
    webhook: dict[str, Any] = field(default_factory=dict)
    last_call_at: float = 0.0
    _faults: list[tuple[str, int | None, Fault]] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (port 0: any free port); returns the base URL."""
        app = web.Application(client_max_size=MAX_DOCUMENT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_get("/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{bound}/bot"
        return self.url

    async def close(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, method: str, *faults: Fault, chat_id: int | None = None) -> None:
        """Make the next calls of ``method`` (to ``chat_id``, if given) fail, in order."""
        self._faults += [(method, chat_id, f) for f in faults]

    def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for ``getUpdates``."""
        self._updates += updates
        self._arrived.set()

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    def texts_to(self, chat_id: int) -> list[str]:
        """The texts sent to a chat (as sent, before any edit)."""
        return [
            c.params["text"] for c in self.calls_to("sendMessage") if c.params["chat_id"] == chat_id
        ]

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"counts": dict(self.counts), "last_call_at": self.last_call_at})

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await _params(request)
        self.counts[method] += 1
        self.last_call_at = time.monotonic()
        if self.record:
            self.calls.append(Call(method, params, self.last_call_at))
        try:
            await self._maybe_fail(method, params)
            return web.json_response({"ok": True, "result": await self._answer(method, params)})
        except ApiError as exc:
            return _error(exc)

    async def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        for i, (name, chat, fault) in enumerate(self._faults):
            if name == method and chat in (None, params.get("chat_id")):
                del self._faults[i]
                await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    raise ApiError(fault.status, fault.description, fault.retry_after)
                return

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        answer = {
            "getMe": lambda p: bot_user(),
            "sendMessage": self._send,
            "createForumTopic": self._create_topic,
            "getFile": self._get_file,
            "sendPhoto": lambda p: self._send_file("photo", p),
            "sendDocument": lambda p: self._send_file("document", p),
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": _answer_callback,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
        }.get(method)
        if answer is None:
            raise ApiError(404, "Not Found: method not found")
        return answer(params)

    def _send(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = _required(p, "chat_id")
        text, markup = _checked(p)
        stored = Stored(chat_id, next(self._ids), text, p.get("parse_mode"), markup)
        stored.thread_id = int(p["message_thread_id"]) if p.get("message_thread_id") else None
        self.messages[(chat_id, stored.message_id)] = stored
        return message_json(stored)

    def _create_topic(self, p: dict[str, Any]) -> dict[str, Any]:
        """createForumTopic: only in the supergroups with topics (``forums``)."""
        chat_id, name = _required(p, "chat_id"), str(p.get("name", ""))
        if chat_id not in self.forums:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: invalid forum topic name specified")
        thread = next(self._ids)
        self.topics.append((chat_id, thread, name))
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    def _get_file(self, p: dict[str, Any]) -> dict[str, Any]:
        """getFile: a path to download from (files over 20 MB cannot be downloaded by bots)."""
        file_id = str(p.get("file_id", ""))
        data = self.member_files.get(file_id)
        if data is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(data) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        answer = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data)}
        return answer | {"file_path": f"documents/{file_id}"}

    async def _file(self, request: web.Request) -> web.Response:
        """The download itself: the token in the path, as the Bot API does it."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].removeprefix("documents/")
        data = self.member_files.get(file_id)
        return web.Response(body=data) if data is not None else web.Response(status=404)

    def _send_file(self, kind: str, p: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto / sendDocument with the bytes uploaded in the multipart body."""
        chat_id = _required(p, "chat_id")
        upload = p.get(kind)
        if not isinstance(upload, Upload):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(upload.data) > (MAX_PHOTO if kind == "photo" else MAX_DOCUMENT):
            raise ApiError(400, "Bad Request: file is too big")
        caption = str(p.get("caption", ""))
        if len(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        number = next(self._ids)
        self.documents.append(Document(chat_id, number, kind, upload.name, upload.data, caption))
        self.messages[(chat_id, number)] = Stored(chat_id, number, caption, None, None)
        message = message_json(self.messages[(chat_id, number)])
        message[kind] = (
            [
                {
                    "file_id": f"{kind}{number}",
                    "file_unique_id": f"u{number}",
                    "width": 1,
                    "height": 1,
                }
            ]
            if kind == "photo"
            else {
                "file_id": f"doc{number}",
                "file_unique_id": f"u{number}",
                "file_name": upload.name,
            }
        )
        return message

    def _edit_text(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self._stored(p)
        text, markup = _checked(p)
        if (text, p.get("parse_mode"), markup) == (
            stored.text,
            stored.parse_mode,
            stored.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        stored.text, stored.parse_mode, stored.reply_markup = text, p.get("parse_mode"), markup
        stored.edits += 1
        return message_json(stored)

    def _edit_markup(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self._stored(p)
        markup = _checked_markup(p.get("reply_markup"))
        if markup == stored.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        stored.reply_markup = markup
        stored.edits += 1
        return message_json(stored)

    def _stored(self, p: dict[str, Any]) -> Stored:
        key = (_required(p, "chat_id"), _required(p, "message_id"))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def _set_webhook(self, p: dict[str, Any]) -> bool:
        secret = p.get("secret_token")
        if secret is not None and not SECRET_FORMAT.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(p)
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, p: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(p.get("offset", 0)), int(p.get("limit", 100))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(p.get("timeout", 0))
        while not self._updates and time.monotonic() < deadline:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return sorted(self._updates, key=lambda u: u["update_id"])[:limit]


def bot_user() -> dict[str, Any]:
    """The bot, as ``getMe`` describes it."""
    return {"id": BOT_ID, "is_bot": True, "first_name": "Bizbot Test", "username": USERNAME}


def message_json(stored: Stored) -> dict[str, Any]:
    """A sent message as the Bot API returns it."""
    chat_type = "private" if stored.chat_id > 0 else "supergroup"
    message: dict[str, Any] = {
        "message_id": stored.message_id,
        "date": int(time.time()),
        "chat": {"id": stored.chat_id, "type": chat_type},
        "from": bot_user(),
        "text": html.unescape(TAG.sub("", stored.text)) if stored.parse_mode else stored.text,
    }
    if stored.reply_markup:
        message["reply_markup"] = stored.reply_markup
    return message


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    name: str
    data: bytes


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
        return raw
    form = await request.post()
    raw = {k: _decode(k, v) for k, v in form.items() if isinstance(v, str)}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            raw[key] = Upload(value.filename, value.file.read())
    return raw


def _decode(key: str, value: str) -> Any:
    if key in JSON_FIELDS or value in ("true", "false"):
        return json.loads(value)
    if key in INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    return value


def _required(p: dict[str, Any], key: str) -> int:
    value = p.get(key)
    if not isinstance(value, int):
        raise ApiError(400, f"Bad Request: {key} is empty")
    return value


def _checked(p: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    text = str(p.get("text", ""))
    visible = _visible_html(text) if p.get("parse_mode") == "HTML" else text
    if not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(visible) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    return text, _checked_markup(p.get("reply_markup"))


def _visible_html(text: str) -> str:
    """The text Telegram shows for HTML parse mode; raises like Telegram on bad markup."""
    stack: list[str] = []
    for match in TAG.finditer(text):
        closing, name = match.group(1), match.group(2)
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ApiError(400, f"Bad Request: can't parse entities: unmatched end tag {name}")
    plain = TAG.sub("", text)
    if stack or "<" in plain or ">" in plain or "&" in ENTITY.sub("", plain):
        raise ApiError(400, "Bad Request: can't parse entities: unsupported start tag")
    return html.unescape(plain)


def _checked_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return dict(markup)


def _answer_callback(p: dict[str, Any]) -> bool:
    if not p.get("callback_query_id"):
        raise ApiError(400, "Bad Request: query id is empty")
    return True


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return web.json_response(body, status=exc.status)


async def _serve_forever(port: int) -> None:
    fake = FakeBotApi(record=False)
    await fake.start(port)
    print(fake.url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.close()


def main(argv: list[str] | None = None) -> None:
    """Serve the fake alone (for the benchmark), printing its base URL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve_forever(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

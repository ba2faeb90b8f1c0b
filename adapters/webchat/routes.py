"""Web chat routes: the chat page, the chat WebSocket and a small JSON API (sign-in is in
signin.py, the checks it makes in guard.py)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, WSMsgType, web

from adapters.webchat.client import Hub
from adapters.webchat.guard import add_security_headers
from adapters.webchat.signin import COOKIE, STATIC, SignIn, html_lang, page
from adapters.webchat.translate import (
    CHANNEL,
    FrameError,
    address_of,
    file_event,
    frame_to_event,
)
from bot.events import Address
from bot.i18n import _, t
from bot.logging import get_logger
from bot.ports import (
    MAX_INBOUND_BYTES,
    Files,
    History,
    Ingest,
    JoinedRoom,
    RoomMembers,
    WebAuth,
    WebUser,
)
from bot.replies import IMAGE_TYPES

HISTORY_LIMIT = 100
ROOMS_IN_HISTORY = 10  # the rooms joined last whose lines a (re)connecting tab is sent
MAX_FRAME = 64 * 1024
MAX_UPLOAD_PARTS = 8
UPLOAD_HEADER = "X-Bizbot-Upload"
SIGNED_OUT = 4401  # WebSocket close code: the session is over, the page goes to /login
log = get_logger("bizbot.webchat")

UI_STRINGS = {
    "placeholder": _("Type a message, or /help"),
    "send": _("Send"),
    "connected": _("Connected"),
    "reconnecting": _("Reconnecting…"),
    "not_saved": _("Not saved yet, will retry"),
    "logout": _("Log out"),
    "attach": _("Attach a photo or a PDF"),
}


@dataclass(frozen=True, slots=True)
class WebChat:
    """What the web chat routes need from the rest of Bizbot."""

    ingest: Ingest
    auth: WebAuth
    history: History
    hub: Hub
    local_login: bool  # BIZBOT_LOCAL_LOGIN: offered only when no public URL is set
    public_url: str
    secure_cookies: bool
    files: Files | None = None  # downloads and uploads; None: messages show file names only
    rooms: RoomMembers | None = None  # the deal rooms members are in; None: no rooms


def setup_routes(app: web.Application, chat: WebChat) -> None:
    """Add the web chat's routes to the server, and its security headers to every answer."""
    sign_in = SignIn(
        chat.auth,
        local_login=chat.local_login,
        public_url=chat.public_url,
        secure_cookies=chat.secure_cookies,
    )
    handlers = _Handlers(chat, sign_in)
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/", handlers.index)
    sign_in.add_routes(app.router)
    app.router.add_get("/ws", handlers.socket)
    app.router.add_post("/api/messages", handlers.api_message)
    app.router.add_get("/api/history", handlers.api_history)
    app.router.add_get("/files/{file_id:[0-9]{1,18}}/{name}", handlers.download)
    app.router.add_post("/api/files", handlers.upload)
    app.router.add_static("/static/", STATIC, name="webchat-static")


class _Handlers:
    def __init__(self, chat: WebChat, sign_in: SignIn) -> None:
        self.chat = chat
        self.sign_in = sign_in

    async def _user(self, request: web.Request) -> WebUser | None:
        secret = request.cookies.get(COOKIE)
        return await self.chat.auth.user_for(secret) if secret else None

    async def index(self, request: web.Request) -> web.StreamResponse:
        user = await self._user(request)
        if user is None:
            raise web.HTTPFound("/login")
        strings = {key: t(user.locale, msgid) for key, msgid in UI_STRINGS.items()}
        return self.sign_in.with_token(
            request,
            lambda token: page(
                "chat.html",
                lang=html_lang(user.locale),
                name=html.escape(user.name),
                handle="" if user.guest else html.escape(f"@{user.handle}"),
                strings=_script_json(strings),
                placeholder=html.escape(strings["placeholder"]),
                send=html.escape(strings["send"]),
                logout=html.escape(strings["logout"]),
                attach=html.escape(strings["attach"]),
                csrf=html.escape(token),
            ),
        )

    async def socket(self, request: web.Request) -> web.StreamResponse:
        user = await self._user(request)
        if user is None:
            raise web.HTTPUnauthorized(text="sign in first")
        self._check_origin(request)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        self.chat.hub.join(address_of(user.handle).conversation, ws)
        try:
            rooms = await self._join_rooms(user, ws)
            history = await self.chat.history(address_of(user.handle), HISTORY_LIMIT)
            history += await self._room_lines(rooms[-ROOMS_IN_HISTORY:])
            history.sort(key=lambda line: str(line["at"]))
            history = history[-HISTORY_LIMIT:]  # the member's older lines load on scrolling up
            rooms_seen = [{"room": r.conversation, "title": r.title} for r in rooms]
            await ws.send_json({"type": "history", "lines": history, "rooms": rooms_seen})
            async for message in ws:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                current = await self._user(request)  # logged out or deactivated since?
                if current is None:
                    await _signed_out(ws, user.locale)
                    break
                user = current
                data = message.data if message.type is WSMsgType.TEXT else ""
                await ws.send_json(await self._take(user, data))
        finally:
            self.chat.hub.leave(ws)
        return ws

    async def _join_rooms(self, user: WebUser, ws: web.WebSocketResponse) -> list[JoinedRoom]:
        """Put the tab in the member's rooms (after their own chat, so that a room opened
        meanwhile reaches it either way)."""
        if self.chat.rooms is None:
            return []
        rooms = await self.chat.rooms.rooms_of(CHANNEL, user.handle)
        for room in rooms:
            self.chat.hub.name_room(room.conversation, room.title)
            self.chat.hub.join(room.conversation, ws)
        return rooms

    async def _room_lines(self, rooms: list[JoinedRoom]) -> list[dict[str, Any]]:
        """The rooms' last lines, each marked with its room (its title labels it on the page)."""
        lines: list[dict[str, Any]] = []
        for room in rooms:
            said = await self.chat.history(Address(CHANNEL, room.conversation), HISTORY_LIMIT)
            lines += [{**line, "room": room.conversation, "title": room.title} for line in said]
        return lines

    def _check_origin(self, request: web.Request) -> None:
        """Refuse WebSockets opened by other sites (cross-site WebSocket hijacking): a browser's
        Origin must be this site's exactly, scheme and port included."""
        origin = request.headers.get("Origin")
        expected = self.sign_in.site_origin(request)
        if origin is not None and origin != expected:
            log.warning("refused.ws_origin", origin=origin, expected=expected)
            raise web.HTTPForbidden(text="cross-site WebSocket refused")

    async def _take(self, user: WebUser, data: str) -> dict[str, Any]:
        """Turn one frame into an inbox row; the answer is an ack or an error for that frame."""
        try:
            frame = json.loads(data)
        except ValueError:
            return {
                "type": "error",
                "id": None,
                "error": t(user.locale, _("Expected a JSON object.")),
            }
        client_id = frame.get("id") if isinstance(frame, dict) else None
        try:
            event = frame_to_event(user.handle, user.locale, frame)
            accepted = await self.chat.ingest(event)
        except FrameError as exc:
            return {"type": "error", "id": client_id, "error": t(user.locale, exc.reason)}
        except Exception:
            log.exception("webchat.ingest_failed")
            return {
                "type": "error",
                "id": client_id,
                "retry": True,
                "error": t(user.locale, _("Not saved yet, will retry")),
            }
        return {"type": "ack", "id": client_id, "duplicate": not accepted.new}

    async def api_message(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        if user is None:
            return web.json_response({"error": "sign in first"}, status=401)
        if request.content_type != "application/json":
            return web.json_response({"error": "send application/json"}, status=415)
        if (request.content_length or 0) > MAX_FRAME:
            return web.json_response({"error": "request too large"}, status=413)
        answer = await self._take(user, _utf8(await request.read()))
        status = 200 if answer["type"] == "ack" else (503 if answer.get("retry") else 400)
        return web.json_response(answer, status=status)

    async def api_history(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        if user is None:
            return web.json_response({"error": "sign in first"}, status=401)
        before = request.query.get("before", "")
        try:
            lines = await self.chat.history(address_of(user.handle), HISTORY_LIMIT, before)
        except ValueError:
            return web.json_response({"error": "no such line"}, status=400)
        return web.json_response({"lines": lines})

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A file of the member's own conversation (one they sent, or one sent to them).

        Any other id answers 404, as if it did not exist: ids are counted, not secret. Only
        pictures are shown in the page; any other file is a download, never rendered here.
        """
        user = await self._user(request)
        if user is None:
            raise web.HTTPUnauthorized(text="sign in first")
        file_id = int(request.match_info["file_id"])
        found = None
        if self.chat.files is not None:
            found = await self.chat.files.download(file_id, address_of(user.handle).key)
        if found is None:
            log.warning("refused.file", file_id=file_id)
            raise web.HTTPNotFound(text="no such file")
        inline = found.content_type in IMAGE_TYPES
        disposition = "inline" if inline else "attachment"
        return web.Response(
            body=found.data,
            content_type=found.content_type if inline else "application/octet-stream",
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name)}",
                "Cache-Control": "private, no-store",
            },
        )

    async def upload(self, request: web.Request) -> web.Response:
        """A file the member sends (multipart: ``id``, ``file``, optional ``text``).

        It must come from this page: the ``X-Bizbot-Upload`` header makes a browser ask first
        for any other site (and the Origin, when sent, must be ours), so no other site can make
        a member send a file. The bytes are read up to the limit and checked by the kernel.
        """
        user = await self._user(request)
        if user is None:
            return web.json_response({"error": "sign in first"}, status=401)
        origin = request.headers.get("Origin")
        if request.headers.get(UPLOAD_HEADER) != "1" or (
            origin is not None and origin != self.sign_in.site_origin(request)
        ):
            log.warning("refused.upload", origin=origin)
            return web.json_response({"error": "upload from this page only"}, status=403)
        if self.chat.files is None:
            return web.json_response({"error": "files are not kept here"}, status=404)
        try:
            form = await _upload_form(request)
        except FrameError as exc:
            return web.json_response({"error": t(user.locale, exc.reason)}, status=400)
        files = await self.chat.files.keep(
            address_of(user.handle), user.handle, form.name, form.data
        )
        frame = {"type": "say", "id": form.client_id, "text": form.text}
        try:
            event = file_event(user.handle, user.locale, frame, files)
            accepted = await self.chat.ingest(event)
        except FrameError as exc:
            return web.json_response({"error": t(user.locale, exc.reason)}, status=400)
        return web.json_response(
            {"type": "ack", "id": form.client_id, "duplicate": not accepted.new}
        )


@dataclass(frozen=True, slots=True)
class _Upload:
    client_id: str
    text: str
    name: str
    data: bytes


async def _upload_form(request: web.Request) -> _Upload:
    """The parts of an upload, each read with a bound (the file up to one byte past the limit,
    which the kernel then refuses as too big without this process holding more)."""
    if not request.content_type.startswith("multipart/"):
        raise FrameError("Send the file as multipart/form-data.")
    reader = await request.multipart()
    fields: dict[str, str] = {}
    name, data = "", b""
    for _part_number in range(MAX_UPLOAD_PARTS):
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise FrameError("Send the file as multipart/form-data.")
        if part.name == "file":
            name = unquote(part.filename or "file")  # aiohttp's client percent-encodes it
            data = await _read_bounded(part, MAX_INBOUND_BYTES + 1)
        elif part.name in ("id", "text"):
            fields[part.name] = (await _read_bounded(part, MAX_FRAME)).decode("utf-8", "replace")
    if not data:
        raise FrameError("The file is empty.")
    return _Upload(fields.get("id", ""), fields.get("text", ""), name, data)


async def _read_bounded(part: BodyPartReader, limit: int) -> bytes:
    """A part's bytes, at most ``limit`` of them."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await part.read_chunk(min(64 * 1024, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def _signed_out(ws: web.WebSocketResponse, locale: str) -> None:
    """Tell the page its session is over (expired, logged out, member deactivated) and close."""
    await ws.send_json({"type": "error", "id": None, "error": t(locale, SIGN_IN_AGAIN)})
    await ws.close(code=SIGNED_OUT, message=b"signed out")


def _utf8(body: bytes) -> str:
    """A request body as text; JSON is UTF-8 whatever the charset says (bad bytes: not JSON)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _script_json(value: Any) -> str:
    """JSON to embed in a ``<script>`` element: raw text there, so escape only what ends it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


SIGN_IN_AGAIN = _("You are signed out. Please sign in again.")

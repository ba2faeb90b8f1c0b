"""Web chat routes: the chat page, the chat WebSocket and a small JSON API (sign-in is in
signin.py, the checks it makes in guard.py)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from adapters.webchat.client import Hub
from adapters.webchat.guard import add_security_headers
from adapters.webchat.signin import COOKIE, STATIC, SignIn, html_lang, page
from adapters.webchat.translate import FrameError, address_of, frame_to_event
from bot.i18n import _, t
from bot.logging import get_logger
from bot.ports import History, Ingest, WebAuth, WebUser

HISTORY_LIMIT = 100
MAX_FRAME = 64 * 1024
SIGNED_OUT = 4401  # WebSocket close code: the session is over, the page goes to /login
log = get_logger("bizbot.webchat")

UI_STRINGS = {
    "placeholder": _("Type a message, or /help"),
    "send": _("Send"),
    "connected": _("Connected"),
    "reconnecting": _("Reconnecting…"),
    "not_saved": _("Not saved yet, will retry"),
    "logout": _("Log out"),
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
        conversation = address_of(user.handle).conversation
        self.chat.hub.join(conversation, ws)
        try:
            history = await self.chat.history(address_of(user.handle), HISTORY_LIMIT)
            await ws.send_json({"type": "history", "lines": history})
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
            self.chat.hub.leave(conversation, ws)
        return ws

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

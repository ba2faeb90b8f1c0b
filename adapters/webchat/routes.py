"""Web chat routes: the page, sign-in, the chat WebSocket and a small JSON API."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from aiohttp import WSMsgType, web

from adapters.webchat.client import Hub
from adapters.webchat.translate import FrameError, address_of, frame_to_event
from bot.i18n import _, normalise_locale, t
from bot.logging import get_logger
from bot.ports import History, Ingest, WebAuth, WebUser

STATIC = Path(__file__).parent / "static"
COOKIE = "bizbot_session"
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
    local_login: bool
    secure_cookies: bool


def setup_routes(app: web.Application, chat: WebChat) -> None:
    """Add the web chat's routes to the server."""
    handlers = _Handlers(chat)
    app.router.add_get("/", handlers.index)
    app.router.add_get("/login", handlers.login_page)
    app.router.add_post("/login", handlers.login_local)
    app.router.add_get("/login/{secret}", handlers.login_link)
    app.router.add_get("/guest/{secret}", handlers.guest_link)
    app.router.add_post("/logout", handlers.logout)
    app.router.add_get("/ws", handlers.socket)
    app.router.add_post("/api/messages", handlers.api_message)
    app.router.add_get("/api/history", handlers.api_history)
    app.router.add_static("/static/", STATIC, name="webchat-static")


def _page(page: str, *, status: int = 200, **values: str) -> web.Response:
    template = Template((STATIC / page).read_text(encoding="utf-8"))
    return web.Response(
        text=template.substitute(values), status=status, content_type="text/html", charset="utf-8"
    )


def _redirect(location: str) -> web.Response:
    """A plain 302 response, which can set or clear cookies."""
    return web.Response(status=302, headers={"Location": location})


def _html_lang(locale: str) -> str:
    """The ``lang`` attribute of a page in this locale."""
    return "zh-CN" if locale.startswith("zh") else "en"


class _Handlers:
    def __init__(self, chat: WebChat) -> None:
        self.chat = chat

    async def _user(self, request: web.Request) -> WebUser | None:
        secret = request.cookies.get(COOKIE)
        return await self.chat.auth.user_for(secret) if secret else None

    async def index(self, request: web.Request) -> web.StreamResponse:
        user = await self._user(request)
        if user is None:
            raise web.HTTPFound("/login")
        strings = {key: t(user.locale, msgid) for key, msgid in UI_STRINGS.items()}
        return _page(
            "chat.html",
            lang=_html_lang(user.locale),
            name=html.escape(user.name),
            handle="" if user.guest else html.escape(f"@{user.handle}"),
            strings=_script_json(strings),
            placeholder=html.escape(strings["placeholder"]),
            send=html.escape(strings["send"]),
            logout=html.escape(strings["logout"]),
        )

    async def login_page(self, request: web.Request) -> web.Response:
        locale = _browser_locale(request)
        lang = _html_lang(locale)
        if not self.chat.local_login:
            note = html.escape(t(locale, NO_LOCAL_LOGIN))
            return _page("login.html", lang=lang, members="", note=note)
        members = await self.chat.auth.local_members()
        buttons = "\n".join(
            f'<button name="handle" value="{html.escape(m.handle)}">'
            f"{html.escape(m.name)} <small>@{html.escape(m.handle)}</small></button>"
            for m in members
        )
        note = LOCAL_LOGIN if members else NO_MEMBERS
        return _page("login.html", lang=lang, members=buttons, note=html.escape(t(locale, note)))

    async def login_local(self, request: web.Request) -> web.StreamResponse:
        if not self.chat.local_login:
            log.warning("refused.local_login", remote=request.remote)
            raise web.HTTPForbidden(text=t(_browser_locale(request), NO_LOCAL_LOGIN))
        form = await request.post()
        secret = await self.chat.auth.start_local(str(form.get("handle", "")))
        if secret is None:
            raise web.HTTPFound("/login")
        return self._signed_in(secret)

    async def login_link(self, request: web.Request) -> web.StreamResponse:
        secret = await self.chat.auth.start_from_link(request.match_info["secret"])
        if secret is None:
            log.warning("refused.login_link", remote=request.remote)
            locale = _browser_locale(request)
            note = html.escape(t(locale, BAD_LINK))
            return _page("login.html", status=403, lang=_html_lang(locale), members="", note=note)
        return self._signed_in(secret)

    async def guest_link(self, request: web.Request) -> web.StreamResponse:
        """A customer's contact opened their invitation: a guest session, their own chat."""
        secret = await self.chat.auth.start_guest(request.match_info["secret"])
        if secret is None:
            log.warning("refused.guest_link", remote=request.remote)
            locale = _browser_locale(request)
            note = html.escape(t(locale, BAD_INVITATION))
            return _page("login.html", status=403, lang=_html_lang(locale), members="", note=note)
        return self._signed_in(secret)

    def _signed_in(self, secret: str) -> web.StreamResponse:
        response = _redirect("/")
        response.set_cookie(
            COOKIE, secret, httponly=True, samesite="Lax", secure=self.chat.secure_cookies, path="/"
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        secret = request.cookies.get(COOKIE)
        if secret:
            await self.chat.auth.end(secret)
        response = _redirect("/login")
        response.del_cookie(COOKIE, path="/")
        return response

    async def socket(self, request: web.Request) -> web.StreamResponse:
        user = await self._user(request)
        if user is None:
            raise web.HTTPUnauthorized(text="sign in first")
        _check_origin(request)
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
        lines = await self.chat.history(address_of(user.handle), HISTORY_LIMIT)
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


def _browser_locale(request: web.Request) -> str:
    """The reader's language before sign-in, from the browser's Accept-Language."""
    return normalise_locale(request.headers.get("Accept-Language", "").split(",")[0])


def _check_origin(request: web.Request) -> None:
    """Refuse WebSocket connections opened by other sites (cross-site WebSocket hijacking)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    host = origin.split("://", 1)[-1]
    if host != request.host:
        log.warning("refused.ws_origin", origin=origin, host=request.host)
        raise web.HTTPForbidden(text="cross-site WebSocket refused")


LOCAL_LOGIN = _("Bizbot is running on this computer only, so you can sign in as anyone:")
NO_MEMBERS = _(
    "There are no members yet. Import your organisation with: bizbot org import FILE.yaml"
)
NO_LOCAL_LOGIN = _("Ask your administrator for a login link (bizbot login-link HANDLE).")
SIGN_IN_AGAIN = _("You are signed out. Please sign in again.")
BAD_INVITATION = _("This invitation is unknown, used or expired. Ask for a new one.")
BAD_LINK = _("This login link is unknown, used or expired. Ask for a new one.")

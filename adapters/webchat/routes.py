"""Web chat routes: the page, sign-in, the chat WebSocket and a small JSON API."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from aiohttp import WSMsgType, web

from adapters.webchat.client import Hub
from adapters.webchat.guard import (
    CSRF_FIELD,
    add_security_headers,
    csrf_token,
    form_refusal,
    keep_csrf_token,
    local_refusal,
    public_origin,
    site_origin,
)
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
    local_login: bool  # BIZBOT_LOCAL_LOGIN: offered only when no public URL is set
    public_url: str
    secure_cookies: bool


def setup_routes(app: web.Application, chat: WebChat) -> None:
    """Add the web chat's routes to the server, and its security headers to every answer."""
    handlers = _Handlers(chat)
    if chat.local_login and chat.public_url:
        log.warning("refused.local_login", reason="public_url", public_url=chat.public_url)
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/", handlers.index)
    app.router.add_get("/login", handlers.login_page)
    app.router.add_post("/login", handlers.login_local)
    app.router.add_get("/login/{secret}", handlers.login_link_page)
    app.router.add_post("/login/{secret}", handlers.login_link)
    app.router.add_get("/guest/{secret}", handlers.guest_link_page)
    app.router.add_post("/guest/{secret}", handlers.guest_link)
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


def _form(action: str, token: str, controls: str) -> str:
    """A POST form to ``action`` carrying the CSRF token; ``controls`` is its buttons' HTML."""
    return (
        f'<form method="post" action="{html.escape(action)}" class="members">\n'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">\n'
        f"{controls}\n</form>"
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
        self.public_origin = public_origin(chat.public_url)

    async def _user(self, request: web.Request) -> WebUser | None:
        secret = request.cookies.get(COOKIE)
        return await self.chat.auth.user_for(secret) if secret else None

    def _with_token(
        self, request: web.Request, render: Callable[[str], web.Response]
    ) -> web.Response:
        """A page whose form carries this browser's CSRF token, with the cookie it must equal."""
        token = csrf_token(request)
        response = render(token)
        keep_csrf_token(response, token, secure=self.chat.secure_cookies)
        return response

    def _notice(
        self, request: web.Request, note: str, *, status: int = 200, form: str = "", **params: str
    ) -> web.Response:
        """The sign-in page saying ``note`` (a msgid) in the reader's language, with a form."""
        locale = _browser_locale(request)
        text = html.escape(t(locale, note, **params))
        return _page("login.html", status=status, lang=_html_lang(locale), note=text, form=form)

    async def index(self, request: web.Request) -> web.StreamResponse:
        user = await self._user(request)
        if user is None:
            raise web.HTTPFound("/login")
        strings = {key: t(user.locale, msgid) for key, msgid in UI_STRINGS.items()}
        return self._with_token(
            request,
            lambda token: _page(
                "chat.html",
                lang=_html_lang(user.locale),
                name=html.escape(user.name),
                handle="" if user.guest else html.escape(f"@{user.handle}"),
                strings=_script_json(strings),
                placeholder=html.escape(strings["placeholder"]),
                send=html.escape(strings["send"]),
                logout=html.escape(strings["logout"]),
                csrf=html.escape(token),
            ),
        )

    def _local_refusal(self, request: web.Request) -> str | None:
        """Why this request may not sign in as anyone (None: it may)."""
        if not self.chat.local_login:
            return "off"
        if self.public_origin:
            return "public_url"
        return local_refusal(request)

    async def login_page(self, request: web.Request) -> web.Response:
        refusal = self._local_refusal(request)
        if refusal is not None:
            return self._notice(request, LOCAL_LOGIN_REFUSED[refusal])
        members = await self.chat.auth.local_members()
        if not members:
            return self._notice(request, NO_MEMBERS)
        buttons = "\n".join(
            f'<button name="handle" value="{html.escape(m.handle)}">'
            f"{html.escape(m.name)} <small>@{html.escape(m.handle)}</small></button>"
            for m in members
        )
        return self._with_token(
            request,
            lambda token: self._notice(request, LOCAL_LOGIN, form=_form("/login", token, buttons)),
        )

    async def login_local(self, request: web.Request) -> web.StreamResponse:
        refusal = self._local_refusal(request)
        if refusal is not None:
            log.warning(
                "refused.local_login",
                reason=refusal,
                remote=request.remote,
                host=request.headers.get("Host", ""),
            )
            return self._notice(request, LOCAL_LOGIN_REFUSED[refusal], status=403)
        refused = await self._refused_form(request)
        if refused is not None:
            return refused
        handle = (await request.post()).get("handle", "")
        secret = await self.chat.auth.start_local(handle if isinstance(handle, str) else "")
        if secret is None:
            raise web.HTTPFound("/login")
        return self._signed_in(secret)

    async def _refused_form(self, request: web.Request) -> web.Response | None:
        """A 403 page if the posted form is not this site's own (another origin, no token or
        a wrong one)."""
        sent_token = (await request.post()).get(CSRF_FIELD)
        reason = form_refusal(request, sent_token, site_origin(request, self.public_origin))
        if reason is None:
            return None
        resource = request.match_info.route.resource
        log.warning(
            "refused.form",
            reason=reason,
            route=resource.canonical if resource else "",  # never a link's secret
            origin=request.headers.get("Origin", ""),
            remote=request.remote,
        )
        return self._notice(request, FORM_REFUSED, status=403)

    async def login_link_page(self, request: web.Request) -> web.Response:
        """A login link asks before it signs in: opening it (a link previewer too) uses nothing."""
        secret = request.match_info["secret"]
        user = await self.chat.auth.link_user(secret)
        if user is None:
            log.warning("refused.login_link", remote=request.remote)
            return self._notice(request, BAD_LINK, status=403)
        button = f"<button>{html.escape(t(_browser_locale(request), SIGN_IN))}</button>"
        return self._with_token(
            request,
            lambda token: self._notice(
                request,
                CONFIRM_LOGIN,
                form=_form(f"/login/{secret}", token, button),
                name=user.name,
                handle=user.handle,
            ),
        )

    async def login_link(self, request: web.Request) -> web.StreamResponse:
        """The confirmation page's POST: the login link is used up and a session begins."""
        refused = await self._refused_form(request)
        if refused is not None:
            return refused
        secret = await self.chat.auth.start_from_link(request.match_info["secret"])
        if secret is None:
            log.warning("refused.login_link", remote=request.remote)
            return self._notice(request, BAD_LINK, status=403)
        return self._signed_in(secret)

    async def guest_link_page(self, request: web.Request) -> web.Response:
        """A customer's contact opened their invitation: it asks before it signs them in."""
        secret = request.match_info["secret"]
        name = await self.chat.auth.invited_name(secret)
        if name is None:
            log.warning("refused.guest_link", remote=request.remote)
            return self._notice(request, BAD_INVITATION, status=403)
        button = f"<button>{html.escape(t(_browser_locale(request), CONTINUE))}</button>"
        return self._with_token(
            request,
            lambda token: self._notice(
                request, CONFIRM_GUEST, form=_form(f"/guest/{secret}", token, button), name=name
            ),
        )

    async def guest_link(self, request: web.Request) -> web.StreamResponse:
        """The confirmation page's POST: a guest session, their own chat."""
        refused = await self._refused_form(request)
        if refused is not None:
            return refused
        secret = await self.chat.auth.start_guest(request.match_info["secret"])
        if secret is None:
            log.warning("refused.guest_link", remote=request.remote)
            return self._notice(request, BAD_INVITATION, status=403)
        return self._signed_in(secret)

    def _signed_in(self, secret: str) -> web.StreamResponse:
        response = _redirect("/")
        response.set_cookie(
            COOKIE, secret, httponly=True, samesite="Lax", secure=self.chat.secure_cookies, path="/"
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refused_form(request)
        if refused is not None:
            return refused
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
        expected = site_origin(request, self.public_origin)
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


LOCAL_LOGIN = _("Bizbot is running on this computer only, so you can sign in as anyone:")
NO_MEMBERS = _(
    "There are no members yet. Import your organisation with: bizbot org import FILE.yaml"
)
NO_LOCAL_LOGIN = _("Ask your administrator for a login link (bizbot login-link HANDLE).")
PUBLIC_NO_LOCAL_LOGIN = _(
    "Signing in as anyone is off because BIZBOT_PUBLIC_URL is set. "
    "Ask your administrator for a login link (bizbot login-link HANDLE)."
)
NOT_ON_THIS_COMPUTER = _(
    "Signing in as anyone works only in a browser on the computer running Bizbot, "
    "at http://127.0.0.1 or http://localhost and not through a proxy. "
    "Ask your administrator for a login link (bizbot login-link HANDLE)."
)
LOCAL_LOGIN_REFUSED = {  # why local sign-in is refused -> what the reader is told
    "off": NO_LOCAL_LOGIN,
    "public_url": PUBLIC_NO_LOCAL_LOGIN,
    "remote_peer": NOT_ON_THIS_COMPUTER,
    "host": NOT_ON_THIS_COMPUTER,
    "forwarded": NOT_ON_THIS_COMPUTER,
}
FORM_REFUSED = _(
    "This form has expired or was sent from another site. Go back, reload the page and try again."
)
SIGN_IN_AGAIN = _("You are signed out. Please sign in again.")
BAD_INVITATION = _("This invitation is unknown, used or expired. Ask for a new one.")
BAD_LINK = _("This login link is unknown, used or expired. Ask for a new one.")
CONFIRM_LOGIN = _("Sign in to Bizbot as {name} (@{handle})?")
CONFIRM_GUEST = _("This invitation signs you in to the chat as {name}. Continue?")
SIGN_IN = _("Sign in")
CONTINUE = _("Continue")

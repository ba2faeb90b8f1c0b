"""Web chat sign-in: local sign-in (``make run`` only), one-time login links and customers'
invitations (shown on GET, used up only by their confirmation's POST), and log out. Every form
carries the CSRF token of adapters/webchat/guard.py."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from string import Template

from aiohttp import web

from adapters.webchat.guard import (
    CSRF_FIELD,
    csrf_token,
    form_refusal,
    keep_csrf_token,
    local_refusal,
    public_origin,
    site_origin,
)
from bot.i18n import _, normalise_locale, t
from bot.logging import get_logger
from bot.ports import WebAuth

STATIC = Path(__file__).parent / "static"
COOKIE = "bizbot_session"
log = get_logger("bizbot.webchat")


def page(file: str, /, *, status: int = 200, **values: str) -> web.Response:
    """The HTML page ``file`` from the static folder, its ``$placeholders`` filled in."""
    template = Template((STATIC / file).read_text(encoding="utf-8"))
    return web.Response(
        text=template.substitute(values), status=status, content_type="text/html", charset="utf-8"
    )


def html_lang(locale: str) -> str:
    """The ``lang`` attribute of a page in this locale."""
    return "zh-CN" if locale.startswith("zh") else "en"


def browser_locale(request: web.Request) -> str:
    """The reader's language before sign-in, from the browser's Accept-Language."""
    return normalise_locale(request.headers.get("Accept-Language", "").split(",")[0])


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


class SignIn:
    """The sign-in pages and the checks before each of them signs anyone in."""

    def __init__(
        self, auth: WebAuth, *, local_login: bool, public_url: str, secure_cookies: bool
    ) -> None:
        self.auth = auth
        self.local_login = local_login  # BIZBOT_LOCAL_LOGIN; never with a public URL
        self.public_origin = public_origin(public_url)
        self.secure_cookies = secure_cookies
        if local_login and public_url:
            log.warning("refused.local_login", reason="public_url", public_url=public_url)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Route the sign-in pages and their forms."""
        router.add_get("/login", self.login_page)
        router.add_post("/login", self.login_local)
        router.add_get("/login/{secret}", self.login_link_page)
        router.add_post("/login/{secret}", self.login_link)
        router.add_get("/guest/{secret}", self.guest_link_page)
        router.add_post("/guest/{secret}", self.guest_link)
        router.add_post("/logout", self.logout)

    def site_origin(self, request: web.Request) -> str:
        """The one origin this site's forms and WebSocket are opened from."""
        return site_origin(request, self.public_origin)

    def with_token(
        self, request: web.Request, render: Callable[[str], web.Response]
    ) -> web.Response:
        """A page whose form carries this browser's CSRF token, with the cookie it must equal."""
        token = csrf_token(request)
        response = render(token)
        keep_csrf_token(response, token, secure=self.secure_cookies)
        return response

    def _notice(
        self, request: web.Request, note: str, *, status: int = 200, form: str = "", **params: str
    ) -> web.Response:
        """The sign-in page saying ``note`` (a msgid) in the reader's language, with a form."""
        locale = browser_locale(request)
        text = html.escape(t(locale, note, **params))
        return page("login.html", status=status, lang=html_lang(locale), note=text, form=form)

    def _local_refusal(self, request: web.Request) -> str | None:
        """Why this request may not sign in as anyone (None: it may)."""
        if not self.local_login:
            return "off"
        if self.public_origin:
            return "public_url"
        return local_refusal(request)

    async def login_page(self, request: web.Request) -> web.Response:
        """The members to sign in as, when local sign-in is allowed; else what to do instead."""
        refusal = self._local_refusal(request)
        if refusal is not None:
            return self._notice(request, LOCAL_LOGIN_REFUSED[refusal])
        members = await self.auth.local_members()
        if not members:
            return self._notice(request, NO_MEMBERS)
        buttons = "\n".join(
            f'<button name="handle" value="{html.escape(m.handle)}">'
            f"{html.escape(m.name)} <small>@{html.escape(m.handle)}</small></button>"
            for m in members
        )
        return self.with_token(
            request,
            lambda token: self._notice(request, LOCAL_LOGIN, form=_form("/login", token, buttons)),
        )

    async def login_local(self, request: web.Request) -> web.StreamResponse:
        """Sign in as the member picked, if local sign-in is allowed and the form is ours."""
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
        secret = await self.auth.start_local(handle if isinstance(handle, str) else "")
        if secret is None:
            raise web.HTTPFound("/login")
        return self._signed_in(secret)

    async def _refused_form(self, request: web.Request) -> web.Response | None:
        """A 403 page if the posted form is not this site's own (another origin, no token or
        a wrong one)."""
        sent_token = (await request.post()).get(CSRF_FIELD)
        reason = form_refusal(request, sent_token, self.site_origin(request))
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
        user = await self.auth.link_user(secret)
        if user is None:
            log.warning("refused.login_link", remote=request.remote)
            return self._notice(request, BAD_LINK, status=403)
        button = f"<button>{html.escape(t(browser_locale(request), SIGN_IN))}</button>"
        return self.with_token(
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
        secret = await self.auth.start_from_link(request.match_info["secret"])
        if secret is None:
            log.warning("refused.login_link", remote=request.remote)
            return self._notice(request, BAD_LINK, status=403)
        return self._signed_in(secret)

    async def guest_link_page(self, request: web.Request) -> web.Response:
        """A customer's contact opened their invitation: it asks before it signs them in."""
        secret = request.match_info["secret"]
        name = await self.auth.invited_name(secret)
        if name is None:
            log.warning("refused.guest_link", remote=request.remote)
            return self._notice(request, BAD_INVITATION, status=403)
        button = f"<button>{html.escape(t(browser_locale(request), CONTINUE))}</button>"
        return self.with_token(
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
        secret = await self.auth.start_guest(request.match_info["secret"])
        if secret is None:
            log.warning("refused.guest_link", remote=request.remote)
            return self._notice(request, BAD_INVITATION, status=403)
        return self._signed_in(secret)

    def _signed_in(self, secret: str) -> web.StreamResponse:
        response = _redirect("/")
        response.set_cookie(
            COOKIE, secret, httponly=True, samesite="Lax", secure=self.secure_cookies, path="/"
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """End the session (the chat page's form)."""
        refused = await self._refused_form(request)
        if refused is not None:
            return refused
        secret = request.cookies.get(COOKIE)
        if secret:
            await self.auth.end(secret)
        response = _redirect("/login")
        response.del_cookie(COOKIE, path="/")
        return response


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
BAD_INVITATION = _("This invitation is unknown, used or expired. Ask for a new one.")
BAD_LINK = _("This login link is unknown, used or expired. Ask for a new one.")
CONFIRM_LOGIN = _("Sign in to Bizbot as {name} (@{handle})?")
CONFIRM_GUEST = _("This invitation signs you in to the chat as {name}. Continue?")
SIGN_IN = _("Sign in")
CONTINUE = _("Continue")

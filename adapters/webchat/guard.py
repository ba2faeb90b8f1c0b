"""What a web chat request must show before it signs anyone in or changes anything, and the
headers every answer carries.

- Local sign-in ("sign in as anyone", for ``make run``) is for a browser on this computer only:
  a loopback peer, a loopback ``Host`` (so not a DNS-rebound name) and no proxy in between.
- Every form carries a double-submit token: a random ``SameSite=Strict`` cookie set with the page,
  and the same value in a hidden field. Another site can post a form but cannot read the page
  or send the cookie, so it cannot make the two agree. A POST from another origin is refused too.
- This site's origin (scheme, host and port) is what a form's or a WebSocket's ``Origin`` must be.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets

from aiohttp import web
from yarl import URL

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
FORWARDING_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Real-IP",
)
HOST = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]@/]+))(?::[0-9]{1,5})?")
CSRF_COOKIE = "bizbot_csrf"
CSRF_FIELD = "csrf"
CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Login and invitation pages have their secret in the URL: no Referer leaves the site. Not
    # "no-referrer": with it a browser sends "Origin: null" on this site's own form POSTs.
    "Referrer-Policy": "same-origin",
}


def local_refusal(request: web.Request) -> str | None:
    """Why this request may not sign in as anyone (None: it may), as a word for the log."""
    if not _loopback_peer(request.remote):
        return "remote_peer"
    if _host_name(request.headers.get("Host", "")) not in LOOPBACK_HOSTS:
        return "host"
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return "forwarded"
    return None


def _loopback_peer(remote: str | None) -> bool:
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False  # a Unix socket, or no peer at all
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _host_name(host: str) -> str:
    """The name in a Host header, without its port (``[::1]:8080`` -> ``::1``); "" if malformed."""
    found = HOST.fullmatch(host)
    if found is None:
        return ""
    return found["ipv6"] or found["name"].lower()


def public_origin(public_url: str) -> str:
    """The origin of ``BIZBOT_PUBLIC_URL`` ("" when unset); ``ValueError`` if it is not a URL."""
    if not public_url:
        return ""
    url = URL(public_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"BIZBOT_PUBLIC_URL must be an http:// or https:// URL, not {public_url!r}"
        )
    return str(url.origin())


def site_origin(request: web.Request, public: str) -> str:
    """This site's origin: the public URL's when set, else ``http://`` and the Host asked for."""
    return public or f"http://{request.host}"


def csrf_token(request: web.Request) -> str:
    """The token this browser's forms carry: the one in its cookie, or a new one."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if CSRF_TOKEN.fullmatch(token) else secrets.token_urlsafe(32)


def keep_csrf_token(response: web.StreamResponse, token: str, *, secure: bool) -> None:
    """Set the cookie that a rendered form's token must equal."""
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=secure, path="/"
    )


def form_refusal(request: web.Request, sent_token: object, origin: str) -> str | None:
    """Why a posted form is not this site's own (None: it is), as a word for the log:
    ``sent_token`` is its hidden field's value, which must equal the browser's cookie."""
    sent_from = request.headers.get("Origin")
    if sent_from is not None and sent_from != origin:
        return "origin"
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not isinstance(sent_token, str):
        return "csrf_missing"
    if not hmac.compare_digest(sent_token.encode(), cookie.encode()):
        return "csrf_mismatch"
    return None


async def add_security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """Give an answer the web chat's content policy, framing, sniffing and referrer rules."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)

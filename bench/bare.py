"""The bare baseline: an aiohttp WebSocket handler that answers every frame at once.

It speaks the web chat's protocol (local sign-in through its form and cookies, a ``history`` frame
on connect, then an ``ack`` and a ``message`` frame per ``say``: ``pong``, or a one-field card for
``/whoami``) so the load generator does the same work against it as against Bizbot; only the
pipeline behind the socket is missing.

``python -m bench.bare --port PORT``
"""

from __future__ import annotations

import argparse
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

COOKIE = "bizbot_session"
CSRF = "bizbot_csrf"
PONG = {"type": "text", "text": "pong"}


async def login_page(_request: web.Request) -> web.StreamResponse:
    """The sign-in form's CSRF cookie, as the web chat sets it (the baseline does not check it)."""
    response = web.Response(text="<form method=post></form>", content_type="text/html")
    response.set_cookie(CSRF, secrets.token_urlsafe(32), httponly=True, samesite="Strict")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Sign in as the posted handle (the cookie is the handle itself)."""
    form = await request.post()
    response = web.HTTPFound("/")
    response.set_cookie(COOKIE, str(form.get("handle", "")), httponly=True, path="/")
    raise response


async def socket(request: web.Request) -> web.StreamResponse:
    """Answer each ``say`` frame with its ack and a reply, immediately."""
    handle = request.cookies.get(COOKIE)
    if not handle:
        raise web.HTTPUnauthorized(text="sign in first")
    card: dict[str, Any] = {"type": "card", "title": handle, "fields": [["Handle", f"@{handle}"]]}
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    await ws.send_json({"type": "history", "lines": []})
    sequence = 0
    async for message in ws:
        if message.type is not WSMsgType.TEXT:
            continue
        frame = json.loads(message.data)
        await ws.send_json({"type": "ack", "id": frame.get("id"), "duplicate": False})
        sequence += 1
        answer = card if frame.get("text") == "/whoami" else PONG
        reply = {"type": "message", "id": f"{sequence:016x}", "author": "bot", "message": answer}
        await ws.send_json(reply)
    return ws


async def healthz(_request: web.Request) -> web.Response:
    """The process answers."""
    return web.json_response({"status": "ok"})


def make_app() -> web.Application:
    """The baseline's routes."""
    app = web.Application()
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_get("/ws", socket)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    """Serve on 127.0.0.1 until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()

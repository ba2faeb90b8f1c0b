"""``GET /calendar/{secret}.ics``: a member's calendar feed for calendar apps.

The secret in the address is the only credential (calendar apps cannot sign in); it is stored
as its SHA-256 and can be replaced with ``/ics new``. An unknown, replaced or malformed secret
gets a plain 404, the same for every case, and nothing is logged with the secret in it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp import web

from domain.calendar.feed import calendar_feed
from domain.shared.clock import Clock
from domain.shared.db import Database

SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ROUTE = "/calendar/{secret}.ics"


def feed_host(base_url: str) -> str:
    """The host name event UIDs are made unique with (``meeting-12@chat.example.com``)."""
    return urlsplit(base_url).hostname or "bizbot"


def add_calendar_feed(app: web.Application, db: Database, clock: Clock, base_url: str) -> None:
    """Serve members' calendar feeds."""
    host = feed_host(base_url)

    async def feed(request: web.Request) -> web.Response:
        secret = request.match_info["secret"]
        if not SECRET_SHAPE.match(secret):
            raise web.HTTPNotFound()
        now = clock.now()
        text = await db.run(lambda s: calendar_feed(s, secret, now, host))
        if text is None:
            raise web.HTTPNotFound()
        return web.Response(
            text=text,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
        )

    app.router.add_get(ROUTE, feed)

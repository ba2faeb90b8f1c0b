"""DingTalk HTTP callbacks: verify ``timestamp``/``sign``, translate, commit to the inbox, then ack.

- ``POST /dingtalk/callback``: messages to the robot (the app's "message receiving" URL).
- ``POST /dingtalk/card-callback``: taps on interactive card buttons (the URL registered for the
  ``bizbot`` callback route key).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from adapters.dingtalk import signing
from adapters.dingtalk.translate import PayloadError, card_callback_to_event, message_to_event
from bot.events import InboundEvent
from bot.logging import get_logger
from bot.ports import Ingest

log = get_logger("bizbot.dingtalk")

ROBOT_PATH = "/dingtalk/callback"
CARD_PATH = "/dingtalk/card-callback"


def setup_routes(
    app: web.Application,
    *,
    app_secret: str,
    ingest: Ingest,
    clock: Callable[[], float] = time.time,
) -> None:
    """Add the robot and card callback routes."""
    handlers = _Handlers(app_secret, ingest, clock)
    app.router.add_post(ROBOT_PATH, handlers.robot_message)
    app.router.add_post(CARD_PATH, handlers.card_tap)


class _Handlers:
    def __init__(self, app_secret: str, ingest: Ingest, clock: Callable[[], float]) -> None:
        self._secret = app_secret
        self._ingest = ingest
        self._clock = clock

    async def robot_message(self, request: web.Request) -> web.Response:
        body = await self._verified_json(request)
        try:
            event = message_to_event(body)
        except PayloadError as exc:
            log.warning("dingtalk.bad_payload", path=ROBOT_PATH, error=str(exc))
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return await self._take(event)

    async def card_tap(self, request: web.Request) -> web.Response:
        body = await self._verified_json(request)
        try:
            event = card_callback_to_event(body)
        except PayloadError as exc:
            log.warning("dingtalk.bad_payload", path=CARD_PATH, error=str(exc))
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return await self._take(event)

    async def _verified_json(self, request: web.Request) -> Any:
        """The parsed body of a request DingTalk signed within the hour; otherwise 401/403."""
        headers = request.headers
        try:
            signing.verify(
                headers.get("timestamp"),
                headers.get("sign"),
                self._secret,
                int(self._clock() * 1000),
            )
        except signing.Refused as exc:
            log.warning(f"refused.{exc.reason}", channel="dingtalk", remote=request.remote)
            if exc.reason == "stale_timestamp":
                raise web.HTTPForbidden(text="stale timestamp") from exc
            raise web.HTTPUnauthorized(text="bad signature") from exc
        try:
            return json.loads(await request.read())
        except ValueError as exc:
            raise web.HTTPBadRequest(text="expected JSON") from exc

    async def _take(self, event: InboundEvent | None) -> web.Response:
        """Ack only after the inbox has the event; a failure answers 503 so DingTalk retries."""
        if event is None:
            return web.json_response({})
        try:
            await self._ingest(event)
        except Exception:
            log.exception("dingtalk.ingest_failed", event_id=event.event_id)
            raise web.HTTPServiceUnavailable(text="not saved, retry") from None
        return web.json_response({})

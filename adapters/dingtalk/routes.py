"""DingTalk HTTP callbacks (opt-in; Stream mode is the default): verify, translate, store, ack.

- ``POST /dingtalk/callback``: messages to the robot (the app's "message receiving" URL).
- ``POST /dingtalk/card-callback``: taps on interactive card buttons (the URL registered for the
  ``bizbot`` callback route key).

DingTalk's ``sign`` covers the timestamp, not the body. So each (timestamp, sign) pair is
accepted once, by whichever process sharing the database sees it first (``SeenSignatures``), and
a body addressed to another corp or robot than the configured ones is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from adapters.dingtalk import signing
from adapters.dingtalk.translate import (
    CHANNEL,
    PayloadError,
    card_callback_to_event,
    message_to_event,
)
from bot.events import InboundEvent
from bot.logging import get_logger
from bot.ports import Ingest, SeenSignatures

log = get_logger("bizbot.dingtalk")

ROBOT_PATH = "/dingtalk/callback"
CARD_PATH = "/dingtalk/card-callback"


@dataclass(frozen=True, slots=True)
class Addressee:
    """The corp and robot callbacks must be addressed to; an empty value is not checked."""

    corp_id: str = ""
    robot_code: str = ""


@dataclass(frozen=True, slots=True)
class _Route:
    """What one callback path carries: where its body names the corp and robot, how to read it."""

    path: str
    corp_field: str
    robot_field: str  # "" where the body names no robot (card callbacks)
    translate: Callable[[Any], InboundEvent | None]


ROBOT = _Route(ROBOT_PATH, "chatbotCorpId", "robotCode", message_to_event)
CARD = _Route(CARD_PATH, "corpId", "", card_callback_to_event)


def setup_routes(
    app: web.Application,
    *,
    app_secret: str,
    ingest: Ingest,
    seen: SeenSignatures,
    addressee: Addressee,
    clock: Callable[[], float] = time.time,
) -> None:
    """Add the robot and card callback routes."""
    handlers = _Handlers(app_secret, ingest, seen, addressee, clock)
    app.router.add_post(ROBOT_PATH, handlers.robot_message)
    app.router.add_post(CARD_PATH, handlers.card_tap)


class _Handlers:
    def __init__(
        self,
        app_secret: str,
        ingest: Ingest,
        seen: SeenSignatures,
        addressee: Addressee,
        clock: Callable[[], float],
    ) -> None:
        self._secret = app_secret
        self._ingest = ingest
        self._seen = seen
        self._addressee = addressee
        self._clock = clock

    async def robot_message(self, request: web.Request) -> web.Response:
        return await self._handle(request, ROBOT)

    async def card_tap(self, request: web.Request) -> web.Response:
        return await self._handle(request, CARD)

    async def _handle(self, request: web.Request, route: _Route) -> web.Response:
        """Signed, unused, addressed to us, readable: then stored; 4xx (or 503) otherwise."""
        signature = self._verified(request)
        await self._use(signature, request)
        try:
            body = json.loads(await request.read())
        except ValueError as exc:
            raise web.HTTPBadRequest(text="expected JSON") from exc
        self._check_addressee(body, route, request)
        try:
            event = route.translate(body)
        except PayloadError as exc:
            log.warning("dingtalk.bad_payload", path=route.path, error=str(exc))
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return await self._take(event, signature)

    def _verified(self, request: web.Request) -> str:
        """The request's ``timestamp`` and ``sign``, checked (401/403 otherwise), as one string."""
        timestamp, sign = request.headers.get("timestamp"), request.headers.get("sign")
        try:
            signing.verify(timestamp, sign, self._secret, int(self._clock() * 1000))
        except signing.Refused as exc:
            log.warning(f"refused.{exc.reason}", channel=CHANNEL, remote=request.remote)
            if exc.reason == "stale_timestamp":
                raise web.HTTPForbidden(text="stale timestamp") from exc
            raise web.HTTPUnauthorized(text="bad signature") from exc
        return f"{timestamp}\n{sign}"

    async def _use(self, signature: str, request: web.Request) -> None:
        """Use up the signature: 403 if it was used before, 503 if that cannot be recorded."""
        timestamp_ms = int(signature.partition("\n")[0])
        expires_at = datetime.fromtimestamp((timestamp_ms + signing.WINDOW_MS) / 1000, UTC)
        try:
            first = await self._seen.first_use(CHANNEL, signature, expires_at)
        except Exception:
            log.exception("dingtalk.signature_not_recorded")
            raise web.HTTPServiceUnavailable(text="not saved, retry") from None
        if not first:
            log.warning("refused.replayed_signature", channel=CHANNEL, remote=request.remote)
            raise web.HTTPForbidden(text="signature already used")

    def _check_addressee(self, body: Any, route: _Route, request: web.Request) -> None:
        """403 unless the body names the configured corp and robot (where they are set)."""
        if not isinstance(body, dict):
            return  # translate refuses it
        expected = (
            ("wrong_corp", route.corp_field, self._addressee.corp_id),
            ("wrong_robot", route.robot_field, self._addressee.robot_code),
        )
        for reason, field, value in expected:
            if field and value and body.get(field) != value:
                log.warning(f"refused.{reason}", channel=CHANNEL, remote=request.remote)
                raise web.HTTPForbidden(text="not addressed to this app")

    async def _take(self, event: InboundEvent | None, signature: str) -> web.Response:
        """Ack only after the inbox has the event; a failure answers 503 so DingTalk retries.

        The signature is then given back: a resent request may carry it again.
        """
        if event is None:
            return web.json_response({})
        try:
            await self._ingest(event)
        except Exception:
            log.exception("dingtalk.ingest_failed", event_id=event.event_id)
            await self._seen.forget(CHANNEL, signature)
            raise web.HTTPServiceUnavailable(text="not saved, retry") from None
        return web.json_response({})

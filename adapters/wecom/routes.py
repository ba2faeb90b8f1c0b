"""WeCom callbacks on ``/wecom/callback``: GET verifies the URL, POST carries encrypted XML.

Every request is checked (signature, timestamp window, decryption, receive id) before anything
is written; a POST is answered with an empty 200 once its event is committed to the inbox (or
its contact change stored), well inside WeCom's 5-second deadline. Replies are active sends.
A newly added external contact is looked up first (``externalcontact/get``, bounded to
``PROFILE_SECONDS``) so the CRM can match them by name and phone; without an answer the change
is stored without a profile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from aiohttp import web

from adapters.wecom.signing import WINDOW_SECONDS, Refused, WeComCrypto
from adapters.wecom.translate import PayloadError, callback_to_event, parse_xml
from bot.events import InboundEvent
from bot.logging import get_logger
from bot.ports import (
    DeliveryError,
    ExternalContactChange,
    ExternalContacts,
    ExternalProfile,
    Ingest,
)

log = get_logger("bizbot.wecom")

PATH = "/wecom/callback"
FORBIDDEN_REASONS = frozenset({"stale_timestamp", "wrong_receive_id"})
PROFILE_SECONDS = 2.0  # of WeCom's 5-second deadline

Profiles = Callable[[str, str], Awaitable[ExternalProfile]]  # (external user, member) -> profile


def setup_routes(
    app: web.Application,
    *,
    crypto: WeComCrypto,
    ingest: Ingest,
    contacts: ExternalContacts | None,
    profiles: Profiles | None = None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Add ``GET`` and ``POST /wecom/callback``."""
    handlers = _Handlers(crypto, ingest, contacts, profiles, clock)
    app.router.add_get(PATH, handlers.verify_url)
    app.router.add_post(PATH, handlers.receive)


class _Handlers:
    def __init__(
        self,
        crypto: WeComCrypto,
        ingest: Ingest,
        contacts: ExternalContacts | None,
        profiles: Profiles | None,
        clock: Callable[[], float],
    ) -> None:
        self._crypto = crypto
        self._ingest = ingest
        self._contacts = contacts
        self._profiles = profiles
        self._clock = clock

    async def verify_url(self, request: web.Request) -> web.Response:
        """Answer WeCom's URL check with the decrypted ``echostr``, exactly."""
        echo = request.query.get("echostr", "").replace(" ", "+")  # a "+" decoded as a space
        plain = self._open(request, echo)
        return web.Response(text=plain, content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        try:
            outer = parse_xml(await request.read())
        except PayloadError as exc:
            log.warning("refused.bad_xml", channel="wecom", error=str(exc))
            raise web.HTTPBadRequest(text="bad XML") from exc
        plain = self._open(request, outer.get("Encrypt", ""))
        try:
            item = callback_to_event(parse_xml(plain))
        except PayloadError as exc:
            log.warning("wecom.bad_payload", error=str(exc))
            raise web.HTTPBadRequest(text="bad payload") from exc
        await self._take(item)
        return web.Response(text="")

    def _open(self, request: web.Request, encrypted: str) -> str:
        """Check signature and freshness, then decrypt; 401/403 otherwise, logged."""
        query = request.query
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        try:
            if not encrypted or not timestamp.isdigit() or not nonce:
                raise Refused("missing_parameters")
            self._crypto.check(query.get("msg_signature", ""), timestamp, nonce, encrypted)
            if abs(self._clock() - int(timestamp)) > WINDOW_SECONDS:
                raise Refused("stale_timestamp")
            return self._crypto.decrypt(encrypted)
        except Refused as exc:
            log.warning(f"refused.{exc.reason}", channel="wecom", remote=request.remote)
            if exc.reason in FORBIDDEN_REASONS:
                raise web.HTTPForbidden(text=exc.reason) from exc
            raise web.HTTPUnauthorized(text="refused") from exc

    async def _take(self, item: InboundEvent | ExternalContactChange | None) -> None:
        """Commit before answering; a failure answers 503 so WeCom retries."""
        if item is None:
            return
        try:
            if isinstance(item, InboundEvent):
                await self._ingest(item)
            elif self._contacts is not None:
                await self._contacts.record(await self._with_profile(item))
            else:
                log.warning("wecom.contact_change_dropped", external=item.external_user_id)
        except Exception:
            log.exception("wecom.ingest_failed")
            raise web.HTTPServiceUnavailable(text="not saved, retry") from None

    async def _with_profile(self, change: ExternalContactChange) -> ExternalContactChange:
        """An added contact with what WeCom tells of them; unchanged if WeCom does not answer."""
        if not change.added or self._profiles is None:
            return change
        try:
            profile = await asyncio.wait_for(
                self._profiles(change.external_user_id, change.staff_user_id), PROFILE_SECONDS
            )
        except (DeliveryError, PayloadError, TimeoutError) as exc:
            log.warning(
                "wecom.profile_unavailable", external=change.external_user_id, error=str(exc)
            )
            return change
        return replace(change, profile=profile)

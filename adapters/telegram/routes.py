"""``POST /telegram/webhook``: check the secret token, make the update durable, then answer 200.

Telegram does not sign updates; ``setWebhook``'s ``secret_token`` comes back in a header, which
is compared in constant time. Anything but 2xx makes Telegram deliver the update again, so a
failed ingest answers 503 and the retry is deduplicated by the inbox.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update

from adapters.telegram.translate import UpdateError, parse_update
from bot.logging import get_logger

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
log = get_logger("bizbot.telegram")

Take = Callable[[Update], Awaitable[object]]


def add_webhook_route(app: web.Application, secret_token: str, take: Take) -> None:
    """Serve Telegram's webhook; ``take`` must return only once the update is committed."""
    app.router.add_post(WEBHOOK_PATH, Webhook(secret_token, take).receive)


class Webhook:
    """The webhook handler: verify, parse, take, acknowledge."""

    def __init__(self, secret_token: str, take: Take) -> None:
        if not secret_token:
            raise ValueError("the Telegram webhook needs a secret token")
        self._secret = secret_token.encode()
        self._take = take

    async def receive(self, request: web.Request) -> web.Response:
        """One update from Telegram."""
        refusal = self.refusal(request.headers.get(SECRET_HEADER))
        if refusal is not None:
            log.warning("refused.telegram_secret", status=refusal.status, remote=request.remote)
            return refusal
        try:
            update = parse_update(json.loads(await request.read()))
        except (ValueError, UpdateError) as exc:
            log.warning("refused.telegram_update", error=str(exc)[:200], remote=request.remote)
            return web.json_response({"error": "not a Telegram update"}, status=400)
        try:
            await self._take(update)
        except Exception:
            log.exception("telegram.ingest_failed", update_id=update.update_id)
            return web.json_response({"error": "not stored, retry"}, status=503)
        return web.Response()

    def refusal(self, given: str | None) -> web.Response | None:
        """401 without the secret header, 403 with a wrong one, None when it matches."""
        if given is None:
            return web.json_response({"error": "missing secret token"}, status=401)
        if not hmac.compare_digest(given.encode(), self._secret):
            return web.json_response({"error": "wrong secret token"}, status=403)
        return None

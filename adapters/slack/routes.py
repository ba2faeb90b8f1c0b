"""Slack's one inbound URL, ``POST /slack/events``: slack-bolt verifies, we translate and ingest.

Bolt checks the signature and its 5-minute window, and answers ``url_verification`` and
``ssl_check`` itself. Our listeners only translate and hand the event to ``ingest``, which
returns once the inbox row is committed; then they ack. ``process_before_response=True`` runs
them inline, so the HTTP answer (or, in Socket Mode, the envelope ack) goes out only after the
commit; if ``ingest`` raises, Bolt answers 500 and Slack retries.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import PayloadError, action_events, command_event, message_event
from bot.events import InboundEvent
from bot.logging import get_logger
from bot.ports import Ingest

# Keeps the files a message event carries and returns the event with them (see SlackChannel).
Attach = Callable[[InboundEvent, Mapping[str, Any]], Awaitable[InboundEvent]]
EVENTS_PATH = "/slack/events"
SIGNATURE_WINDOW = 300  # seconds, as Bolt's SignatureVerifier
ANYTHING = re.compile(r".*")
log = get_logger("bizbot.slack")


class SlackInbound:
    """A slack-bolt ``AsyncApp`` whose listeners translate and ingest, and ack after the commit."""

    def __init__(
        self,
        *,
        signing_secret: str,
        bot_token: str,
        api_url: str,
        ingest: Ingest,
        clock: Callable[[], float] = time.time,
        attach: Attach | None = None,
    ) -> None:
        self._clock = clock
        self._verifier = SignatureVerifier(signing_secret)
        self.bolt = build_bolt(signing_secret, bot_token, api_url, ingest, attach)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler of ``POST /slack/events``."""
        try:
            bolt_request = await to_bolt_request(request)
            if not isinstance(bolt_request.body, dict):
                raise ValueError("the body is not an object")
        except (ValueError, TypeError, AttributeError):  # Bolt parses while it builds the request
            return await self._malformed(request)
        answer = await self.bolt.async_dispatch(bolt_request)
        if answer.status == 401:
            self._log_refusal(request)
        return await to_aiohttp_response(answer)

    async def _malformed(self, request: web.Request) -> web.Response:
        """A body Bolt cannot parse: 401 unless it is signed, then 400 (Slack never sends it)."""
        headers = request.headers
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not self._verifier.is_valid(
            await request.text(), timestamp, signature
        ):
            self._log_refusal(request)
            return web.json_response({"error": "invalid request"}, status=401)
        log.warning("refused.slack_payload", kind="body", reason="malformed body")
        return web.json_response({"error": "malformed body"}, status=400)

    def _log_refusal(self, request: web.Request) -> None:
        reason = refusal_reason(request.headers, self._clock())
        log.warning("refused.slack_request", reason=reason, remote=request.remote)


def build_bolt(
    signing_secret: str, bot_token: str, api_url: str, ingest: Ingest, attach: Attach | None = None
) -> AsyncApp:
    """The Bolt app: signature check, url_verification, ssl_check, and our three listeners.

    Bolt passes listener arguments by parameter name, so the listeners are plain closures.
    """

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        """The configured bot token for every request: no ``auth.test`` call, ever."""
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=bot_token)

    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await take(ingest, ack, "command", lambda: [command_event(body)])

    async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await take(ingest, ack, "action", lambda: action_events(body))

    async def on_event(ack: AsyncAck, body: dict[str, Any]) -> None:
        await take(ingest, ack, "event", lambda: _listed(message_event(body)), attach, body)

    bolt = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(base_url=api_url),
        authorize=authorize,
        process_before_response=True,
        logger=logging.getLogger("bizbot.slack.bolt"),
    )
    bolt.command(ANYTHING)(on_command)
    bolt.action(ANYTHING)(on_action)
    bolt.event(ANYTHING)(on_event)
    return bolt


async def take(
    ingest: Ingest,
    ack: AsyncAck,
    kind: str,
    translate: Callable[[], list[InboundEvent]],
    attach: Attach | None = None,
    body: Mapping[str, Any] | None = None,
) -> None:
    """Translate, keep the files a message carries, ingest every event (each returns after its
    commit), then ack."""
    try:
        events = translate()
    except PayloadError as exc:
        log.warning("refused.slack_payload", kind=kind, reason=str(exc))
        await ack()
        return
    if attach is not None and body is not None:
        events = [await attach(event, body) for event in events]
    for event in events:
        accepted = await ingest(event)
        if not accepted.new:
            log.info("slack.duplicate", event_id=event.event_id)
    await ack()


def _listed(event: InboundEvent | None) -> list[InboundEvent]:
    return [event] if event is not None else []


def refusal_reason(headers: Mapping[str, str], now: float) -> str:
    """Why Bolt refused a request, for the log: missing headers, a stale timestamp or a bad HMAC."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not timestamp or not headers.get("X-Slack-Signature"):
        return "missing_signature"
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return "bad_timestamp"
    return "stale_timestamp" if age > SIGNATURE_WINDOW else "bad_signature"

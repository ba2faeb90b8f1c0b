"""DingTalk Stream mode: robot messages and card taps over the official ``dingtalk-stream`` client.

The SDK's own ``start()`` opens the connection with a blocking ``requests`` call (no timeout)
inside the event loop, and swallows cancellation. We ask for the connection with aiohttp (the
same request), and let the SDK parse frames, call the handlers and send the acks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import dingtalk_stream
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, ChatbotMessage
from dingtalk_stream.version import VERSION_STRING

from adapters.dingtalk.translate import PayloadError, card_callback_to_event, message_to_event
from bot.events import InboundEvent
from bot.logging import get_logger
from bot.ports import Ingest

log = get_logger("bizbot.dingtalk.stream")

RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
OPEN_TIMEOUT = aiohttp.ClientTimeout(total=15)
CARD_TOPIC = dingtalk_stream.Card_Callback_Router_Topic


class _IngestHandler(CallbackHandler):  # type: ignore[misc]
    """Acks a frame only after its event is in the inbox (a failure makes DingTalk resend)."""

    def __init__(self, ingest: Ingest, card: bool) -> None:
        super().__init__()
        self._ingest = ingest
        self._card = card

    async def process(self, message: CallbackMessage) -> tuple[int, str]:
        try:
            event = self._translate(message)
        except PayloadError as exc:
            log.warning("dingtalk.bad_payload", topic=message.headers.topic, error=str(exc))
            return AckMessage.STATUS_BAD_REQUEST, "bad payload"
        if event is None:
            return AckMessage.STATUS_OK, "OK"
        try:
            await self._ingest(event)
        except Exception:
            log.exception("dingtalk.ingest_failed", event_id=event.event_id)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "not saved"
        return AckMessage.STATUS_OK, "OK"

    def _translate(self, message: CallbackMessage) -> InboundEvent | None:
        if self._card:
            return card_callback_to_event(message.data, str(message.headers.message_id or ""))
        return message_to_event(message.data)


class StreamReceiver:
    """Receives robot messages and card taps over Stream mode until stopped."""

    def __init__(self, app_key: str, app_secret: str, api_url: str) -> None:
        credential = dingtalk_stream.Credential(app_key, app_secret)
        self._client = dingtalk_stream.DingTalkStreamClient(credential)
        self._open_url = api_url.rstrip("/") + "/v1.0/gateway/connections/open"
        self._task: asyncio.Task[None] | None = None
        self._frames: set[asyncio.Task[None]] = set()

    def start(self, ingest: Ingest) -> None:
        """Connect in the background (reconnecting with backoff)."""
        self._client.register_callback_handler(ChatbotMessage.TOPIC, _IngestHandler(ingest, False))
        self._client.register_callback_handler(CARD_TOPIC, _IngestHandler(ingest, True))
        self._client.pre_start()
        self._task = asyncio.create_task(self._run(), name="dingtalk-stream")

    async def stop(self) -> None:
        """Close the socket and wait for frames being handled."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._frames:
            await asyncio.wait(self._frames, timeout=10)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                if await self._connect_once():
                    failures = 0
            except (OSError, ValueError, aiohttp.ClientError, websockets.WebSocketException) as exc:
                log.warning("dingtalk.stream_lost", error=f"{type(exc).__name__}: {exc}")
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
            failures += 1
            await asyncio.sleep(delay)

    async def _connect_once(self) -> bool:
        """One connection: True if it was opened (and has now closed)."""
        connection = await self._open_connection()
        if connection is None:
            return False
        uri = f"{connection['endpoint']}?ticket={quote_plus(connection['ticket'])}"
        async with websockets.connect(uri) as socket:
            self._client.websocket = socket
            log.info("dingtalk.stream_connected")
            async for raw in socket:
                task = asyncio.create_task(self._route(socket, raw))
                self._frames.add(task)
                task.add_done_callback(self._frames.discard)
        return True

    async def _open_connection(self) -> dict[str, str] | None:
        """Ask DingTalk for a socket endpoint and ticket (the SDK's ``open_connection`` body)."""
        credential = self._client.credential
        body = {
            "clientId": credential.client_id,
            "clientSecret": credential.client_secret,
            "subscriptions": [
                {"type": "CALLBACK", "topic": topic} for topic in self._client.callback_handler_map
            ],
            "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union",
            "localIp": "",
        }
        async with (
            aiohttp.ClientSession(timeout=OPEN_TIMEOUT) as http,
            http.post(self._open_url, json=body) as response,
        ):
            answer = await response.json(content_type=None)
        if response.status != 200 or not isinstance(answer, dict) or "endpoint" not in answer:
            log.warning("dingtalk.stream_open_failed", status=response.status)
            return None
        return {"endpoint": str(answer["endpoint"]), "ticket": str(answer.get("ticket", ""))}

    async def _route(self, socket: Any, raw: str | bytes) -> None:
        try:
            result = await self._client.route_message(json.loads(raw))
        except Exception:
            log.exception("dingtalk.stream_frame_failed")
            return
        if result == dingtalk_stream.DingTalkStreamClient.TAG_DISCONNECT:
            await socket.close()

"""Slack as a Bizbot channel: events over HTTP (``POST /slack/events``) or Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from adapters.slack.client import DEFAULT_API_URL, SlackClient
from adapters.slack.routes import EVENTS_PATH, SlackInbound
from adapters.slack.translate import SlackFile, message_files
from bot.events import InboundEvent, InboundFile
from bot.logging import get_logger
from bot.ports import MAX_INBOUND_BYTES, ChannelClient, Files, Ingest

log = get_logger("bizbot.slack")

# What the app manifest in docs/channels/slack.md must ask for (a test compares them).
SLASH_COMMAND = "/biz"
BOT_EVENTS = ("app_mention", "message.im")
BOT_SCOPES = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "im:history",
    "files:read",
    "files:write",
    "groups:read",  # deal rooms: find a private channel made before by its name
    "groups:write",  # deal rooms: create private channels and invite members
)
MAX_FILES = 10  # files kept from one message (Slack allows up to 10 per message)


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """What the Slack channel needs: the bot token, the signing secret, optionally an app token."""

    bot_token: str
    signing_secret: str
    app_token: str = ""
    api_url: str = DEFAULT_API_URL
    timeout: float = 10.0


class SlackChannel:
    """Slack's ``Channel``: routes, Socket Mode and delivery. Constructing it does no I/O."""

    def __init__(self, config: SlackConfig, files: Files | None = None) -> None:
        self.config = config
        self._files = files
        self._client = SlackClient(config.bot_token, config.api_url, timeout=config.timeout)
        self.client: ChannelClient = self._client
        self._inbound: SlackInbound | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None

    @property
    def socket_mode(self) -> bool:
        """Whether events arrive over Socket Mode (an app-level token is set)."""
        return bool(self.config.app_token)

    def inbound(self, ingest: Ingest) -> SlackInbound:
        """The Bolt app that verifies, translates and ingests (one per channel)."""
        if self._inbound is None:
            self._inbound = SlackInbound(
                signing_secret=self.config.signing_secret,
                bot_token=self.config.bot_token,
                api_url=self.config.api_url,
                ingest=ingest,
                attach=self._attach,
            )
        return self._inbound

    def mount(self, app: web.Application, ingest: Ingest) -> None:
        """``POST /slack/events``: Events API, slash commands and interactivity on one URL."""
        app.router.add_post(EVENTS_PATH, self.inbound(ingest).handle)

    async def start(self, ingest: Ingest) -> None:
        """Open the Socket Mode connection in the background when an app token is set."""
        if not self.socket_mode:
            return
        handler = AsyncSocketModeHandler(self.inbound(ingest).bolt, self.config.app_token)
        self._socket = handler
        self._connecting = asyncio.create_task(
            handler.connect_async(),  # type: ignore[no-untyped-call]
            name="slack-socket-mode",
        )
        log.info("slack.socket_mode", api_url=self.config.api_url)

    async def stop(self) -> None:
        """Close the Socket Mode connection."""
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
            self._connecting = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None

    async def _attach(self, event: InboundEvent, body: Mapping[str, Any]) -> InboundEvent:
        """Download, check and keep the files of a member's message (before it is stored)."""
        found = message_files(body)
        if not found:
            return event
        kept = [await self._keep(event, file) for file in found[:MAX_FILES]]
        return replace(event, files=tuple(kept))

    async def _keep(self, event: InboundEvent, file: SlackFile) -> InboundFile:
        if file.size > MAX_INBOUND_BYTES:
            return InboundFile(file.name, "", file.size, refused="too_big")
        data = await self._client.download(file.url, MAX_INBOUND_BYTES) if self._files else None
        if data is None or self._files is None:
            return InboundFile(file.name, "", file.size, refused="unavailable")
        return await self._files.keep(event.address, event.sender_id, file.name, data)

    async def close(self) -> None:
        """Close the delivery client's connections."""
        await self._client.close()

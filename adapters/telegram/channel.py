"""The Telegram channel: updates in by webhook or long polling, messages out through PTB's Bot.

Updates go into Bizbot's own pipeline (inbox, workers, outbox), never through PTB's
``Application``: research/performance.md measured its inline ``process_update`` at about 250
updates/s and its queue as unbounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, replace

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from adapters.telegram.client import TelegramClient
from adapters.telegram.polling import POLL_WAIT, Poller
from adapters.telegram.routes import add_webhook_route
from adapters.telegram.translate import (
    BotIdentity,
    FileRef,
    bot_id_of,
    callback_query_id,
    file_of,
    to_event,
)
from bot.config import Settings
from bot.events import InboundEvent, InboundFile
from bot.logging import get_logger
from bot.ports import MAX_INBOUND_BYTES, Accepted, ChannelClient, Files, Ingest

log = get_logger("bizbot.telegram")

SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
IDENTIFY_RETRY_MAX = 60.0


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """The Telegram settings (``BIZBOT_TELEGRAM_*``)."""

    token: str
    secret_token: str = ""
    api_url: str = "https://api.telegram.org/bot"
    polling: bool = False
    staff_group: str = ""  # a supergroup with topics: deal rooms are topics in it

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig:
        """Read them from Bizbot's settings (the token must be set)."""
        token, secret = settings.telegram_bot_token, settings.telegram_secret_token
        return cls(
            token=token.get_secret_value() if token else "",
            secret_token=secret.get_secret_value() if secret else "",
            api_url=settings.telegram_api_url,
            polling=settings.telegram_polling,
            staff_group=settings.telegram_staff_group,
        )

    def check(self) -> None:
        """Raise ValueError with the fix when the settings cannot work."""
        try:
            bot_id_of(self.token)
        except ValueError as exc:
            raise ValueError(f"BIZBOT_TELEGRAM_BOT_TOKEN: {exc}") from None
        if not self.api_url.startswith(("https://", "http://")):
            raise ValueError("BIZBOT_TELEGRAM_API_URL must be an http(s) URL")
        if self.secret_token and not SECRET_FORMAT.match(self.secret_token):
            raise ValueError(
                "BIZBOT_TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        if not self.secret_token and not self.polling:
            raise ValueError(
                "BIZBOT_TELEGRAM_SECRET_TOKEN is required for the webhook "
                "(or set BIZBOT_TELEGRAM_POLLING=1 where Telegram cannot reach this server)"
            )


class TelegramChannel:
    """An enabled Telegram bot (see bot.ports.Channel)."""

    def __init__(
        self,
        config: TelegramConfig,
        *,
        client: TelegramClient | None = None,
        poll_wait: int = POLL_WAIT,
        files: Files | None = None,
    ) -> None:
        config.check()
        self._files = files
        self.config = config
        self.api = client or TelegramClient(
            config.token, config.api_url, staff_group=config.staff_group
        )
        self.client: ChannelClient = self.api
        self.me = BotIdentity(bot_id_of(config.token))
        self._poll_wait = poll_wait
        self._poller: Poller | None = None
        self._identifying: asyncio.Task[None] | None = None

    def mount(self, app: web.Application, ingest: Ingest) -> None:
        """Serve ``POST /telegram/webhook`` (not in long-polling mode)."""
        if not self.config.polling:
            add_webhook_route(app, self.config.secret_token, lambda u: self.take(u, ingest))

    async def start(self, ingest: Ingest) -> None:
        """Learn the bot's username (``getMe``), then start long polling if configured."""
        if not await self._identify():
            self._identifying = asyncio.create_task(self._identify_later(), name="telegram-getme")
        if self.config.polling:
            self._poller = Poller(self.api, lambda u: self.take(u, ingest), wait=self._poll_wait)
            self._poller.start()
        log.info("telegram.started", mode="polling" if self.config.polling else "webhook")

    async def stop(self) -> None:
        """Stop long polling (confirming what was stored)."""
        if self._poller is not None:
            await self._poller.stop()
            self._poller = None
        if self._identifying is not None:
            self._identifying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._identifying

    async def close(self) -> None:
        """Close the Bot API connections."""
        await self.api.close()

    async def take(self, update: Update, ingest: Ingest) -> Accepted | None:
        """Store what an update asks for; a button tap is then answered, whatever it asked."""
        event = to_event(update, self.me)
        ref = file_of(update)
        if event is not None and ref is not None:
            event = replace(event, files=(await self._keep(event, ref),))
        accepted = await ingest(event) if event is not None else None
        query = callback_query_id(update)
        if query is not None:
            self.api.answer_soon(query)
        return accepted

    async def _keep(self, event: InboundEvent, ref: FileRef) -> InboundFile:
        """Download a member's file and have it checked and kept (before the event is stored,
        which then refers to it); too big or unavailable ones are refused without keeping."""
        if ref.size > MAX_INBOUND_BYTES:
            return InboundFile(ref.name, "", ref.size, refused="too_big")
        data = await self.api.download(ref.file_id, MAX_INBOUND_BYTES) if self._files else None
        if data is None or self._files is None:
            return InboundFile(ref.name, "", ref.size, refused="unavailable")
        return await self._files.keep(event.address, event.sender_id, ref.name, data)

    async def _identify(self) -> bool:
        try:
            user = await self.api.identify()
        except InvalidToken as exc:
            raise ValueError(f"Telegram refused BIZBOT_TELEGRAM_BOT_TOKEN: {exc}") from exc
        except TelegramError as exc:
            log.warning("telegram.get_me_failed", error=str(exc))
            return False
        self.me = BotIdentity(user.id, user.username or "")
        log.info("telegram.identified", username=self.me.username)
        return True

    async def _identify_later(self) -> None:
        """Until ``getMe`` answers, group commands addressed ``/cmd@name`` are not taken."""
        delay = 1.0
        while not await self._identify():
            await asyncio.sleep(delay)
            delay = min(delay * 2, IDENTIFY_RETRY_MAX)


async def set_webhook(config: TelegramConfig, url: str, *, drop_pending: bool = False) -> None:
    """``bizbot telegram set-webhook URL``: Telegram delivers to ``url`` with our secret token."""
    config.check()
    if not config.secret_token:
        raise ValueError("set BIZBOT_TELEGRAM_SECRET_TOKEN first: the webhook requires it")
    client = TelegramClient(config.token, config.api_url)
    try:
        await client.set_webhook(url, config.secret_token, drop_pending=drop_pending)
    finally:
        await client.close()

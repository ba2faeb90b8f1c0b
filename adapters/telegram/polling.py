"""Long polling (``BIZBOT_TELEGRAM_POLLING=1``), for hosts Telegram cannot reach.

``getUpdates`` confirms every update below the offset it is given. The offset moves past an
update only after ``take`` returned, i.e. once the update is in the inbox: a crash or a restart
fetches again whatever was not stored, and the inbox deduplicates what was.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from telegram import Update
from telegram.error import RetryAfter, TelegramError

from adapters.telegram.client import TelegramClient, retry_after_seconds
from adapters.telegram.routes import Take
from bot.logging import get_logger

log = get_logger("bizbot.telegram")

POLL_WAIT = 25  # seconds Telegram may hold a getUpdates open
RETRY_FIRST, RETRY_MAX = 1.0, 60.0
CONFIRM_TIMEOUT = 5.0


class Poller:
    """Fetches updates in a loop and hands each batch to ``take`` together (one inbox commit)."""

    def __init__(self, client: TelegramClient, take: Take, *, wait: int = POLL_WAIT) -> None:
        self._client = client
        self._take = take
        self._wait = wait
        self.offset = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling in the background."""
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop polling, then confirm what was stored so a restart does not fetch it again."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self.offset:
            with contextlib.suppress(TelegramError, TimeoutError):
                confirm = self._client.fetch_updates(self.offset, wait=0, limit=1)
                await asyncio.wait_for(confirm, CONFIRM_TIMEOUT)

    async def _run(self) -> None:
        delay = RETRY_FIRST
        await self._until_webhook_removed()
        while True:
            try:
                updates = await self._client.fetch_updates(self.offset, self._wait)
                await self.take_all(updates)
                delay = RETRY_FIRST
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
            except Exception as exc:  # noqa: BLE001 - network or inbox trouble: back off, go on
                log.warning("telegram.polling_failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

    async def take_all(self, updates: Sequence[Update]) -> None:
        """Take a batch; advance the offset past each update stored, stopping at the first not."""
        ordered = sorted(updates, key=lambda u: u.update_id)
        results = await asyncio.gather(*(self._take(u) for u in ordered), return_exceptions=True)
        for update, result in zip(ordered, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            self.offset = max(self.offset, update.update_id + 1)

    async def _until_webhook_removed(self) -> None:
        """``getUpdates`` is refused while a webhook is set, so remove it first."""
        delay = RETRY_FIRST
        while True:
            try:
                await self._client.remove_webhook()
                return
            except TelegramError as exc:
                log.warning("telegram.delete_webhook_failed", error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

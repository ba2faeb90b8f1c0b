"""The ``Files`` port on the database: downloads for the web chat, inbound files kept."""

from __future__ import annotations

from bot.events import Address, InboundFile
from bot.pipeline.files import file_for, keep_inbound
from bot.ports import StoredFile
from domain.shared.clock import Clock
from domain.shared.db import Database


class DatabaseFiles:
    """Files in the ``files`` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def download(self, file_id: int, conversation_key: str) -> StoredFile | None:
        """A file of that conversation, or None."""
        return await self._db.run(lambda s: file_for(s, file_id, conversation_key))

    async def keep(self, address: Address, name: str, data: bytes) -> InboundFile:
        """Check and keep a file a member sent (committed before the event is stored)."""
        now = self._clock.now()
        return await self._db.run(lambda s: keep_inbound(s, address, name, data, now), urgent=True)

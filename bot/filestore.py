"""The ``Files`` port on the database: downloads for the web chat, inbound files kept."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.events import Address, InboundFile
from bot.pipeline.files import Refusal, file_for, keep_inbound, refused_file
from bot.ports import StoredFile
from domain.directory.reach import HANDLE_CHANNELS
from domain.directory.services import resolve_sender
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

    async def keep(self, address: Address, sender_id: str, name: str, data: bytes) -> InboundFile:
        """Check and keep a file a member sent (committed before the event is stored).

        Only an active member's files are kept: a stranger (or a guest) writing to the bot
        cannot fill the database with files.
        """
        now = self._clock.now()

        def work(session: Session) -> InboundFile:
            by_handle = address.channel in HANDLE_CHANNELS
            sender = resolve_sender(
                session, address.channel, address.workspace, sender_id, by_handle=by_handle
            )
            if sender is None or not sender.active:
                return refused_file(name, len(data), Refusal.STRANGER)
            return keep_inbound(session, address, name, data, now)

        return await self._db.run(work, urgent=True)

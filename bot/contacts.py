"""Recording external contacts reported by adapters, through the directory."""

from __future__ import annotations

from bot.ports import ExternalContactChange
from domain.directory.external_contacts import ContactChange, record_contact_change
from domain.shared.db import Database


class DirectoryExternalContacts:
    """The ``ExternalContacts`` port on the directory: one transaction per change."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, change: ExternalContactChange) -> None:
        """Store the change; returns once it is committed."""
        stored = ContactChange(
            channel=change.channel,
            workspace=change.workspace,
            external_user_id=change.external_user_id,
            staff_user_id=change.staff_user_id,
            added=change.added,
            state=change.state,
            at=change.changed_at,
        )
        await self._db.run(lambda s: record_contact_change(s, stored))

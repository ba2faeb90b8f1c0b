"""Recording external contacts reported by adapters, through the directory, and handing each
change that took effect to the CRM (which matches the customer to a contact)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from bot.ports import ExternalContactChange
from domain.crm.external_links import contact_changed
from domain.directory.external_contacts import (
    ContactChange,
    ExternalProfileFields,
    record_contact_change,
)
from domain.shared.clock import Clock, SystemClock
from domain.shared.db import Database


class DirectoryExternalContacts:
    """The ``ExternalContacts`` port on the directory: one transaction per change."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def record(self, change: ExternalContactChange) -> None:
        """Store the change; returns once it is committed."""
        profile = change.profile
        stored = ContactChange(
            channel=change.channel,
            workspace=change.workspace,
            external_user_id=change.external_user_id,
            staff_user_id=change.staff_user_id,
            added=change.added,
            state=change.state,
            at=change.changed_at,
            profile=ExternalProfileFields(**asdict(profile)) if profile is not None else None,
        )

        def work(session: Session) -> None:
            recorded = record_contact_change(session, stored)
            if recorded.took_effect:
                contact_changed(session, recorded.contact.id, self._clock.now())

        await self._db.run(work)

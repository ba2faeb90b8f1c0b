"""The ``SeenSignatures`` port on the database: one row per used callback signature.

A signature is stored as its SHA-256 digest (a live one is a credential until it expires), under
a primary key, so that of several processes sharing the database exactly one accepts it.
Expired rows are deleted by the hourly ``forget_expired_signatures`` job.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from bot.pipeline.tables import SeenSignatureRow
from domain.shared.db import Database

SEEN = cast(Table, SeenSignatureRow.__table__)


class DatabaseSeenSignatures:
    """Used signatures in the ``seen_signatures`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def first_use(self, channel: str, signature: str, expires_at: datetime) -> bool:
        """Record the signature; True only for the first request that carries it."""
        row = {"channel": channel, "digest": _digest(signature), "expires_at": expires_at}
        dialect = self._db.dialect

        def work(session: Session) -> bool:
            return session.execute(_insert(dialect), row).first() is not None

        return await self._db.run(work, urgent=True)

    async def forget(self, channel: str, signature: str) -> None:
        """Delete the signature's row."""
        where = (SeenSignatureRow.channel == channel, SeenSignatureRow.digest == _digest(signature))
        await self._db.run(lambda s: s.execute(delete(SeenSignatureRow).where(*where)), urgent=True)


def forget_expired_signatures(session: Session, now: datetime) -> int:
    """Delete the signatures that can no longer be accepted; returns how many went."""
    result = session.execute(delete(SeenSignatureRow).where(SeenSignatureRow.expires_at < now))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _digest(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()


@cache
def _insert(dialect: str) -> ReturningInsert[Any]:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(SEEN).on_conflict_do_nothing().returning(SEEN.c.digest)

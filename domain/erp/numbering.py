"""Gapless document numbers per kind and year (``SO2026-00001``, ``QT2026-00001``, ``PO…``).

One upsert takes the next number and holds the sequence row's lock until the transaction that
creates the document commits; if it rolls back, the number is given back with it, so numbers
are unique and without gaps even when many documents are created at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.erp.sales_models import DocumentSequence
from domain.shared.errors import DomainError

DIGITS = 5


def next_number(session: Session, kind: str, year: int) -> str:
    """The next number of ``kind`` (two or three capitals) in ``year``: ``SO2026-00001``."""
    if not (kind.isascii() and kind.isalpha() and kind.isupper() and 2 <= len(kind) <= 8):
        raise DomainError("{kind} is not a kind of document number.", kind=kind)
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    first = insert_(DocumentSequence).values(kind=kind, year=year, last=1)
    statement = first.on_conflict_do_update(
        index_elements=["kind", "year"], set_={"last": DocumentSequence.last + 1}
    ).returning(DocumentSequence.last)
    last = session.execute(statement).scalar_one()
    return f"{kind}{year}-{last:0{DIGITS}d}"


def last_number(session: Session, kind: str, year: int) -> int:
    """How many numbers of ``kind`` were given in ``year`` (0: none yet)."""
    query = select(DocumentSequence.last).where(
        DocumentSequence.kind == kind, DocumentSequence.year == year
    )
    return session.scalar(query) or 0

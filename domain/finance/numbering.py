"""Gapless entry numbers per journal and year (``GJ2026-00001``), the way the ERP numbers its
documents (domain/erp/numbering.py): one upsert takes the next number and holds the sequence
row's lock until the posting transaction ends; a rollback gives the number back."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.finance.models import EntrySequence

DIGITS = 5


def next_entry_number(session: Session, journal: str, year: int) -> str:
    """The next number of ``journal`` in ``year``."""
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    first = insert_(EntrySequence).values(journal=journal, year=year, last=1)
    statement = first.on_conflict_do_update(
        index_elements=["journal", "year"], set_={"last": EntrySequence.last + 1}
    ).returning(EntrySequence.last)
    last = session.execute(statement).scalar_one()
    return f"{journal}{year}-{last:0{DIGITS}d}"

"""Tables of the finance ledger: the chart of accounts, journals and their gapless numbering,
monthly fiscal periods, and journal entries with their lines.

Amounts are exact: ``Money`` (integer minor units) in the books' base currency; an entry keeps
the currency of its document and the rate it was converted at. A posted entry is never edited
or deleted (a correction is a reversal); on PostgreSQL and SQLite a trigger refuses it too."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money
from domain.shared.quantity import Quantity

RowId = BigInteger().with_variant(Integer, "sqlite")
RATE_DIGITS = 6  # exchange rates: 7.123456 CNY for one USD
ACCOUNT_TYPES = ("asset", "liability", "equity", "cost", "revenue", "expense")
DEBIT_TYPES = frozenset({"asset", "cost", "expense"})  # the rest are credit-normal
POSTED = "posted"
REVERSED = "reversed"


class Account(Base):
    """An account of the chart: its code, names, type, normal side and parent."""

    __tablename__ = "finance_accounts"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))  # debit | credit (a contra account: the other)
    parent_code: Mapped[str | None] = mapped_column(String(16))
    chart: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Journal(Base):
    """A book entries are posted in (``GJ`` general, ``SJ`` sales …), numbered on its own."""

    __tablename__ = "finance_journals"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100), default="")
    name_en: Mapped[str] = mapped_column(String(100), default="")


class EntrySequence(Base):
    """The last number a journal gave in a year, changed under a row lock in the transaction
    that posts the entry (a rollback gives the number back: no gaps)."""

    __tablename__ = "finance_sequences"

    journal: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Period(Base):
    """A calendar month of the books; closed, it takes no more entries."""

    __tablename__ = "finance_periods"
    __table_args__ = (UniqueConstraint("year", "month"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class Entry(Base):
    """A posted journal entry (``GJ2026-00001``). Only ``status`` ever changes: posted, then
    reversed once its mirror (``reversal_of`` pointing back) is posted."""

    __tablename__ = "finance_entries"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_finance_entries_on", "entry_date"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("finance_journals.id"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    entry_date: Mapped[date] = mapped_column(Date)
    period_id: Mapped[int] = mapped_column(ForeignKey("finance_periods.id"))
    memo: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    rate: Mapped[Decimal] = mapped_column(Quantity(RATE_DIGITS), default=Decimal(1))
    status: Mapped[str] = mapped_column(String(16), default=POSTED)
    reversal_of: Mapped[int | None] = mapped_column(ForeignKey("finance_entries.id"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EntryLine(Base):
    """One side of an entry on one account: a debit or a credit, never both, in minor units."""

    __tablename__ = "finance_entry_lines"
    __table_args__ = (
        UniqueConstraint("entry_id", "position"),
        Index("ix_finance_entry_lines_account", "account_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("finance_entries.id"))
    position: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("finance_accounts.id"))
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    department: Mapped[str] = mapped_column(String(64), default="")
    project: Mapped[str] = mapped_column(String(64), default="")
    memo: Mapped[str] = mapped_column(String(200), default="")


class Balance(Base):
    """What an account was debited and credited in one month for one department (``""``: none).

    A summary kept by ``post_entry`` and ``reverse_entry`` in the transaction that writes the
    lines, so the statements read a few thousand rows instead of every line; the lines stay the
    source of truth (``balances.rebuild_balances`` makes the table again from them)."""

    __tablename__ = "finance_balances"

    account_id: Mapped[int] = mapped_column(ForeignKey("finance_accounts.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))

"""Tables of receivables and payables: open items (a customer invoice, a supplier bill, an
expense claim owed to an employee), the payments and receipts recorded against them, and how
each payment was matched to items. Amounts are ``Money`` in the books' base currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money

RowId = BigInteger().with_variant(Integer, "sqlite")
RECEIVABLE = "receivable"  # a customer owes us
PAYABLE = "payable"  # we owe a supplier or an employee
CUSTOMER, SUPPLIER, EMPLOYEE = "customer", "supplier", "employee"


class OpenItem(Base):
    """A document a party owes or is owed: what it was and what of it is still open."""

    __tablename__ = "finance_open_items"
    __table_args__ = (Index("ix_finance_open_items_party", "party_kind", "party_id", "due_on"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # receivable | payable
    party_kind: Mapped[str] = mapped_column(String(16))  # customer | supplier | employee
    party_id: Mapped[int] = mapped_column(Integer)
    party_name: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(32), unique=True)  # the entry's number
    reference: Mapped[str] = mapped_column(String(64), default="")  # the order, the request
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money())
    open_amount: Mapped[Decimal] = mapped_column(Money())
    entry_id: Mapped[int] = mapped_column(ForeignKey("finance_entries.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Payment(Base):
    """Money received from a customer (``in``) or paid to a supplier or employee (``out``);
    ``unapplied`` is what no item took: a credit on the party, used by its next documents."""

    __tablename__ = "finance_payments"
    __table_args__ = (Index("ix_finance_payments_party", "party_kind", "party_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # the command that recorded it
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    party_kind: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    party_name: Mapped[str] = mapped_column(String(200))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    unapplied: Mapped[Decimal] = mapped_column(Money())
    reference: Mapped[str] = mapped_column(String(64), default="")
    entry_id: Mapped[int] = mapped_column(ForeignKey("finance_entries.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Allocation(Base):
    """Part of a payment matched to an item (when recorded, or later from its credit)."""

    __tablename__ = "finance_allocations"
    __table_args__ = (Index("ix_finance_allocations_item", "item_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("finance_payments.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("finance_open_items.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    applied_on: Mapped[date] = mapped_column(Date)

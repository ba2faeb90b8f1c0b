"""The budgets table: how much a department may spend on an account in one month, who owns it,
and which spending alerts (80 %, 100 %) its owner has had."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money

RowId = BigInteger().with_variant(Integer, "sqlite")


class Budget(Base):
    """A month's budget for a department (the lines' ``department`` dimension) on an account and
    its sub-accounts. ``alerted`` is the highest threshold (0, 80, 100) its owner was told of; it
    only rises, by compare-and-set, except when the amount changes (re-armed)."""

    __tablename__ = "finance_budgets"
    __table_args__ = (UniqueConstraint("department", "account_code", "year", "month"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(64))
    account_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    alerted: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))

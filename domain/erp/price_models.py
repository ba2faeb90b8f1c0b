"""Tables of price lists: a list for a customer (by the CRM's plain customer number) or for a
customer tier, valid between two days, in one currency; its lines are a product's price from a
quantity on (the quantity breaks)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.erp.models import COST_DIGITS, RowId
from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money
from domain.shared.quantity import Quantity


class PriceList(Base):
    """Prices for one customer (``customer_id``) or one tier (``tier``), never both."""

    __tablename__ = "erp_price_lists"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the CRM's, no key
    tier: Mapped[str] = mapped_column(String(32), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # the last day it applies
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PriceLine(Base):
    """A product's unit price in a list from ``min_qty`` on."""

    __tablename__ = "erp_price_lines"
    __table_args__ = (UniqueConstraint("price_list_id", "product_id", "min_qty"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("erp_price_lists.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    min_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    price: Mapped[Decimal] = mapped_column(Money(COST_DIGITS))

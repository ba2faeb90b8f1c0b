"""Tables of stock takes: the take itself (one open per warehouse), the book quantities at its
start, and each counter's latest count of each product."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.erp.models import RowId
from domain.shared.db import Base, UTCDateTime
from domain.shared.quantity import Quantity


class StockTake(Base):
    """A blind count of one warehouse's main location: ``counting``, then ``review`` (the
    variance card is out), then ``approved`` or ``cancelled``. ``open_warehouse_id`` is the
    warehouse's id while the take is open and None once it is closed: being unique, it allows
    one open take per warehouse."""

    __tablename__ = "erp_stock_takes"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("erp_warehouses.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("erp_locations.id"))
    open_warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("erp_warehouses.id"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="counting")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StockTakeBook(Base):
    """What the books said a product's quantity was when the take started."""

    __tablename__ = "erp_stock_take_books"

    stock_take_id: Mapped[int] = mapped_column(ForeignKey("erp_stock_takes.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"), primary_key=True)
    book: Mapped[Decimal] = mapped_column(Quantity())


class StockCount(Base):
    """One counter's count of one product in a take; a later count by the same counter replaces
    it. Several counters' counts of a product are added up (each counts their own part)."""

    __tablename__ = "erp_stock_counts"

    stock_take_id: Mapped[int] = mapped_column(ForeignKey("erp_stock_takes.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())

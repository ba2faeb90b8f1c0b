"""Tables of the ERP's first slice: products, warehouses and locations, the append-only stock
ledger, one balance row per product and location, and each product's safety-stock watch.

Quantities are exact (``Quantity``: thousandths as integers); money is exact (``Money``: minor
units as integers, four places for unit costs so a box of 12 can be split exactly enough).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
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
COST_DIGITS = 4  # unit costs and prices: 0.0001 of the currency
VALUE_DIGITS = 2  # stock value: the currency's minor unit
RATE_DIGITS = 4  # tax rates: 0.13 is 13%


class Product(Base):
    """Something the company buys, makes, stocks or sells, known by its SKU."""

    __tablename__ = "erp_products"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="finished")
    uom: Mapped[str] = mapped_column(String(16), default="pcs")
    purchase_uom: Mapped[str] = mapped_column(String(16), default="")
    purchase_factor: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(1))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    cost: Mapped[Decimal] = mapped_column(Money(COST_DIGITS), default=Decimal(0))
    list_price: Mapped[Decimal] = mapped_column(Money(COST_DIGITS), default=Decimal(0))
    tax_rate: Mapped[Decimal] = mapped_column(Quantity(RATE_DIGITS), default=Decimal(0))
    safety_stock: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reorder_point: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reorder_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    lead_days: Mapped[int] = mapped_column(Integer, default=0)
    lead_calendar_days: Mapped[bool] = mapped_column(Boolean, default=False)
    lot_rule: Mapped[str] = mapped_column(String(16), default="lot_for_lot")
    lot_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    default_supplier: Mapped[str] = mapped_column(String(200), default="")
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Warehouse(Base):
    """A building or site that holds stock."""

    __tablename__ = "erp_warehouses"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class Location(Base):
    """A place inside a warehouse (a shelf, a zone); every warehouse has its main one."""

    __tablename__ = "erp_locations"
    __table_args__ = (UniqueConstraint("warehouse_id", "code"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("erp_warehouses.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")


class StockMove(Base):
    """One change of stock, never edited: goods leave ``from_location`` (None: they come from
    outside) and reach ``to_location`` (None: they leave the company). ``value`` is what the goods
    were worth at the moment (receipts at their cost, issues at the moving average)."""

    __tablename__ = "erp_stock_moves"
    __table_args__ = (Index("ix_erp_stock_moves_product", "product_id", "id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("erp_locations.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("erp_locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(Money(COST_DIGITS))
    value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS))
    source: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StockBalance(Base):
    """What one location holds of one product; changed only with a move (or a reservation), in
    the same transaction, under a row lock."""

    __tablename__ = "erp_stock_balances"

    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("erp_locations.id"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS), default=Decimal(0))


class SafetyWatch(Base):
    """Whether a product's shortfall below its safety stock has been reported: one alert per
    breach, re-armed once available stock is back at the level."""

    __tablename__ = "erp_safety_watch"

    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"), primary_key=True)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    breaches: Mapped[int] = mapped_column(Integer, default=0)

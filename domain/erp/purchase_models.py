"""Tables of purchasing: suppliers, purchase requests and their lines, requests for quotation
with the quotes suppliers gave, purchase orders and their lines, receipts with inspection, and the
per-kind-per-year counters that number requests and orders without gaps.

An order line's open quantity is ordered less accepted less rejected (rejected goods go back and
are not waited for); receipts are unique on their key, so a redelivered receipt is one receipt.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.erp.models import COST_DIGITS, VALUE_DIGITS
from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money
from domain.shared.quantity import Quantity

RowId = BigInteger().with_variant(Integer, "sqlite")


class Supplier(Base):
    """A company the business buys from."""

    __tablename__ = "erp_suppliers"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contacts: Mapped[str] = mapped_column(String(500), default="")
    payment_terms: Mapped[str] = mapped_column(String(200), default="")
    lead_days: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PurchaseRequest(Base):
    """Someone's request to buy, decided through the ``purchase`` approval template."""

    __tablename__ = "erp_purchase_requests"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    needed_by: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    approval_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    amount: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PurchaseRequestLine(Base):
    """A product and quantity asked for, with the price it was estimated at."""

    __tablename__ = "erp_purchase_request_lines"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("erp_purchase_requests.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money(COST_DIGITS), default=Decimal(0))


class Quote(Base):
    """A request for quotation of one product of a request to one supplier, and (once the
    supplier answered) its price and lead time."""

    __tablename__ = "erp_quotes"
    __table_args__ = (UniqueConstraint("request_id", "supplier_id", "product_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("erp_purchase_requests.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("erp_suppliers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    unit_price: Mapped[Decimal | None] = mapped_column(Money(COST_DIGITS))
    lead_days: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PurchaseOrder(Base):
    """An order to a supplier; at most one per purchase request."""

    __tablename__ = "erp_purchase_orders"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("erp_suppliers.id"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("erp_purchase_requests.id"), unique=True
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("erp_warehouses.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    expected_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PurchaseOrderLine(Base):
    """A product ordered at a price; what was accepted and rejected so far."""

    __tablename__ = "erp_purchase_order_lines"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("erp_purchase_orders.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money(COST_DIGITS))
    accepted: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    rejected: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class Receipt(Base):
    """Goods of one order that arrived, inspected; unique on its key (the chat event)."""

    __tablename__ = "erp_receipts"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("erp_purchase_orders.id"))
    received_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    received_on: Mapped[date] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReceiptLine(Base):
    """What arrived of one order line: accepted (into stock) and rejected (sent back)."""

    __tablename__ = "erp_receipt_lines"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("erp_receipts.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("erp_purchase_order_lines.id"))
    accepted: Mapped[Decimal] = mapped_column(Quantity())
    rejected: Mapped[Decimal] = mapped_column(Quantity())

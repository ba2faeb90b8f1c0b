"""Tables of the ERP's sales: the numbering of documents, quotations and sales orders with their
lines, and the deliveries that ship them.

A quotation and a sales order are both a ``SalesDocument`` (``kind`` ``quote`` or ``order``); an
accepted quotation becomes a new order that points back to it. A line keeps what is reserved for
it and what was delivered and returned; what is neither reserved nor delivered of a confirmed
order is its backorder. The customer is the CRM's, by id (the ERP does not import the CRM)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.erp.models import COST_DIGITS, RATE_DIGITS, VALUE_DIGITS, RowId
from domain.shared.db import Base, UTCDateTime
from domain.shared.money import Money
from domain.shared.quantity import Quantity


class DocumentSequence(Base):
    """The last number given to a kind of document in a year, changed under a row lock in the
    transaction that creates the document (a rollback gives the number back: no gaps)."""

    __tablename__ = "erp_sequences"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SalesDocument(Base):
    """A quotation (``QT2026-00001``) or a sales order (``SO2026-00001``) for a CRM customer."""

    __tablename__ = "erp_sales_documents"
    __table_args__ = (Index("ix_erp_sales_documents_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # quote | order
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(Integer)
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("erp_locations.id"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("erp_sales_documents.id"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    note: Mapped[str] = mapped_column(String(500), default="")
    wanted_on: Mapped[date | None] = mapped_column(Date)  # the delivery date the customer asked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SalesLine(Base):
    """A product sold on a document: quantity, unit price (without tax) and tax rate; on an
    order, what is reserved for it, delivered and returned."""

    __tablename__ = "erp_sales_lines"
    __table_args__ = (Index("ix_erp_sales_lines_product", "product_id", "document_id"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("erp_sales_documents.id"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("erp_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money(COST_DIGITS))
    tax_rate: Mapped[Decimal] = mapped_column(Quantity(RATE_DIGITS), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    delivered: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    returned: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


class Delivery(Base):
    """One shipment of an order, partial or not, with its tracking number; ``key`` makes
    shipping the same request twice ship once."""

    __tablename__ = "erp_deliveries"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("erp_sales_documents.id"))
    tracking: Mapped[str] = mapped_column(String(100), default="")
    key: Mapped[str] = mapped_column(String(200), unique=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryLine(Base):
    """What one delivery shipped of one order line, the stock move that took it out, and what
    the goods were worth (the move's value)."""

    __tablename__ = "erp_delivery_lines"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("erp_deliveries.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("erp_sales_lines.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    move_id: Mapped[int] = mapped_column(ForeignKey("erp_stock_moves.id"))
    value: Mapped[Decimal] = mapped_column(Money(VALUE_DIGITS))

"""Reading sales documents: by number, a customer's, a seller's, those waiting to ship, and the
short count a customer card shows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.erp.models import Product
from domain.erp.sales_models import Delivery, DeliveryLine, SalesDocument, SalesLine
from domain.shared.money import quantize

OPEN_STATUSES = ("open", "draft", "confirmed", "partial")
TO_SHIP = ("confirmed", "partial")


@dataclass(frozen=True, slots=True)
class Totals:
    """A document's amount before tax, its tax, and the total."""

    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True, slots=True)
class OrderCount:
    """How many orders a customer has, and how many are still open."""

    orders: int
    open: int


def document_numbered(session: Session, number: str) -> SalesDocument | None:
    """A quotation or an order by its number (``so2026-1`` is ``SO2026-00001``)."""
    return session.scalar(
        select(SalesDocument).where(SalesDocument.number == normal_number(number))
    )


def normal_number(text: str) -> str:
    """A document number as stored: upper case, its sequence padded to five digits."""
    head, dash, tail = text.strip().upper().partition("-")
    if dash and tail.isdigit() and len(tail) <= 5:
        return f"{head}-{int(tail):05d}"
    return text.strip().upper()


def documents_of_customers(
    session: Session, customer_ids: Collection[int], *, limit: int
) -> list[SalesDocument]:
    """The newest quotations and orders of these customers."""
    query = select(SalesDocument).where(SalesDocument.customer_id.in_(customer_ids))
    return list(session.scalars(query.order_by(SalesDocument.id.desc()).limit(limit)))


def documents_of_owner(session: Session, owner_id: int, *, limit: int) -> list[SalesDocument]:
    """A seller's open quotations and orders, newest first."""
    query = select(SalesDocument).where(
        SalesDocument.owner_id == owner_id, SalesDocument.status.in_(OPEN_STATUSES)
    )
    return list(session.scalars(query.order_by(SalesDocument.id.desc()).limit(limit)))


def orders_to_ship(session: Session, *, limit: int) -> list[SalesDocument]:
    """Confirmed orders not yet fully delivered, oldest first."""
    query = select(SalesDocument).where(
        SalesDocument.kind == "order", SalesDocument.status.in_(TO_SHIP)
    )
    return list(
        session.scalars(query.order_by(SalesDocument.confirmed_at, SalesDocument.id).limit(limit))
    )


def order_count(session: Session, customer_id: int) -> OrderCount:
    """A customer's orders (cancelled ones left out) and how many are open."""
    rows = session.execute(
        select(SalesDocument.status, func.count())
        .where(
            SalesDocument.customer_id == customer_id,
            SalesDocument.kind == "order",
            SalesDocument.status != "cancelled",
        )
        .group_by(SalesDocument.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    return OrderCount(sum(counts.values()), sum(counts.get(s, 0) for s in ("draft", *TO_SHIP)))


def open_order_numbers(session: Session, customer_id: int, *, limit: int) -> list[str]:
    """The numbers of a customer's open orders (drafts, confirmed, partly delivered), oldest
    first."""
    query = select(SalesDocument.number).where(
        SalesDocument.customer_id == customer_id,
        SalesDocument.kind == "order",
        SalesDocument.status.in_(("draft", *TO_SHIP)),
    )
    return list(session.scalars(query.order_by(SalesDocument.id).limit(limit)))


def lines_with_products(session: Session, document_id: int) -> list[tuple[SalesLine, Product]]:
    """A document's lines with their products, in order."""
    query = (
        select(SalesLine, Product)
        .join(Product, Product.id == SalesLine.product_id)
        .where(SalesLine.document_id == document_id)
        .order_by(SalesLine.position)
    )
    return [(line, product) for line, product in session.execute(query).all()]


def totals(lines: Collection[SalesLine]) -> Totals:
    """Net, tax and gross of lines, each to the cent."""
    net = sum((quantize(x.quantity * x.unit_price, 2) for x in lines), Decimal(0))
    tax = sum((quantize(x.quantity * x.unit_price * x.tax_rate, 2) for x in lines), Decimal(0))
    return Totals(net, tax, net + tax)


def shipped_products(session: Session, delivery_id: int) -> list[tuple[Product, Decimal]]:
    """What one delivery shipped: each product and its quantity, in the order's line order."""
    query = (
        select(Product, DeliveryLine.quantity)
        .join(SalesLine, SalesLine.id == DeliveryLine.line_id)
        .join(Product, Product.id == SalesLine.product_id)
        .where(DeliveryLine.delivery_id == delivery_id)
        .order_by(SalesLine.position)
    )
    return [(product, quantity) for product, quantity in session.execute(query).all()]


def deliveries_of(session: Session, order_id: int) -> list[Delivery]:
    """An order's shipments, oldest first."""
    query = select(Delivery).where(Delivery.document_id == order_id)
    return list(session.scalars(query.order_by(Delivery.id)))

"""What the sales' domain events carry: ``order.confirmed`` (the order, its customer, and per
line the product, quantity, price, tax rate, reserved and backordered) and ``order.delivered``
(per delivery: the tracking number and per line the product's kind, the quantity, price, tax
rate and cost, the value of the move that took the goods out) and ``order.cancelled`` (what
was reserved for it and is free again, by SKU, and what had been delivered and stays so)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.models import Product
from domain.erp.sales_models import Delivery, DeliveryLine, SalesDocument, SalesLine
from domain.shared.quantity import plain


def backordered(line: SalesLine) -> Decimal:
    """What of an order line is neither reserved nor delivered."""
    return max(line.quantity - line.reserved - line.delivered, Decimal(0))


def confirmed_payload(session: Session, order: SalesDocument) -> dict[str, object]:
    """The payload of ``order.confirmed``."""
    lines = [
        {
            "line_id": line.id,
            "product_id": line.product_id,
            "sku": _product(session, line.product_id).sku,
            "quantity": plain(line.quantity),
            "unit_price": str(line.unit_price),
            "tax_rate": str(line.tax_rate),
            "reserved": plain(line.reserved),
            "backordered": plain(backordered(line)),
        }
        for line in _lines_of(session, order.id)
    ]
    return {**_head(session, order), "lines": lines}


def delivered_payload(
    session: Session, order: SalesDocument, delivery: Delivery, shipped: Sequence[DeliveryLine]
) -> dict[str, object]:
    """The payload of ``order.delivered`` for one delivery."""
    prices = {line.id: line for line in _lines_of(session, order.id)}
    lines = [
        {
            "line_id": d.line_id,
            "product_id": prices[d.line_id].product_id,
            "sku": _product(session, prices[d.line_id].product_id).sku,
            "product_type": _product(session, prices[d.line_id].product_id).kind,
            "quantity": plain(d.quantity),
            "unit_price": str(prices[d.line_id].unit_price),
            "tax_rate": str(prices[d.line_id].tax_rate),
            "cost": str(d.value),
            "move_id": d.move_id,
        }
        for d in shipped
    ]
    return {
        **_head(session, order),
        "delivery_id": delivery.id,
        "tracking": delivery.tracking,
        "lines": lines,
    }


def cancelled_payload(
    session: Session, order: SalesDocument, released: dict[int, Decimal]
) -> dict[str, object]:
    """The payload of ``order.cancelled``."""
    delivered: dict[str, Decimal] = {}
    for line in _lines_of(session, order.id):
        if line.delivered > 0:
            sku = _product(session, line.product_id).sku
            delivered[sku] = delivered.get(sku, Decimal(0)) + line.delivered
    return {
        **_head(session, order),
        "released": {_product(session, p).sku: plain(q) for p, q in released.items()},
        "delivered": {sku: plain(q) for sku, q in delivered.items()},
    }


def _head(session: Session, order: SalesDocument) -> dict[str, object]:
    quote = session.get(SalesDocument, order.quote_id) if order.quote_id else None
    return {
        "order": order.number,
        "order_id": order.id,
        "customer_id": order.customer_id,
        "customer": order.customer_name,
        "currency": order.currency,
        "quotation": quote.number if quote else None,
        "source": f"erp_sales_order:{order.number}",
    }


def _lines_of(session: Session, document_id: int) -> list[SalesLine]:
    query = select(SalesLine).where(SalesLine.document_id == document_id)
    return list(session.scalars(query.order_by(SalesLine.position)))


def _product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    assert product is not None
    return product

"""A ticket about an order shows the order (issue 16 point 5): the sales order numbers a ticket
names (``SO2026-00001``, or ``so2026-1`` as people type it) in its subject or its timeline, read
through the ERP's own queries. Only the ticket's customer's orders: a number of another
customer's order shows nothing, so a ticket never reveals someone else's order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.erp.sales_views import deliveries_of, document_numbered, lines_with_products

ORDER_NUMBER = re.compile(r"(?<![A-Za-z0-9])SO\d{4}-\d{1,5}(?!\d)", re.IGNORECASE)
MOST = 3  # orders shown on one ticket


@dataclass(frozen=True, slots=True)
class OrderLine:
    """What a line of the order is at: ordered, reserved, delivered (net of returns)."""

    sku: str
    name_en: str
    name_zh: str
    quantity: Decimal
    reserved: Decimal
    delivered: Decimal


@dataclass(frozen=True, slots=True)
class OrderOnTicket:
    """An order a ticket names: its status, lines and shipments (when, tracking number)."""

    number: str
    status: str
    lines: list[OrderLine]
    shipments: list[tuple[datetime, str]]


def orders_named(session: Session, customer_id: int, texts: Iterable[str]) -> list[OrderOnTicket]:
    """The customer's sales orders the texts name, in the order first named."""
    numbers = dict.fromkeys(m.group(0) for text in texts for m in ORDER_NUMBER.finditer(text))
    found: list[OrderOnTicket] = []
    for number in numbers:
        order = document_numbered(session, number)
        if order is None or order.kind != "order" or order.customer_id != customer_id:
            continue
        if any(o.number == order.number for o in found):
            continue
        lines = [
            OrderLine(product.sku, product.name_en, product.name_zh, line.quantity,
                      line.reserved, line.delivered - line.returned)
            for line, product in lines_with_products(session, order.id)
        ]  # fmt: skip
        shipments = [(d.created_at, d.tracking) for d in deliveries_of(session, order.id)]
        found.append(OrderOnTicket(order.number, order.status, lines, shipments))
        if len(found) == MOST:
            break
    return found

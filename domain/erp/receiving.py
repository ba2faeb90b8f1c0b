"""Receiving a purchase order with inspection: what was accepted goes into stock (a ``receipt``
move at the order's price, keyed by the receipt line), what was rejected goes back to the
supplier. The order's lines are locked first, so two receipts of one line at once cannot both
take its open quantity; a receipt is unique on its key, so a redelivered one is one receipt.
Each new receipt records one ``goods.received`` domain event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.models import VALUE_DIGITS, Product, Warehouse
from domain.erp.purchase_models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
)
from domain.erp.stock import MoveRequest, post_move
from domain.erp.warehouses import main_location
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError
from domain.shared.money import quantize
from domain.shared.quantity import is_exact, plain

GOODS_RECEIVED = "goods.received"


@dataclass(frozen=True, slots=True)
class Inspected:
    """What arrived of one product: accepted and rejected."""

    product_id: int
    accepted: Decimal
    rejected: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Received:
    """The receipt, and whether this call made it (False: it was made before)."""

    receipt: Receipt
    new: bool


def open_quantity(line: PurchaseOrderLine) -> Decimal:
    """What is still awaited of an order line: ordered less accepted less rejected."""
    return line.quantity - line.accepted - line.rejected


def receive(
    session: Session,
    order: PurchaseOrder,
    goods: list[Inspected],
    key: str,
    actor_id: int | None,
    now: datetime,
    today: date,
) -> Received:
    """Receive goods of an order; ``today`` (the receiver's date) decides whether it was on time."""
    lines = _locked_lines(session, order.id)  # before anything is read, in id order
    earlier = session.scalar(select(Receipt).where(Receipt.key == key))
    if earlier is not None:
        return Received(earlier, new=False)
    if order.status != "open":
        raise Conflict("{number} has been received in full.", number=order.number)
    pairs = [(_line_for(lines, order, item), item) for item in goods]
    receipt = Receipt(
        key=key,
        order_id=order.id,
        received_by=actor_id,
        received_on=today,
        on_time=today <= order.expected_on,
        received_at=now,
    )
    session.add(receipt)
    session.flush()
    place = main_location(session, session.get_one(Warehouse, order.warehouse_id))
    posted = [
        _take(session, order, receipt, line, item, place, actor_id, now) for line, item in pairs
    ]
    if all(open_quantity(line) == 0 for line in lines):
        order.status = "received"
    session.flush()
    _record(session, order, receipt, posted, now)
    return Received(receipt, new=True)


def _locked_lines(session: Session, order_id: int) -> list[PurchaseOrderLine]:
    return list(
        session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.order_id == order_id)
            .order_by(PurchaseOrderLine.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _line_for(
    lines: list[PurchaseOrderLine], order: PurchaseOrder, item: Inspected
) -> PurchaseOrderLine:
    line = next((line for line in lines if line.product_id == item.product_id), None)
    if line is None:
        raise DomainError("{number} has no such product.", number=order.number)
    for part in (item.accepted, item.rejected):
        if part < 0 or not is_exact(part):
            raise DomainError("A quantity is above 0, to at most three decimals.")
    arrived = item.accepted + item.rejected
    if arrived <= 0:
        raise DomainError("Nothing was received.")
    if arrived > open_quantity(line):
        raise Conflict(
            "Only {open} of that product are still open on {number}.",
            open=plain(open_quantity(line)),
            number=order.number,
        )
    return line


def _take(
    session: Session,
    order: PurchaseOrder,
    receipt: Receipt,
    line: PurchaseOrderLine,
    item: Inspected,
    place: int,
    actor_id: int | None,
    now: datetime,
) -> tuple[ReceiptLine, PurchaseOrderLine]:
    row = ReceiptLine(
        receipt_id=receipt.id,
        order_line_id=line.id,
        accepted=item.accepted,
        rejected=item.rejected,
    )
    session.add(row)
    session.flush()
    line.accepted += item.accepted
    line.rejected += item.rejected
    if item.accepted > 0:
        post_receipt_line(session, order, row, line, place, actor_id, now)
    return row, line


def post_receipt_line(
    session: Session,
    order: PurchaseOrder,
    row: ReceiptLine,
    line: PurchaseOrderLine,
    place: int,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Put a receipt line's accepted goods into stock at the order's price; its key is the
    receipt line's, so posting it again moves stock once. True when this call moved stock."""
    request = MoveRequest(
        "receipt",
        line.product_id,
        row.accepted,
        f"receipt-line:{row.id}",
        to_location=place,
        unit_cost=line.unit_price,
        source=order.number,
    )
    return post_move(session, request, actor_id, now).new


def _record(
    session: Session,
    order: PurchaseOrder,
    receipt: Receipt,
    posted: list[tuple[ReceiptLine, PurchaseOrderLine]],
    now: datetime,
) -> None:
    supplier = session.get_one(Supplier, order.supplier_id)
    lines = []
    for row, line in posted:
        product = session.get_one(Product, line.product_id)
        lines.append(
            {
                "product_id": product.id,
                "sku": product.sku,
                "accepted": plain(row.accepted),
                "rejected": plain(row.rejected),
                "unit_price": str(line.unit_price),
                "value": str(quantize(row.accepted * line.unit_price, VALUE_DIGITS)),
                "tax_rate": str(product.tax_rate),
                "product_type": product.kind,
            }
        )
    payload = {
        "receipt_id": receipt.id,
        "order": order.number,
        "order_id": order.id,
        "request_id": order.request_id,
        "supplier_id": supplier.id,
        "supplier": supplier.name,
        "payment_terms": supplier.payment_terms,
        "currency": order.currency,
        "warehouse_id": order.warehouse_id,
        "on_time": receipt.on_time,
        "received_on": receipt.received_on.isoformat(),
        "lines": lines,
    }
    record_event(session, GOODS_RECEIVED, "erp_receipt", str(receipt.id), payload, now)

"""The earliest date a quantity of a product can ship, for a quotation (docs/ERP.md, "Quotes
that promise a date").

In this order:

1. **From stock**: what is available (on hand less reserved, less what confirmed orders still
   wait for and open production orders will take unreserved) covers it: today.
2. **From scheduled receipts**: open purchase orders (on their expected date) and production
   orders (on their due date) in date order, after the waiting orders have had theirs: the day
   the running total covers it.
3. **Made here** (a bill of materials in force): what stock does not cover is made once every
   component is ready (each component promised the same way, for what it takes), after the work
   already queued at the routing's work centres, in the routing's production days.
4. **Bought**: after the purchase lead time.

Working days are the org's calendar's, unless the product's lead time is in calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.boms import MAX_DEPTH, bom_in_force, bom_lines, need_per_unit
from domain.erp.levels import availability
from domain.erp.models import Product
from domain.erp.production_models import Operation, ProductionComponent, ProductionOrder
from domain.erp.production_views import OPEN
from domain.erp.purchase_models import PurchaseOrder, PurchaseOrderLine
from domain.erp.routings import Step, production_days, routing_of
from domain.erp.sales_events import backordered
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.shared.errors import NotFound
from domain.worktime.calendar import WorkCalendar

ZERO = Decimal(0)


class Way(StrEnum):
    """How the promised quantity comes to be there."""

    STOCK = "stock"
    RECEIPT = "receipt"  # a purchase or production order already open
    MAKE = "make"  # made from components on hand
    MAKE_AFTER_BUYING = "make_after_buying"  # made once components arrive
    BUY = "buy"


@dataclass(frozen=True, slots=True)
class Promise:
    """The earliest ship date, how, and what is free now (``source``: the receipt's number)."""

    day: date
    way: Way
    available: Decimal
    source: str = ""


def promise(
    session: Session, product_id: int, quantity: Decimal, today: date, calendar: WorkCalendar
) -> Promise:
    """The earliest date ``quantity`` of a product can ship."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    return _promise(session, product, quantity, today, calendar, depth=0)


def _promise(
    session: Session,
    product: Product,
    quantity: Decimal,
    today: date,
    calendar: WorkCalendar,
    depth: int,
) -> Promise:
    free = availability(session, product.id).available - _waiting(session, product.id)
    if free >= quantity:
        return Promise(today, Way.STOCK, max(free, ZERO))
    running = free
    for due, number, arriving in _receipts(session, product.id, today):
        running += arriving
        if running >= quantity:
            return Promise(due, Way.RECEIPT, max(free, ZERO), number)
    bom = bom_in_force(session, product.id, today) if depth < MAX_DEPTH else None
    if bom is None:
        return Promise(
            _after(product, today, product.lead_days, calendar), Way.BUY, max(free, ZERO)
        )
    short = quantity - max(free, ZERO)
    ready = today
    for line in bom_lines(session, bom.id):
        component = session.get(Product, line.component_id)
        assert component is not None  # a foreign key
        need = (short * need_per_unit(line, bom)).quantize(Decimal("0.001"), rounding=ROUND_CEILING)
        ready = max(ready, _promise(session, component, need, today, calendar, depth + 1).day)
    steps = routing_of(session, product.id)
    days = _queued_days(session, steps) + production_days(steps, short)
    way = Way.MAKE if ready == today else Way.MAKE_AFTER_BUYING
    return Promise(_after(product, ready, days, calendar), way, max(free, ZERO))


def _waiting(session: Session, product_id: int) -> Decimal:
    """What comes before a quote: what confirmed orders still wait for (their backorders), and
    what open production orders will still take of it without having it reserved."""
    lines = session.scalars(
        select(SalesLine)
        .join(SalesDocument, SalesDocument.id == SalesLine.document_id)
        .where(
            SalesLine.product_id == product_id,
            SalesDocument.kind == "order",
            SalesDocument.status.in_(("confirmed", "partial")),
        )
    )
    components = session.scalars(
        select(ProductionComponent)
        .join(ProductionOrder, ProductionOrder.id == ProductionComponent.order_id)
        .where(ProductionComponent.product_id == product_id, ProductionOrder.status.in_(OPEN))
    )
    sold = sum((backordered(line) for line in lines), ZERO)
    return sold + sum((max(c.required - c.consumed - c.reserved, ZERO) for c in components), ZERO)


def _receipts(session: Session, product_id: int, today: date) -> list[tuple[date, str, Decimal]]:
    """Open purchase and production orders of a product: when, which, how many still."""
    bought = session.execute(
        select(PurchaseOrder.expected_on, PurchaseOrder.number, PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.product_id == product_id, PurchaseOrder.status == "open")
    )
    found = [
        (max(day, today), number, line.quantity - line.accepted - line.rejected)
        for day, number, line in bought
    ]
    made = session.scalars(
        select(ProductionOrder).where(
            ProductionOrder.product_id == product_id, ProductionOrder.status.in_(OPEN)
        )
    )
    found += [
        (max(o.due or today, today), o.number, o.quantity - o.produced - o.scrapped) for o in made
    ]
    return sorted((r for r in found if r[2] > 0), key=lambda r: (r[0], r[1]))


def _queued_days(session: Session, steps: list[Step]) -> int:
    """Working days the work centres of a routing are already booked by open production orders
    (the busiest centre's queue)."""
    queued = ZERO
    for step in steps:
        rows = session.execute(
            select(ProductionOrder, Operation)
            .join(Operation, Operation.product_id == ProductionOrder.product_id)
            .where(
                ProductionOrder.status.in_(OPEN),
                Operation.work_centre_id == step.centre.id,
            )
        )
        hours = sum(
            (
                op.hours_per_unit * (o.quantity - o.produced - o.scrapped)
                + (op.setup_hours if o.produced + o.scrapped == 0 else ZERO)
                for o, op in rows
            ),
            ZERO,
        )
        queued = max(queued, hours / step.centre.hours_per_day)
    return int(queued.to_integral_value(rounding=ROUND_CEILING))


def _after(product: Product, start: date, days: int, calendar: WorkCalendar) -> date:
    if product.lead_calendar_days:
        return start + timedelta(days=days)
    return calendar.working_days_after(start, days)

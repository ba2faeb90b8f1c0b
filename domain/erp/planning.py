"""MRP's inputs from the database, loaded in a handful of queries whatever the catalog's size,
and the run (the planning itself is ``domain.erp.mrp``, pure).

- **Parts**: every active stocked product; made when a bill of materials is in force today.
  Its lead time: a bought part's purchase lead time; a made part's production days by its
  routing for one lot (its lot quantity, else 1), else its own lead time. On hand: what every
  warehouse holds.
- **Usages**: the lines of each bill of materials in force today, per good unit.
- **Needs**: what confirmed sales orders have not delivered yet (due on the date the customer
  asked for, else today), what open production orders still have to consume of their
  components (due on the order's due date, else today), and what is left of each demand
  forecast once the sales orders of its period have consumed it (``mrp_forecasts.consume``).
- **Scheduled receipts**: what open purchase orders still await (on their expected date), what
  open production orders still have to make (on their due date, else today), and purchase
  requests not yet ordered (on their needed-by date, else after the product's lead time), so a
  confirmed proposal is not proposed again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from domain.erp.boms import need_per_unit
from domain.erp.forecasts import LONGEST, all_forecasts
from domain.erp.models import Product, StockBalance
from domain.erp.mrp import LotRule, Need, Part, Plan, Supply, Usage, plan
from domain.erp.mrp_forecasts import consume
from domain.erp.production_models import (
    Bom,
    BomLine,
    Operation,
    ProductionComponent,
    ProductionOrder,
    WorkCentre,
)
from domain.erp.production_models import Forecast as ForecastRow
from domain.erp.production_views import OPEN
from domain.erp.purchase_models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from domain.erp.routings import Step, production_days
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.shared.quantity import plain
from domain.worktime.calendar import WorkCalendar

ZERO = Decimal(0)
OPEN_SALES = ("confirmed", "partial")
WAITING_REQUESTS = ("pending", "approved")


@dataclass(frozen=True)
class Inputs:
    """What MRP plans from, as loaded from the database."""

    parts: list[Part]
    usages: list[Usage]
    needs: list[Need]
    supplies: list[Supply]


def run_mrp(
    session: Session, today: date, calendar: WorkCalendar, *, horizon: date | None = None
) -> Plan:
    """Plan every product from what the database holds now; with a ``horizon``, demand due
    after it (a forecast's included) is left out."""
    inputs = load_inputs(session, today, calendar, horizon=horizon)
    return plan(
        inputs.parts, inputs.usages, inputs.needs, inputs.supplies, today=today, calendar=calendar
    )


def load_inputs(
    session: Session, today: date, calendar: WorkCalendar, *, horizon: date | None = None
) -> Inputs:
    """MRP's inputs from the database, in a fixed number of queries."""
    products = list(
        session.scalars(select(Product).where(Product.active, Product.kind != "service"))
    )
    boms = boms_in_force(session, today)
    usages = usages_of(session, boms)
    routings = _routings(session)
    on_hand = _on_hand(session)
    parts = [
        _part(p, p.id in boms, _lead(p, p.id in boms, routings.get(p.id, [])), on_hand)
        for p in products
    ]
    needs = [*_sales_needs(session, today), *_component_needs(session, today)]
    needs += _forecast_needs(session, today)
    needs = [n for n in needs if horizon is None or n.due <= horizon]
    supplies = [*_purchase_supplies(session), *_production_supplies(session, today)]
    supplies += _request_supplies(session, today, calendar, {p.id: p for p in products})
    known = {p.id for p in products}
    return Inputs(
        parts,
        [u for u in usages if u.parent_id in known and u.component_id in known],
        [n for n in needs if n.part_id in known],
        [s for s in supplies if s.part_id in known],
    )


def plan_as_json(plan_: Plan, today: date) -> dict[str, Any]:
    """The plan as ``bizbot mrp run --json`` prints it: planned orders and exceptions, by SKU."""
    sku = {part.id: part.sku for part in plan_.parts.values()}
    return {
        "today": today.isoformat(),
        "orders": [
            {
                "sku": sku[o.part_id],
                "kind": o.kind,
                "quantity": plain(o.quantity),
                "release": o.release.isoformat(),
                "due": o.due.isoformat(),
                "for": list(o.sources),
            }
            for o in plan_.orders
        ],
        "exceptions": [
            {
                "kind": str(e.kind),
                "sku": sku[e.part_id],
                "day": e.day.isoformat(),
                "quantity": plain(e.quantity),
                "source": e.source,
                "to": e.to.isoformat() if e.to else None,
            }
            for e in plan_.exceptions
        ],
    }


def boms_in_force(session: Session, today: date) -> dict[int, Bom]:
    """Each product's bill of materials in force today."""
    rows = session.scalars(
        select(Bom).where(Bom.effective_from <= today).order_by(Bom.effective_from, Bom.version)
    )
    return {bom.product_id: bom for bom in rows}  # the newest wins


def usages_of(session: Session, boms: dict[int, Bom]) -> list[Usage]:
    """The lines of the given versions, per good unit of their product."""
    by_id = {bom.id: bom for bom in boms.values()}
    if not by_id:
        return []
    lines = session.scalars(select(BomLine).where(BomLine.bom_id.in_(by_id)))
    return [
        Usage(
            by_id[line.bom_id].product_id,
            line.component_id,
            need_per_unit(line, by_id[line.bom_id]),
        )
        for line in lines
    ]


def _part(product: Product, made: bool, lead: int, on_hand: dict[int, Decimal]) -> Part:
    return Part(
        id=product.id,
        sku=product.sku,
        make=made,
        lead_days=lead,
        calendar_days=product.lead_calendar_days,
        on_hand=on_hand.get(product.id, ZERO),
        safety=product.safety_stock,
        lot_rule=LotRule(product.lot_rule),
        lot_quantity=product.lot_quantity,
    )


def _routings(session: Session) -> dict[int, list[Step]]:
    """Every product's routing, in one query (only a made part's counts: ``_lead``)."""
    steps: dict[int, list[Step]] = defaultdict(list)
    for operation, centre in session.execute(
        select(Operation, WorkCentre).join(WorkCentre, WorkCentre.id == Operation.work_centre_id)
    ):
        steps[operation.product_id].append(Step(operation, centre))
    return steps


def _lead(product: Product, made: bool, steps: list[Step]) -> int:
    if not made:
        return product.lead_days
    lot = product.lot_quantity if product.lot_quantity > 0 else Decimal(1)
    return production_days(steps, lot) if steps else product.lead_days


def _on_hand(session: Session) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for product_id, on_hand in session.execute(
        select(StockBalance.product_id, StockBalance.on_hand)
    ):
        totals[product_id] += on_hand
    return totals


def _sales_needs(session: Session, today: date) -> list[Need]:
    """What confirmed orders have not delivered yet, due on the date the customer asked for
    (today when none was given, or when it has passed)."""
    rows = session.execute(
        select(
            SalesDocument.number,
            SalesDocument.wanted_on,
            SalesLine.product_id,
            SalesLine.quantity,
            SalesLine.delivered,
        )
        .join(SalesDocument, SalesDocument.id == SalesLine.document_id)
        .where(SalesDocument.kind == "order", SalesDocument.status.in_(OPEN_SALES))
    )
    return [
        Need(product_id, max(wanted or today, today), quantity - delivered, number)
        for number, wanted, product_id, quantity, delivered in rows
        if quantity > delivered
    ]


def _forecast_needs(session: Session, today: date) -> list[Need]:
    """What is left of the forecasts once the sales orders of their periods consumed them
    (nothing read when there are none)."""
    forecasts = all_forecasts(session, today)
    if not forecasts:
        return []
    return consume(forecasts, _sold(session, today), today)


def _sold(session: Session, today: date) -> list[Need]:
    """What consumes the forecasts of products that have some: each line of a confirmed, partly or
    fully delivered order, for its whole quantity; an open line on the date its need is due
    (``_sales_needs``), a delivered one on the date asked for (else the day the order was
    confirmed), when that is recent enough to be in a period not yet over."""
    since = today - LONGEST
    rows = session.execute(
        select(
            SalesDocument.number,
            SalesDocument.status,
            SalesDocument.wanted_on,
            SalesDocument.confirmed_at,
            SalesLine.product_id,
            SalesLine.quantity,
            SalesLine.delivered,
        )
        .join(SalesDocument, SalesDocument.id == SalesLine.document_id)
        .where(
            SalesDocument.kind == "order",
            SalesLine.product_id.in_(select(ForecastRow.product_id).distinct()),
            SalesDocument.status.in_(OPEN_SALES)
            | ((SalesDocument.status == "delivered") & _recent(since)),
        )
    )
    sold = []
    for number, status, wanted, confirmed, product_id, quantity, delivered in rows:
        if status in OPEN_SALES and quantity > delivered:
            due = max(wanted or today, today)
        else:
            due = wanted or (confirmed.date() if confirmed else today)
        if quantity > 0:
            sold.append(Need(product_id, due, quantity, number))
    return sold


def _recent(since: date) -> ColumnElement[bool]:
    """An order asked for on or after ``since``, or confirmed then when no date was asked."""
    return or_(
        SalesDocument.wanted_on >= since,
        SalesDocument.wanted_on.is_(None)
        & (SalesDocument.confirmed_at >= datetime.combine(since, time(), UTC)),
    )


def _component_needs(session: Session, today: date) -> list[Need]:
    rows = session.execute(
        select(ProductionOrder.number, ProductionOrder.due, ProductionComponent)
        .join(ProductionOrder, ProductionOrder.id == ProductionComponent.order_id)
        .where(ProductionOrder.status.in_(OPEN))
    )
    return [
        Need(c.product_id, max(due or today, today), c.required - c.consumed, number)
        for number, due, c in rows
        if c.required > c.consumed
    ]


def _purchase_supplies(session: Session) -> list[Supply]:
    rows = session.execute(
        select(PurchaseOrder.number, PurchaseOrder.expected_on, PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.status == "open")
    )
    supplies = []
    for number, expected, line in rows:
        left = line.quantity - line.accepted - line.rejected
        if left > 0:
            supplies.append(Supply(line.product_id, expected, left, number))
    return supplies


def _production_supplies(session: Session, today: date) -> list[Supply]:
    rows = session.scalars(select(ProductionOrder).where(ProductionOrder.status.in_(OPEN)))
    return [
        Supply(o.product_id, o.due or today, o.quantity - o.produced - o.scrapped, o.number)
        for o in rows
        if o.quantity > o.produced + o.scrapped
    ]


def _request_supplies(
    session: Session, today: date, calendar: WorkCalendar, products: dict[int, Product]
) -> list[Supply]:
    rows = session.execute(
        select(PurchaseRequest.number, PurchaseRequest.needed_by, PurchaseRequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
        .where(PurchaseRequest.status.in_(WAITING_REQUESTS))
    )
    supplies = []
    for number, needed_by, line in rows:
        product = products.get(line.product_id)
        if product is None:
            continue
        due = needed_by or _after_lead(today, product, calendar)
        supplies.append(Supply(line.product_id, due, line.quantity, number))
    return supplies


def _after_lead(today: date, product: Product, calendar: WorkCalendar) -> date:
    """The day a purchase asked for today can arrive: its lead time in calendar days, or in
    the org's working days."""
    if product.lead_calendar_days:
        return today + timedelta(days=product.lead_days)
    return calendar.working_days_after(today, product.lead_days)

"""Production orders: plan, release (reserve the components), report output and scrap, cancel.

A report consumes the components by the bill of materials (backflush) for everything it
reports, good and scrapped, and puts the good units into stock at their rolled-up cost: the
components' moving-average value plus the work centres' hours at their rates (the set-up hours
with the first report). The scrapped units' share of that cost is the scrap's value; it leaves
stock as a loss. Consumption is cumulative, so partial reports add up to exactly what the whole
order needs, and what was reserved leaves with the stock in one step (the safety watch does not
see it freed and taken again). Every balance a report touches is locked first, in product
order, and each report is keyed by the chat event that asked for it: delivered twice, it
consumes and produces once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.boms import bom_in_force, bom_lines, need_per_unit
from domain.erp.models import COST_DIGITS, VALUE_DIGITS, Location, Product, StockMove
from domain.erp.numbering import next_number
from domain.erp.production_models import (
    ProductionComponent,
    ProductionOrder,
    ProductionReport,
    ProductionTask,
)
from domain.erp.production_views import OPEN
from domain.erp.routings import labour_value, routing_of
from domain.erp.stock import (
    MoveRequest,
    issue_reserved,
    locked_balance,
    post_move,
    release,
    reserve,
)
from domain.erp.tasks import close_tasks, open_tasks
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import quantize
from domain.shared.quantity import is_exact, plain

REPORTED = "production.reported"
WORKING = ("released", "in_progress")
ZERO = Decimal(0)
STEP = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class Shortage:
    """What a released order could not reserve of a component."""

    product_id: int
    sku: str
    missing: Decimal


@dataclass(frozen=True, slots=True)
class Reported:
    """The report a call became, and whether this call made it (False: reported before)."""

    report: ProductionReport
    new: bool


def create_production(
    session: Session,
    product_id: int,
    quantity: Decimal,
    location_id: int,
    now: datetime,
    *,
    due: date | None = None,
    owner_id: int | None = None,
    source: str = "",
) -> ProductionOrder:
    """A planned production order for ``quantity`` of a product, by its bill of materials in
    force today."""
    _check_quantity(quantity)
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    if session.get(Location, location_id) is None:
        raise NotFound("There is no location #{id}.", id=location_id)
    bom = bom_in_force(session, product_id, now.date())
    if bom is None:
        raise DomainError("{sku} has no bill of materials in force.", sku=product.sku)
    order = ProductionOrder(
        number=next_number(session, "MO", now.year),
        product_id=product_id, bom_id=bom.id, location_id=location_id, quantity=quantity,
        status="planned", due=due, source=source[:200], owner_id=owner_id,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(order)
    session.flush()
    for line in bom_lines(session, bom.id):
        per_unit = need_per_unit(line, bom)
        session.add(
            ProductionComponent(
                order_id=order.id,
                product_id=line.component_id,
                per_unit=per_unit,
                required=_rounded(per_unit * quantity),
            )
        )
    session.flush()
    return order


@dataclass(frozen=True, slots=True)
class Released:
    """What releasing did: what could not be reserved, and the tasks it opened (the first
    release only)."""

    shortages: list[Shortage]
    tasks: list[ProductionTask]


def release_production(session: Session, order_id: int, now: datetime) -> Released:
    """Reserve what is free of each component still needed (again after goods arrived: it
    tops up); the order is then released, and its operations become tasks."""
    order = locked_order(session, order_id)
    if order.status not in OPEN:
        raise Conflict("{number} is done or cancelled.", number=order.number)
    components = components_of(session, order.id)
    _lock_balances(session, order, components)
    shortages = [_reserve_component(session, order, c, now) for c in components]
    tasks = []
    if order.status == "planned":
        order.status = "released"
        tasks = open_tasks(session, order, order.quantity)
    order.updated_at = now
    session.flush()
    return Released([s for s in shortages if s is not None], tasks)


def report_production(
    session: Session,
    order_id: int,
    good: Decimal,
    scrap: Decimal,
    key: str,
    actor_id: int | None,
    now: datetime,
) -> Reported:
    """Report ``good`` units made and ``scrap`` units spoiled on a released order: consume the
    components for both, put the good ones into stock at their cost, and record
    ``production.reported`` once. The same ``key`` twice is one report."""
    order = locked_order(session, order_id)
    earlier = session.scalar(select(ProductionReport).where(ProductionReport.key == key))
    if earlier is not None:
        return Reported(earlier, new=False)
    units = _reported_units(order, good, scrap)
    components = components_of(session, order.id)
    _lock_balances(session, order, components)
    first = order.produced + order.scrapped == 0
    consumed = [_consume(session, order, c, units, key, actor_id, now) for c in components]
    component_value = sum((value for _, _, value in consumed), ZERO)
    labour = labour_value(routing_of(session, order.product_id), units, with_setup=first)
    report = _book_output(session, order, good, scrap, component_value + labour, key, now)
    report.component_value, report.labour_value, report.actor_id = component_value, labour, actor_id
    session.flush()
    _advance(session, order, good, scrap, report, components, now)
    record_event(
        session, REPORTED, "erp_production_report", str(report.id),
        _reported_payload(session, order, report, consumed), now,
    )  # fmt: skip
    return Reported(report, new=True)


def cancel_production(session: Session, order_id: int, now: datetime) -> bool:
    """Cancel an open order, giving back what is reserved for it; what was reported stays.
    False when it was done or cancelled before."""
    order = locked_order(session, order_id)
    if order.status not in OPEN:
        return False
    components = components_of(session, order.id)
    _lock_balances(session, order, components)
    _release_all(session, order, components, now)
    close_tasks(session, order.id)
    order.status, order.updated_at = "cancelled", now
    session.flush()
    return True


def locked_order(session: Session, order_id: int) -> ProductionOrder:
    """A production order, locked until commit and read afresh."""
    query = (
        select(ProductionOrder)
        .where(ProductionOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    order = session.scalars(query).one_or_none()
    if order is None:
        raise NotFound("There is no production order #{id}.", id=order_id)
    return order


def components_of(session: Session, order_id: int) -> list[ProductionComponent]:
    """An order's components by product id (the order their balances are locked in)."""
    query = (
        select(ProductionComponent)
        .where(ProductionComponent.order_id == order_id)
        .order_by(ProductionComponent.product_id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def left_to_make(order: ProductionOrder) -> Decimal:
    """What an order still has to report (good or scrapped)."""
    return max(order.quantity - order.produced - order.scrapped, ZERO)


def _reported_units(order: ProductionOrder, good: Decimal, scrap: Decimal) -> Decimal:
    if order.status not in WORKING:
        raise Conflict(
            "{number} is not released (or is already done or cancelled).", number=order.number
        )
    for value in (good, scrap):
        if value < 0 or not is_exact(value):
            raise DomainError("A quantity is 0 or more, with at most 3 decimals.")
    units = good + scrap
    if units == 0:
        raise DomainError("Report how many were made (or scrapped).")
    if units > left_to_make(order):
        raise Conflict(
            "{number} has only {left} left to make.",
            number=order.number,
            left=plain(left_to_make(order)),
        )
    return units


def _lock_balances(
    session: Session, order: ProductionOrder, components: list[ProductionComponent]
) -> None:
    """Lock every balance the order touches in product order, so two reports cannot wait on
    each other."""
    for product_id in sorted({order.product_id, *(c.product_id for c in components)}):
        locked_balance(session, product_id, order.location_id)


def _reserve_component(
    session: Session, order: ProductionOrder, component: ProductionComponent, now: datetime
) -> Shortage | None:
    wanted = component.required - component.consumed - component.reserved
    if wanted <= 0:
        return None
    balance = locked_balance(session, component.product_id, order.location_id)
    free = max(balance.on_hand - balance.reserved, ZERO)
    take = min(free, wanted)
    if take > 0:
        reserve(session, component.product_id, order.location_id, take, now)
        component.reserved += take
    if take == wanted:
        return None
    product = session.get(Product, component.product_id)
    assert product is not None  # a foreign key
    return Shortage(product.id, product.sku, wanted - take)


def _consume(
    session: Session,
    order: ProductionOrder,
    component: ProductionComponent,
    units: Decimal,
    key: str,
    actor_id: int | None,
    now: datetime,
) -> tuple[ProductionComponent, Decimal, Decimal]:
    """Consume a component for ``units`` more (cumulatively, so the last report takes exactly
    what is left): its reservation first, then a ``production_consumption`` move."""
    done = order.produced + order.scrapped + units
    target = component.required if done >= order.quantity else _rounded(component.per_unit * done)
    quantity = max(target - component.consumed, ZERO)
    if quantity == 0:
        return component, ZERO, ZERO
    from_reserved = min(component.reserved, quantity)
    request = MoveRequest(
        "production_consumption",
        component.product_id,
        quantity,
        f"production:{key}:{component.product_id}",
        from_location=order.location_id,
        source=order.number,
    )
    posted = issue_reserved(session, request, actor_id, now, reserved=from_reserved)
    component.reserved -= from_reserved
    component.consumed += quantity
    return component, quantity, _move_value(session, posted.move_id)


def _book_output(
    session: Session,
    order: ProductionOrder,
    good: Decimal,
    scrap: Decimal,
    cost: Decimal,
    key: str,
    now: datetime,
) -> ProductionReport:
    """The report row, and the good units into stock at their share of ``cost``."""
    scrap_value = quantize(cost * scrap / (good + scrap), VALUE_DIGITS)
    output_value = cost - scrap_value
    if good > 0:
        unit_cost = quantize(output_value / good, COST_DIGITS)
        request = MoveRequest(
            "production_output", order.product_id, good, f"production:{key}:output",
            to_location=order.location_id, unit_cost=unit_cost, source=order.number,
        )  # fmt: skip
        posted = post_move(session, request, None, now)
        output_value = _move_value(session, posted.move_id)
        scrap_value = cost - output_value
    report = ProductionReport(
        order_id=order.id, key=key, good=good, scrap=scrap, component_value=ZERO,
        labour_value=ZERO, output_value=output_value, scrap_value=scrap_value, created_at=now,
    )  # fmt: skip
    session.add(report)
    return report


def _advance(
    session: Session,
    order: ProductionOrder,
    good: Decimal,
    scrap: Decimal,
    report: ProductionReport,
    components: list[ProductionComponent],
    now: datetime,
) -> None:
    order.produced += good
    order.scrapped += scrap
    order.component_value += report.component_value
    order.labour_value += report.labour_value
    order.output_value += report.output_value
    order.scrap_value += report.scrap_value
    order.status = "done" if left_to_make(order) == 0 else "in_progress"
    if order.status == "done":
        _release_all(session, order, components, now)
    order.updated_at = now
    session.flush()


def _release_all(
    session: Session, order: ProductionOrder, components: list[ProductionComponent], now: datetime
) -> None:
    for component in components:
        if component.reserved > 0:
            release(session, component.product_id, order.location_id, component.reserved, now)
            component.reserved = ZERO


def _reported_payload(
    session: Session,
    order: ProductionOrder,
    report: ProductionReport,
    consumed: list[tuple[ProductionComponent, Decimal, Decimal]],
) -> dict[str, Any]:
    """What finance needs: components into work in progress, finished goods out of it, scrap."""
    product = session.get(Product, order.product_id)
    assert product is not None  # a foreign key
    known = {
        product_id: (sku, kind)
        for product_id, sku, kind in session.execute(
            select(Product.id, Product.sku, Product.kind).where(
                Product.id.in_([c.product_id for c, q, _ in consumed if q > 0])
            )
        )
    }
    return {
        "order": order.number,
        "product_id": product.id,
        "sku": product.sku,
        "product_type": product.kind,
        "location_id": order.location_id,
        "good": str(report.good),
        "scrap": str(report.scrap),
        "components": [
            {
                "product_id": c.product_id,
                "sku": known[c.product_id][0],
                "product_type": known[c.product_id][1],
                "quantity": str(q),
                "value": str(v),
            }
            for c, q, v in consumed
            if q > 0
        ],
        "component_value": str(report.component_value),
        "labour_value": str(report.labour_value),
        "output_value": str(report.output_value),
        "scrap_value": str(report.scrap_value),
        "currency": product.currency,
    }


def _move_value(session: Session, move_id: int) -> Decimal:
    move = session.get(StockMove, move_id)
    assert move is not None  # just posted (or posted before under the same key)
    return move.value


def _rounded(quantity: Decimal) -> Decimal:
    """A quantity at the ledger's three decimals (half up)."""
    return quantity.quantize(STEP, rounding=ROUND_HALF_UP)


def _check_quantity(quantity: Decimal) -> None:
    if quantity <= 0 or not is_exact(quantity):
        raise DomainError("A quantity is above 0, with at most 3 decimals.")

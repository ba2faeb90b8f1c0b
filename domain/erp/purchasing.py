"""Purchase requests, requests for quotation, the comparison of quotes and purchase orders.

A request is decided through the approval engine's ``purchase`` template; the ERP does not import
the approvals: it learns the decision from the ``PurchaseRequested`` domain event the engine
records for the request (``source='approval'``, ``source_id`` the approval's id). Only an approved
request becomes an order, and at most one (a second tap of the same pick returns the same order).
Requests and orders are numbered ``PR2026-00001`` and ``PO2026-00001`` without gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.models import COST_DIGITS, VALUE_DIGITS, Product, Warehouse
from domain.erp.numbering import next_number
from domain.erp.purchase_models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Quote,
    Supplier,
)
from domain.erp.suppliers import Scorecard, scorecards
from domain.shared.domain_events import DomainEventRow
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import quantize
from domain.shared.quantity import is_exact

APPROVED_EVENT = "PurchaseRequested"  # the purchase template's ``events: {approved: …}``


@dataclass(frozen=True, slots=True)
class Wanted:
    """A product and quantity to buy; the price is an estimate (the product's cost when None)."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """One supplier's answer to a request, beside its record: the total of the quoted lines,
    the longest lead time, whether every line was quoted, and its scorecard."""

    supplier: Supplier
    total: Decimal | None
    lead_days: int | None
    complete: bool
    score: Scorecard


def raise_request(
    session: Session,
    requester_id: int,
    lines: list[Wanted],
    needed_by: date | None,
    reason: str,
    now: datetime,
) -> PurchaseRequest:
    """A new purchase request, waiting for its approval; its amount is the estimate's total."""
    if not lines:
        raise DomainError("A purchase request needs at least one product.")
    request = PurchaseRequest(
        number=next_number(session, "PR", now.year),
        requester_id=requester_id,
        needed_by=needed_by,
        reason=reason.strip()[:500],
        status="pending",
        created_at=now,
    )
    session.add(request)
    session.flush()
    total = Decimal(0)
    for wanted in lines:
        product = _product(session, wanted.product_id)
        _check_quantity(wanted.quantity)
        price = product.cost if wanted.unit_price is None else wanted.unit_price
        session.add(
            PurchaseRequestLine(
                request_id=request.id,
                product_id=product.id,
                quantity=wanted.quantity,
                unit_price=quantize(price, COST_DIGITS),
            )
        )
        total += wanted.quantity * price
    request.amount = quantize(total, VALUE_DIGITS)
    session.flush()
    return request


def link_approval(session: Session, request: PurchaseRequest, approval_id: int) -> None:
    """Remember the approval request that decides this purchase request."""
    request.approval_id = approval_id
    session.flush()


def request_by_number(session: Session, text: str) -> PurchaseRequest:
    """A purchase request by its number (``PR2026-00001``, any case)."""
    found = session.scalar(
        select(PurchaseRequest).where(PurchaseRequest.number == text.strip().upper())
    )
    if found is None:
        raise NotFound("There is no purchase request {number}.", number=text[:32])
    return found


def request_lines(session: Session, request_id: int) -> list[PurchaseRequestLine]:
    """A request's lines, in the order they were asked."""
    return list(
        session.scalars(
            select(PurchaseRequestLine)
            .where(PurchaseRequestLine.request_id == request_id)
            .order_by(PurchaseRequestLine.id)
        )
    )


def refresh_request(session: Session, request: PurchaseRequest) -> str:
    """The request's status, ``approved`` once its approval recorded the approved event."""
    if request.status == "pending" and request.approval_id is not None:
        approved = session.scalar(
            select(DomainEventRow.id).where(
                DomainEventRow.name == APPROVED_EVENT,
                DomainEventRow.source == "approval",
                DomainEventRow.source_id == str(request.approval_id),
            )
        )
        if approved is not None:
            request.status = "approved"
            session.flush()
    return request.status


def require_approved(session: Session, request: PurchaseRequest) -> None:
    """Refuse to go on with a request that is not approved (or already ordered)."""
    status = refresh_request(session, request)
    if status == "pending":
        raise Conflict("{number} is not approved yet.", number=request.number)
    if status != "approved":
        raise Conflict("{number} has already been ordered.", number=request.number)


def ask_quotes(
    session: Session, request: PurchaseRequest, suppliers: list[Supplier], now: datetime
) -> int:
    """Ask suppliers for a quote on every line of an approved request; returns how many
    requests for quotation are new (asking again changes nothing)."""
    require_approved(session, request)
    new = 0
    for supplier in suppliers:
        _check_active(supplier)
        for line in request_lines(session, request.id):
            if _quote(session, request.id, supplier.id, line.product_id) is None:
                session.add(
                    Quote(
                        request_id=request.id,
                        supplier_id=supplier.id,
                        product_id=line.product_id,
                        requested_at=now,
                    )
                )
                new += 1
    session.flush()
    return new


def record_quote(
    session: Session,
    request: PurchaseRequest,
    supplier: Supplier,
    product_id: int | None,
    unit_price: Decimal,
    lead_days: int | None,
    now: datetime,
) -> Quote:
    """A supplier's price (and lead time) for a product of a request; a later quote replaces an
    earlier one. The product may be left out when the request has one line."""
    require_approved(session, request)
    _check_active(supplier)
    lines = request_lines(session, request.id)
    if product_id is None:
        if len(lines) != 1:
            raise DomainError(
                "{number} has several products; say which one.", number=request.number
            )
        product_id = lines[0].product_id
    if product_id not in {line.product_id for line in lines}:
        raise DomainError("{number} does not ask for that product.", number=request.number)
    if unit_price <= 0 or not is_exact(unit_price, COST_DIGITS):
        raise DomainError("A price is above 0, to at most four decimals.")
    quote = _quote(session, request.id, supplier.id, product_id)
    if quote is None:
        quote = Quote(
            request_id=request.id, supplier_id=supplier.id, product_id=product_id, requested_at=now
        )
        session.add(quote)
    quote.unit_price = unit_price
    quote.lead_days = supplier.lead_days if lead_days is None else lead_days
    quote.quoted_at = now
    session.flush()
    return quote


def compare(session: Session, request: PurchaseRequest) -> list[Offer]:
    """Every supplier asked or quoted for a request, side by side, by total (unquoted last)."""
    lines = {line.product_id: line.quantity for line in request_lines(session, request.id)}
    quotes = list(session.scalars(select(Quote).where(Quote.request_id == request.id)))
    supplier_ids = sorted({q.supplier_id for q in quotes})
    cards = scorecards(session, supplier_ids)
    offers = []
    for sid in supplier_ids:
        priced = [q for q in quotes if q.supplier_id == sid and q.unit_price is not None]
        total = sum((lines[q.product_id] * (q.unit_price or 0) for q in priced), Decimal(0))
        leads = [q.lead_days for q in priced if q.lead_days is not None]
        offers.append(
            Offer(
                supplier=session.get_one(Supplier, sid),
                total=quantize(total, VALUE_DIGITS) if priced else None,
                lead_days=max(leads) if leads else None,
                complete={q.product_id for q in priced} == set(lines),
                score=cards.get(sid, Scorecard()),
            )
        )
    return sorted(offers, key=lambda o: (not o.complete, o.total or 0, o.supplier.name))


def place_order(
    session: Session,
    request: PurchaseRequest,
    supplier: Supplier,
    warehouse: Warehouse,
    actor_id: int | None,
    now: datetime,
    today: date | None = None,
) -> tuple[PurchaseOrder, bool]:
    """The purchase order of an approved request from one supplier, at its quoted prices (the
    request's estimate where it quoted none), expected ``today`` (the buyer's date; UTC's when
    None) plus the quoted lead time; returns the order and whether it is new. The request is
    locked first, so a second tap, even at the same moment, returns the first order."""
    session.scalars(
        select(PurchaseRequest.id).where(PurchaseRequest.id == request.id).with_for_update()
    ).all()
    earlier = session.scalar(select(PurchaseOrder).where(PurchaseOrder.request_id == request.id))
    if earlier is not None:
        return earlier, False
    require_approved(session, request)
    _check_active(supplier)
    quoted = {
        q.product_id: q
        for q in session.scalars(
            select(Quote).where(Quote.request_id == request.id, Quote.supplier_id == supplier.id)
        )
        if q.unit_price is not None
    }
    leads = [q.lead_days for q in quoted.values() if q.lead_days is not None]
    lead = max(leads) if leads else supplier.lead_days
    expected = (today or now.date()) + timedelta(days=lead)
    order = _new_order(session, supplier, warehouse, actor_id, now, expected, request.id)
    for line in request_lines(session, request.id):
        price = quoted[line.product_id].unit_price if line.product_id in quoted else None
        add_order_line(session, order, line.product_id, line.quantity, price or line.unit_price)
    request.status = "ordered"
    session.flush()
    return order, True


def add_order_line(
    session: Session, order: PurchaseOrder, product_id: int, quantity: Decimal, price: Decimal
) -> PurchaseOrderLine:
    """A product on an order at a price."""
    _product(session, product_id)
    _check_quantity(quantity)
    line = PurchaseOrderLine(
        order_id=order.id,
        product_id=product_id,
        quantity=quantity,
        unit_price=quantize(price, COST_DIGITS),
        accepted=Decimal(0),
        rejected=Decimal(0),
    )
    session.add(line)
    session.flush()
    return line


def order_by_number(session: Session, text: str) -> PurchaseOrder:
    """A purchase order by its number (``PO2026-00001``, any case)."""
    found = session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.number == text.strip().upper())
    )
    if found is None:
        raise NotFound("There is no purchase order {number}.", number=text[:32])
    return found


def order_lines(session: Session, order_id: int) -> list[PurchaseOrderLine]:
    """An order's lines, in order."""
    return list(
        session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.order_id == order_id)
            .order_by(PurchaseOrderLine.id)
        )
    )


def order_of_request(session: Session, request_id: int) -> PurchaseOrder | None:
    """The order a request became, if any."""
    return session.scalar(select(PurchaseOrder).where(PurchaseOrder.request_id == request_id))


def open_orders(session: Session, limit: int = 20) -> list[PurchaseOrder]:
    """Orders still waiting for goods, oldest first."""
    return list(
        session.scalars(
            select(PurchaseOrder)
            .where(PurchaseOrder.status == "open")
            .order_by(PurchaseOrder.id)
            .limit(limit)
        )
    )


def _new_order(
    session: Session,
    supplier: Supplier,
    warehouse: Warehouse,
    actor_id: int | None,
    now: datetime,
    expected: date,
    request_id: int | None,
) -> PurchaseOrder:
    order = PurchaseOrder(
        number=next_number(session, "PO", now.year),
        supplier_id=supplier.id,
        request_id=request_id,
        warehouse_id=warehouse.id,
        status="open",
        currency=supplier.currency,
        expected_on=expected,
        created_by=actor_id,
        created_at=now,
    )
    session.add(order)
    session.flush()
    return order


def _quote(session: Session, request_id: int, supplier_id: int, product_id: int) -> Quote | None:
    return session.scalar(
        select(Quote).where(
            Quote.request_id == request_id,
            Quote.supplier_id == supplier_id,
            Quote.product_id == product_id,
        )
    )


def _product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no such product.")
    return product


def _check_quantity(quantity: Decimal) -> None:
    if quantity <= 0 or not is_exact(quantity):
        raise DomainError("A quantity is above 0, to at most three decimals.")


def _check_active(supplier: Supplier) -> None:
    if not supplier.active:
        raise Conflict("{name} is not an active supplier.", name=supplier.name)

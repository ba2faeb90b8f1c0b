"""Quotations, sales orders and deliveries.

A quotation (``QT…``) becomes a sales order (``SO…``); confirming the order reserves what its
warehouse has free and backorders the rest (``backorders.fill_backorders`` reserves it when
goods arrive); a delivery takes reserved goods out (``stock.issue_reserved``: the reservation and
the stock fall together) with ``delivery`` moves through the ledger, keyed by the delivery, so
shipping the same request twice ships once; cancelling
releases what is still reserved; a return brings goods back with a ``return`` move.

Lock order, the same everywhere: the document, then each balance (by product), then its line.
A line's reserved quantity changes only under its balance's lock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.models import COST_DIGITS, RATE_DIGITS, Product, StockMove
from domain.erp.numbering import next_number
from domain.erp.sales_events import cancelled_payload, confirmed_payload, delivered_payload
from domain.erp.sales_models import Delivery, DeliveryLine, SalesDocument, SalesLine
from domain.erp.stock import (
    MoveRequest,
    issue_reserved,
    locked_balance,
    post_move,
    release,
    reserve,
)
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.quantity import is_exact, plain

PREFIXES = {"quote": "QT", "order": "SO"}
FIRST_STATUS = {"quote": "open", "order": "draft"}
OPEN_ORDER = ("confirmed", "partial")
CONFIRMED = "order.confirmed"
DELIVERED = "order.delivered"
CANCELLED = "order.cancelled"
LARGEST = Decimal(10**9)  # a quantity or price beyond this is a typing slip (and would overflow)


@dataclass(frozen=True, slots=True)
class LineRequest:
    """A product to sell; the price and tax rate are the product's when not given."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """Who a document is for (the CRM customer, by id and name) and who sells it."""

    customer_id: int
    customer_name: str
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class Shipped:
    """The delivery a request became, and whether this call made it (False: shipped before)."""

    delivery: Delivery
    new: bool


def create_document(
    session: Session,
    kind: str,
    party: Party,
    location_id: int,
    lines: Sequence[LineRequest],
    now: datetime,
    note: str = "",
    wanted_on: date | None = None,
) -> SalesDocument:
    """A new quotation (``quote``) or draft sales order (``order``) with its number and lines,
    and the delivery date the customer asked for (MRP plans for it)."""
    if kind not in PREFIXES:
        raise DomainError("{kind} is not a kind of sales document.", kind=kind)
    if not lines:
        raise DomainError("A quotation or an order needs at least one product.")
    priced = [_priced(session, line) for line in lines]
    document = SalesDocument(
        kind=kind,
        number=next_number(session, PREFIXES[kind], now.year),
        status=FIRST_STATUS[kind],
        customer_id=party.customer_id,
        customer_name=party.customer_name[:200],
        owner_id=party.owner_id,
        location_id=location_id,
        currency=priced[0][0].currency,
        note=note[:500],
        wanted_on=wanted_on,
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    session.flush()
    for position, (_product, line) in enumerate(priced, start=1):
        line.document_id, line.position = document.id, position
        session.add(line)
    session.flush()
    return document


def order_from_quote(
    session: Session, quote_id: int, owner_id: int | None, now: datetime
) -> SalesDocument:
    """The draft order an open quotation becomes (the quotation is then ``accepted``)."""
    quote = locked_document(session, quote_id, "quote")
    if quote.status != "open":
        raise Conflict("{number} was already accepted or cancelled.", number=quote.number)
    party = Party(quote.customer_id, quote.customer_name, owner_id or quote.owner_id)
    requests = [
        LineRequest(line.product_id, line.quantity, line.unit_price, line.tax_rate)
        for line in lines_of(session, quote.id)
    ]
    order = create_document(
        session, "order", party, quote.location_id, requests, now, quote.note, quote.wanted_on
    )
    order.quote_id = quote.id
    quote.status, quote.updated_at = "accepted", now
    session.flush()
    return order


def confirm_order(session: Session, order_id: int, now: datetime) -> bool:
    """Confirm a draft order: reserve what is free at its location, backorder the rest, and
    record ``order.confirmed`` once. False when it was confirmed (or cancelled) before."""
    order = locked_document(session, order_id, "order")
    if order.status != "draft":
        return False
    for line in _by_product(session, order.id):
        balance = locked_balance(session, line.product_id, order.location_id)
        product = _product(session, line.product_id)
        free = max(balance.on_hand - balance.reserved, Decimal(0))
        take = line.quantity if product.allow_negative else min(free, line.quantity)
        if take > 0:
            reserve(session, line.product_id, order.location_id, take, now)
            line.reserved = take
    order.status, order.confirmed_at, order.updated_at = "confirmed", now, now
    session.flush()
    record_event(
        session, CONFIRMED, "erp_sales_order", order.number, confirmed_payload(session, order), now
    )
    return True


def cancel_document(session: Session, document_id: int, now: datetime) -> bool:
    """Cancel a quotation or an order, releasing what is still reserved for it; what was
    delivered stays delivered. False when it was cancelled (or done) before."""
    document = locked_document(session, document_id)
    if document.status not in ("open", "draft", *OPEN_ORDER):
        return False
    released: dict[int, Decimal] = {}  # product id -> what was reserved and is free again
    if document.kind == "order":
        for line in _by_product(session, document.id):
            locked_balance(session, line.product_id, document.location_id)
            fresh = _locked_line(session, line.id)
            if fresh.reserved > 0:
                release(session, fresh.product_id, document.location_id, fresh.reserved, now)
                released[fresh.product_id] = released.get(fresh.product_id, Decimal(0)) + (
                    fresh.reserved
                )
                fresh.reserved = Decimal(0)
    document.status, document.updated_at = "cancelled", now
    session.flush()
    if document.kind == "order":
        payload = cancelled_payload(session, document, released)
        record_event(session, CANCELLED, "erp_sales_order", document.number, payload, now)
    return True


def ship_order(
    session: Session,
    order_id: int,
    quantities: Mapping[int, Decimal] | None,
    tracking: str,
    key: str,
    actor_id: int | None,
    now: datetime,
) -> Shipped:
    """Ship reserved goods of an order (``quantities`` by line id; None: everything reserved),
    one ``delivery`` move per line keyed by the delivery, and record ``order.delivered`` once.
    The same ``key`` twice is one delivery."""
    order = locked_document(session, order_id, "order")
    earlier = session.scalar(select(Delivery).where(Delivery.key == key))
    if earlier is not None:
        return Shipped(earlier, new=False)
    if order.status not in OPEN_ORDER:
        raise Conflict(
            "{number} is not confirmed, or is already delivered or cancelled.", number=order.number
        )
    delivery = Delivery(
        document_id=order.id, tracking=tracking[:100], key=key, actor_id=actor_id, created_at=now
    )
    session.add(delivery)
    session.flush()
    shipped = [
        _ship_line(session, order, delivery, line, quantity, now)
        for line, quantity in _to_ship(session, order, quantities)
    ]
    lines = lines_of(session, order.id)
    order.status = "delivered" if all(x.delivered >= x.quantity for x in lines) else "partial"
    order.updated_at = now
    session.flush()
    record_event(
        session,
        DELIVERED,
        "erp_delivery",
        str(delivery.id),
        delivered_payload(session, order, delivery, shipped),
        now,
    )
    return Shipped(delivery, new=True)


def return_goods(
    session: Session,
    order_id: int,
    line_id: int,
    quantity: Decimal,
    key: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Bring delivered goods of an order line back into its location (a ``return`` move keyed
    by ``key``); False when that return was booked before."""
    order = locked_document(session, order_id, "order")
    line = _locked_line(session, line_id)
    if line.document_id != order.id:
        raise NotFound("There is no line #{id} on {number}.", id=line_id, number=order.number)
    if quantity > line.delivered - line.returned:
        raise Conflict(
            "Only {qty} of that line was delivered and not returned.",
            qty=plain(line.delivered - line.returned),
        )
    request = MoveRequest(
        "return", line.product_id, quantity, f"sales-return:{key}",
        to_location=order.location_id, source=order.number,
    )  # fmt: skip
    posted = post_move(session, request, actor_id, now)
    if posted.new:
        line.returned += quantity
        session.flush()
    return posted.new


def locked_document(session: Session, document_id: int, kind: str | None = None) -> SalesDocument:
    """A quotation or order, locked until commit and read afresh."""
    query = (
        select(SalesDocument)
        .where(SalesDocument.id == document_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    document = session.scalars(query).one_or_none()
    if document is None or (kind is not None and document.kind != kind):
        raise NotFound("There is no sales document #{id}.", id=document_id)
    return document


def lines_of(session: Session, document_id: int) -> list[SalesLine]:
    """A document's lines in their order."""
    query = select(SalesLine).where(SalesLine.document_id == document_id)
    return list(session.scalars(query.order_by(SalesLine.position)))


def _ship_line(
    session: Session,
    order: SalesDocument,
    delivery: Delivery,
    line: SalesLine,
    quantity: Decimal,
    now: datetime,
) -> DeliveryLine:
    locked_balance(session, line.product_id, order.location_id)
    fresh = _locked_line(session, line.id)
    if quantity > fresh.reserved:
        sku = _product(session, fresh.product_id).sku
        raise Conflict(
            "Only {qty} of {sku} is reserved for {number}.",
            qty=plain(fresh.reserved), sku=sku, number=order.number,
        )  # fmt: skip
    fresh.reserved -= quantity
    fresh.delivered += quantity
    request = MoveRequest(
        "delivery", fresh.product_id, quantity, f"sales-delivery:{delivery.key}:{fresh.id}",
        from_location=order.location_id, source=order.number, note=delivery.tracking,
    )  # fmt: skip
    posted = issue_reserved(session, request, delivery.actor_id, now)
    value = _move_value(session, posted.move_id)
    shipped = DeliveryLine(
        delivery_id=delivery.id, line_id=fresh.id, quantity=quantity, move_id=posted.move_id,
        value=value,
    )  # fmt: skip
    session.add(shipped)
    session.flush()
    return shipped


def _to_ship(
    session: Session, order: SalesDocument, quantities: Mapping[int, Decimal] | None
) -> list[tuple[SalesLine, Decimal]]:
    lines = _by_product(session, order.id)
    if quantities is None:
        chosen = [(line, line.reserved) for line in lines if line.reserved > 0]
    else:
        known = {line.id: line for line in lines}
        if set(quantities) - set(known):
            raise NotFound("There is no such line on {number}.", number=order.number)
        chosen = [
            (known[i], q)
            for i, q in sorted(quantities.items(), key=lambda p: (known[p[0]].product_id, p[0]))
            if q > 0
        ]
    if not chosen:
        raise Conflict("Nothing of {number} is reserved to ship yet.", number=order.number)
    return chosen


def _priced(session: Session, request: LineRequest) -> tuple[Product, SalesLine]:
    product = _product(session, request.product_id)
    if product.kind == "service" or not product.active:
        raise DomainError("{sku} cannot be sold on an order.", sku=product.sku)
    price = product.list_price if request.unit_price is None else request.unit_price
    rate = product.tax_rate if request.tax_rate is None else request.tax_rate
    if request.quantity <= 0 or not is_exact(request.quantity):
        raise DomainError(
            "A quantity is above 0 and below a trillion, with at most 3 decimals, not {quantity}.",
            quantity=request.quantity,
        )
    if request.quantity > LARGEST or price > LARGEST:
        raise DomainError("A quantity or a price is at most {largest}.", largest=plain(LARGEST))
    if price < 0 or not is_exact(price, COST_DIGITS):
        raise DomainError("A price is a number of at most 4 decimals, not below 0.")
    if not 0 <= rate < 1 or not is_exact(rate, RATE_DIGITS):
        raise DomainError("A tax rate is between 0% and 100%.")
    line = SalesLine(
        product_id=product.id, quantity=request.quantity, unit_price=price, tax_rate=rate,
        reserved=Decimal(0), delivered=Decimal(0), returned=Decimal(0),
    )  # fmt: skip
    return product, line


def _by_product(session: Session, document_id: int) -> list[SalesLine]:
    """A document's lines in lock order (by product)."""
    query = select(SalesLine).where(SalesLine.document_id == document_id)
    return list(session.scalars(query.order_by(SalesLine.product_id, SalesLine.id)))


def _locked_line(session: Session, line_id: int) -> SalesLine:
    query = (
        select(SalesLine)
        .where(SalesLine.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def _product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    return product


def _move_value(session: Session, move_id: int) -> Decimal:
    move = session.get(StockMove, move_id)
    assert move is not None
    return move.value

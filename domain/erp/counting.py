"""Stock takes: a blind count of a warehouse's main location, its variance, and the adjustments
an approval posts.

The rule for moves during a count: the books at the start are recorded, counters count what was
there when the take started, and the approval adjusts each counted product by (counted − book at
start), applied to the balance as it is then. Receipts and deliveries posted during the count
are kept. Products nobody counted are left alone. Several counters' counts of one product are
added up (each counts their own shelves); a counter's later count replaces their earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain.erp.count_models import StockCount, StockTake, StockTakeBook
from domain.erp.models import (
    COST_DIGITS,
    VALUE_DIGITS,
    Product,
    StockBalance,
    StockMove,
    Warehouse,
)
from domain.erp.stock import MoveRequest, locked_balance, post_move
from domain.erp.warehouses import main_location
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import quantize
from domain.shared.quantity import is_exact, plain

COUNTING, REVIEW, APPROVED, CANCELLED = "counting", "review", "approved", "cancelled"
OPEN = (COUNTING, REVIEW)
ADJUSTED = "stock.adjusted"  # an approved take's adjustments, for finance (once per take)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class VarianceLine:
    """One counted product: the books at the start, the count, and the difference's value at
    the moving average."""

    product: Product
    book: Decimal
    counted: Decimal
    counters: int

    @property
    def difference(self) -> Decimal:
        """What the approval adjusts by (+ found, − missing)."""
        return self.counted - self.book


@dataclass(frozen=True, slots=True)
class Variance:
    """A take's variance: its counted products, their values, and how many were not counted."""

    take: StockTake
    lines: tuple[tuple[VarianceLine, Decimal], ...]
    not_counted: int

    @property
    def total_value(self) -> Decimal:
        """The value of every difference together."""
        return sum((value for _line, value in self.lines), ZERO)


@dataclass(frozen=True, slots=True)
class Decided:
    """What an approval did: the moves it posted (0 when it had been decided before)."""

    take: StockTake
    posted: int
    new: bool


def start_stock_take(
    session: Session, warehouse: Warehouse, actor_id: int | None, now: datetime
) -> StockTake:
    """Open a blind count of the warehouse's main location and record its books as they are."""
    session.execute(  # two starts of one warehouse wait for each other (PostgreSQL)
        select(Warehouse.id).where(Warehouse.id == warehouse.id).with_for_update()
    )
    if open_take(session, warehouse.id) is not None:
        raise Conflict("A stock take of {code} is already open.", code=warehouse.code)
    location = main_location(session, warehouse)
    take = StockTake(
        warehouse_id=warehouse.id,
        location_id=location,
        open_warehouse_id=warehouse.id,
        status=COUNTING,
        started_by=actor_id,
        started_at=now,
    )
    session.add(take)
    session.flush()
    held = session.execute(
        select(StockBalance.product_id, StockBalance.on_hand).where(
            StockBalance.location_id == location
        )
    )
    session.add_all(StockTakeBook(stock_take_id=take.id, product_id=p, book=q) for p, q in held)
    session.flush()
    return take


def open_take(session: Session, warehouse_id: int) -> StockTake | None:
    """The warehouse's open stock take, if there is one."""
    return session.scalar(select(StockTake).where(StockTake.open_warehouse_id == warehouse_id))


def open_takes(session: Session, statuses: tuple[str, ...] = OPEN) -> list[StockTake]:
    """The stock takes in these states, oldest first."""
    query = select(StockTake).where(StockTake.status.in_(statuses)).order_by(StockTake.id)
    return list(session.scalars(query))


def warehouse_of_take(session: Session, take: StockTake) -> Warehouse:
    """The warehouse a take counts."""
    warehouse = session.get(Warehouse, take.warehouse_id)
    assert warehouse is not None  # a foreign key
    return warehouse


def take_by_id(session: Session, take_id: int) -> StockTake:
    """A stock take by its number."""
    take = session.get(StockTake, take_id)
    if take is None:
        raise NotFound("There is no stock take #{id}.", id=take_id)
    return take


def record_count(
    session: Session,
    take: StockTake,
    product: Product,
    counter_id: int,
    quantity: Decimal,
    now: datetime,
) -> Decimal:
    """Record a counter's count of a product (replacing their earlier one); returns the
    product's count from every counter together."""
    if take.status != COUNTING:
        raise Conflict("Stock take #{id} is no longer counting.", id=take.id)
    if quantity < 0 or not is_exact(quantity):
        raise DomainError("A count is 0 or more with at most 3 decimals, not {qty}.", qty=quantity)
    if product.kind == "service":
        raise DomainError("{sku} is a service; services are not stocked.", sku=product.sku)
    key = (take.id, product.id, counter_id)
    row = session.get(StockCount, key)
    if row is None:
        row = StockCount(stock_take_id=take.id, product_id=product.id, counter_id=counter_id)
        session.add(row)
    row.quantity, row.counted_at = quantity, now
    session.flush()
    return _counted(session, take.id).get(product.id, (ZERO, 0))[0]


def books_of(
    session: Session, take: StockTake, limit: int, offset: int
) -> tuple[list[Product], int]:
    """A page of the products the books held at the start (by SKU), and how many there are."""
    query = (
        select(Product)
        .join(StockTakeBook, StockTakeBook.product_id == Product.id)
        .where(StockTakeBook.stock_take_id == take.id)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Product.sku).limit(limit).offset(offset))
    return list(page), total


def counted_by(session: Session, take: StockTake, counter_id: int) -> dict[int, Decimal]:
    """A counter's own counts in a take, by product id."""
    rows = session.execute(
        select(StockCount.product_id, StockCount.quantity).where(
            StockCount.stock_take_id == take.id, StockCount.counter_id == counter_id
        )
    )
    return {p: q for p, q in rows}


def finish_counting(session: Session, take: StockTake, now: datetime) -> Variance:
    """Close the counting: the take waits for approval; returns its variance."""
    if not _moved(session, take.id, (COUNTING,), {"status": REVIEW}):
        raise Conflict("Stock take #{id} is no longer counting.", id=take.id)
    session.refresh(take)
    return variance(session, take)


def variance(session: Session, take: StockTake) -> Variance:
    """Book at start against counted, per counted product, valued at the moving average now."""
    books = dict(
        session.execute(
            select(StockTakeBook.product_id, StockTakeBook.book).where(
                StockTakeBook.stock_take_id == take.id
            )
        ).all()
    )
    counted = _counted(session, take.id)
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(counted)))}
    lines = []
    for product_id in sorted(counted, key=lambda i: products[i].sku):
        quantity, counters = counted[product_id]
        line = VarianceLine(products[product_id], books.get(product_id, ZERO), quantity, counters)
        lines.append((line, difference_value(session, take.location_id, line)))
    not_counted = sum(1 for product_id, book in books.items() if product_id not in counted and book)
    return Variance(take, tuple(lines), not_counted)


def difference_value(session: Session, location_id: int, line: VarianceLine) -> Decimal:
    """The value of a difference: goods found at the moving average (the product's cost when
    nothing is on hand), goods missing at what they take out of the balance."""
    balance = session.get(StockBalance, (line.product.id, location_id))
    on_hand = balance.on_hand if balance is not None else ZERO
    held = balance.value if balance is not None else ZERO
    change = abs(line.difference)
    if line.difference >= 0 or on_hand <= 0:
        unit = _average(line.product, on_hand, held)
        value = quantize(change * unit, VALUE_DIGITS)
    elif change < on_hand:
        value = quantize(held * change / on_hand, VALUE_DIGITS)
    else:
        value = held + quantize((change - on_hand) * line.product.cost, VALUE_DIGITS)
    return value if line.difference >= 0 else -value


def approve(session: Session, take_id: int, actor_id: int | None, now: datetime) -> Decided:
    """Post the adjustments of a take in review, once: a second approval (or a double tap)
    changes nothing. Each move's key is the take's and the product's."""
    take = take_by_id(session, take_id)
    if not _moved(
        session,
        take_id,
        (REVIEW,),
        {"status": APPROVED, "open_warehouse_id": None, "decided_by": actor_id, "closed_at": now},
    ):
        session.refresh(take)
        return Decided(take, 0, new=False)
    session.refresh(take)
    posted = 0
    adjusted: list[dict[str, str | int]] = []
    for line, _value in variance(session, take).lines:
        if line.difference:
            request = _adjustment(session, take, line)
            move = post_move(session, request, actor_id, now)
            posted += move.new
            adjusted.append(_adjusted(session, line, move.move_id))
    payload = {"take_id": take.id, "location_id": take.location_id, "lines": adjusted}
    record_event(session, ADJUSTED, "erp_stock_take", str(take.id), payload, now)
    return Decided(take, posted, new=True)


def _adjusted(session: Session, line: VarianceLine, move_id: int) -> dict[str, str | int]:
    """A line of ``stock.adjusted``: the difference and its value (+ found, − missing) as the
    move booked it, at the moving average of the moment."""
    move = session.get_one(StockMove, move_id)
    value = move.value if line.difference > 0 else -move.value
    return {
        "product_id": line.product.id,
        "sku": line.product.sku,
        "product_type": line.product.kind,
        "difference": plain(line.difference),
        "value": str(value),
    }


def cancel(session: Session, take_id: int, actor_id: int | None, now: datetime) -> StockTake:
    """Cancel an open take: nothing is adjusted."""
    take = take_by_id(session, take_id)
    closed = {"status": CANCELLED, "open_warehouse_id": None, "decided_by": actor_id}
    if not _moved(session, take_id, OPEN, {**closed, "closed_at": now}):
        raise Conflict("Stock take #{id} is already closed.", id=take_id)
    session.refresh(take)
    return take


def _adjustment(session: Session, take: StockTake, line: VarianceLine) -> MoveRequest:
    """The move that books a difference; goods found come in at the moving average."""
    found = line.difference > 0
    place = take.location_id
    balance = locked_balance(session, line.product.id, place)  # the average as it is now
    unit_cost = None
    if found:
        unit_cost = _average(line.product, balance.on_hand, balance.value)
    return MoveRequest(
        "adjustment",
        line.product.id,
        abs(line.difference),
        f"stocktake:{take.id}:{line.product.id}",
        from_location=None if found else place,
        to_location=place if found else None,
        unit_cost=unit_cost,
        source=f"stocktake #{take.id}",
        note=f"stock take #{take.id}: counted {plain(line.counted)}, book {plain(line.book)}",
    )


def _average(product: Product, on_hand: Decimal, value: Decimal) -> Decimal:
    if on_hand <= 0:
        return product.cost
    return quantize(value / on_hand, COST_DIGITS)


def _counted(session: Session, take_id: int) -> dict[int, tuple[Decimal, int]]:
    """Per product: every counter's latest count added up, and how many counters."""
    rows = session.execute(
        select(StockCount.product_id, StockCount.quantity).where(
            StockCount.stock_take_id == take_id
        )
    )
    counted: dict[int, tuple[Decimal, int]] = {}
    for product_id, quantity in rows:
        total, counters = counted.get(product_id, (ZERO, 0))
        counted[product_id] = (total + quantity, counters + 1)
    return counted


def _moved(
    session: Session, take_id: int, before: tuple[str, ...], values: dict[str, object]
) -> bool:
    """Compare-and-set the take's status: True when this call moved it."""
    result = session.execute(
        update(StockTake)
        .where(StockTake.id == take_id, StockTake.status.in_(before))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)

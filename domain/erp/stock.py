"""The stock ledger: post a move, reserve and release stock, each under a row lock on the
balances it changes (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so a
balance always equals the sum of its moves.

Value follows the moving average: goods coming in add their cost, goods going out take the
balance's average (all of its value when the last unit leaves). A transfer carries the value it
took from one location to the other. Stock never goes below what is reserved (nor below nothing)
unless the product allows negative stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from domain.erp.backorders import fill_backorders
from domain.erp.models import (
    COST_DIGITS,
    VALUE_DIGITS,
    Location,
    Product,
    StockBalance,
    StockMove,
)
from domain.erp.safety import watch_safety
from domain.shared.db import insert_or_skip
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import quantize
from domain.shared.quantity import is_exact, plain

INBOUND = frozenset({"receipt", "production_output", "return"})
OUTBOUND = frozenset({"delivery", "production_consumption", "scrap"})
MOVE_KINDS = INBOUND | OUTBOUND | {"transfer", "adjustment"}

# Built once: a statement built per call costs more than running it (docs/PERFORMANCE.md).
_LOCKED_BALANCE = (
    select(StockBalance)
    .where(
        StockBalance.product_id == bindparam("product_id"),
        StockBalance.location_id == bindparam("location_id"),
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)
_PRODUCTS = cast(Table, Product.__table__)
_PRODUCT = select(
    _PRODUCTS.c.kind,
    _PRODUCTS.c.id,
    _PRODUCTS.c.sku,
    _PRODUCTS.c.uom,
    _PRODUCTS.c.cost,
    _PRODUCTS.c.allow_negative,
    _PRODUCTS.c.safety_stock,
    _PRODUCTS.c.reorder_qty,
    _PRODUCTS.c.default_supplier,
).where(_PRODUCTS.c.id == bindparam("product_id"))
_BALANCES = cast(Table, StockBalance.__table__)
_SET_BALANCE = (
    update(_BALANCES)
    .where(
        _BALANCES.c.product_id == bindparam("of_product"),
        _BALANCES.c.location_id == bindparam("at_location"),
    )
    .values(on_hand=bindparam("new_on_hand"), value=bindparam("new_value"))
)
_MOVES = cast(Table, StockMove.__table__)
_NEW_MOVE = insert(_MOVES).returning(_MOVES.c.id)
_MOVE_OF_KEY = select(_MOVES.c.id).where(_MOVES.c.idempotency_key == bindparam("key"))


@dataclass(frozen=True, slots=True)
class MoveRequest:
    """A change of stock to post; ``key`` makes posting it twice move stock once."""

    kind: str
    product_id: int
    quantity: Decimal
    key: str
    from_location: int | None = None
    to_location: int | None = None
    unit_cost: Decimal | None = None  # goods coming in; the product's cost when None
    source: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class StockedProduct:
    """What the ledger reads of a product (one Core query, no ORM entity to build)."""

    id: int
    sku: str
    uom: str
    cost: Decimal
    allow_negative: bool
    safety_stock: Decimal
    reorder_qty: Decimal
    default_supplier: str


@dataclass(frozen=True, slots=True)
class Posted:
    """The move a request became, and whether this call posted it (False: posted before)."""

    move_id: int
    new: bool


def post_move(
    session: Session, request: MoveRequest, actor_id: int | None, now: datetime
) -> Posted:
    """Post one stock move and change the balances it touches in the same transaction."""
    _check_shape(request)
    product = _stocked_product(session, request.product_id)
    places = sorted(p for p in (request.from_location, request.to_location) if p is not None)
    balances = {p: locked_balance(session, product.id, p) for p in places}  # fixed lock order
    earlier = session.connection().execute(_MOVE_OF_KEY, {"key": request.key}).scalar()
    if earlier is not None:
        return Posted(earlier, new=False)
    if request.from_location is not None:
        value = _take_out(session, product, request, balances[request.from_location])
    else:
        value = quantize(request.quantity * _cost_in(product, request), VALUE_DIGITS)
    if request.to_location is not None:
        target = balances[request.to_location]
        _set_balance(session, target, target.on_hand + request.quantity, target.value + value)
    row = _ledger_row(request, value, actor_id, now)
    move_id: int = session.connection().execute(_NEW_MOVE, row).scalar_one()
    if request.to_location is not None:
        fill_backorders(session, balances[request.to_location], now)
    watch_safety(session, product, now)
    return Posted(move_id, new=True)


def reserve(
    session: Session, product_id: int, location_id: int, quantity: Decimal, now: datetime
) -> StockBalance:
    """Set aside ``quantity`` at a location; refused beyond what is available unless the product
    allows negative stock. Available falls, so the safety watch looks."""
    _check_quantity(quantity)
    product = _stocked_product(session, product_id)
    balance = locked_balance(session, product_id, location_id)
    if not product.allow_negative and quantity > balance.on_hand - balance.reserved:
        raise Conflict(
            "Only {available} of {sku} can be reserved there.",
            available=plain(balance.on_hand - balance.reserved),
            sku=product.sku,
        )
    balance.reserved += quantity
    session.flush()
    watch_safety(session, product, now)
    return balance


def release(
    session: Session, product_id: int, location_id: int, quantity: Decimal, now: datetime
) -> StockBalance:
    """Give back ``quantity`` set aside at a location (the safety watch may re-arm)."""
    _check_quantity(quantity)
    product = _stocked_product(session, product_id)
    balance = locked_balance(session, product_id, location_id)
    if quantity > balance.reserved:
        raise Conflict("Only {reserved} is reserved there.", reserved=plain(balance.reserved))
    balance.reserved -= quantity
    session.flush()
    watch_safety(session, product, now)
    return balance


def issue_reserved(
    session: Session,
    request: MoveRequest,
    actor_id: int | None,
    now: datetime,
    *,
    reserved: Decimal | None = None,
) -> Posted:
    """Post goods set aside at ``request.from_location`` leaving it (``reserved`` of them, all
    by default): the reservation and the stock fall together, so what is available does not
    change and the safety watch looks once, at the end (releasing first would re-arm it, and
    the move would report the same shortfall as a new breach). The same key twice releases and
    moves once."""
    _check_shape(request)
    if request.from_location is None:
        raise DomainError("A {kind} move needs its locations and a key.", kind=request.kind)
    taken = request.quantity if reserved is None else reserved
    balance = locked_balance(session, request.product_id, request.from_location)
    earlier = session.scalar(select(StockMove.id).where(StockMove.idempotency_key == request.key))
    if earlier is not None:
        return Posted(earlier, new=False)
    if taken > balance.reserved or taken > request.quantity:
        raise Conflict("Only {reserved} is reserved there.", reserved=plain(balance.reserved))
    balance.reserved -= taken
    session.flush()
    return post_move(session, request, actor_id, now)


def locked_balance(session: Session, product_id: int, location_id: int) -> StockBalance:
    """The balance row of a product at a location, created if new, locked until commit."""
    keys = {"product_id": product_id, "location_id": location_id}
    balance = session.scalars(_LOCKED_BALANCE, keys).one_or_none()
    if balance is not None:
        return balance
    if session.get(Location, location_id) is None:
        raise NotFound("There is no location #{id}.", id=location_id)
    empty = {"on_hand": Decimal(0), "reserved": Decimal(0), "value": Decimal(0)}
    new_balance = insert_or_skip(session.get_bind().dialect.name, _BALANCES)
    session.connection().execute(new_balance, {**keys, **empty})
    return session.scalars(_LOCKED_BALANCE, keys).one()


def _take_out(
    session: Session, product: StockedProduct, request: MoveRequest, balance: StockBalance
) -> Decimal:
    """Take the goods out of the source balance and return the value they carry."""
    quantity = request.quantity
    if not product.allow_negative and quantity > balance.on_hand - balance.reserved:
        raise Conflict(
            "Only {available} {uom} of {sku} are free to move there.",
            available=plain(balance.on_hand - balance.reserved),
            uom=product.uom,
            sku=product.sku,
        )
    value = _issue_value(balance, quantity, product.cost)
    _set_balance(session, balance, balance.on_hand - quantity, balance.value - value)
    return value


def _set_balance(session: Session, balance: StockBalance, on_hand: Decimal, value: Decimal) -> None:
    """Write a locked balance's units and value with one Core UPDATE (no unit-of-work flush)
    and keep the loaded row in step, as if the ORM had written it."""
    params = {
        "of_product": balance.product_id,
        "at_location": balance.location_id,
        "new_on_hand": on_hand,
        "new_value": value,
    }
    session.connection().execute(_SET_BALANCE, params)
    set_committed_value(balance, "on_hand", on_hand)
    set_committed_value(balance, "value", value)


def _issue_value(balance: StockBalance, quantity: Decimal, fallback_cost: Decimal) -> Decimal:
    """What ``quantity`` leaving the balance is worth at the moving average; beyond what is on
    hand (negative stock) at the product's cost."""
    on_hand = max(balance.on_hand, Decimal(0))
    if quantity < on_hand:
        return quantize(balance.value * quantity / on_hand, VALUE_DIGITS)
    rest = quantity - on_hand
    held = balance.value if on_hand else Decimal(0)
    return held + quantize(rest * fallback_cost, VALUE_DIGITS)


def _cost_in(product: StockedProduct, request: MoveRequest) -> Decimal:
    cost = product.cost if request.unit_cost is None else request.unit_cost
    if cost < 0 or not is_exact(cost, COST_DIGITS):
        raise DomainError("A unit cost is a number of at most 4 decimals, not below 0.")
    return cost


def _ledger_row(
    request: MoveRequest, value: Decimal, actor_id: int | None, now: datetime
) -> dict[str, object]:
    unit_cost = quantize(value / request.quantity, COST_DIGITS)
    return {
        "kind": request.kind,
        "product_id": request.product_id,
        "from_location_id": request.from_location,
        "to_location_id": request.to_location,
        "quantity": request.quantity,
        "unit_cost": unit_cost,
        "value": value,
        "source": request.source[:200],
        "note": request.note[:500],
        "actor_id": actor_id,
        "idempotency_key": request.key,
        "created_at": now,
    }


def _stocked_product(session: Session, product_id: int) -> StockedProduct:
    session.flush()  # the Core read sees this transaction's changes to the product
    row = session.connection().execute(_PRODUCT, {"product_id": product_id}).one_or_none()
    if row is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    if row.kind == "service":
        raise DomainError("{sku} is a service; services are not stocked.", sku=row.sku)
    return StockedProduct(
        id=row.id,
        sku=row.sku,
        uom=row.uom,
        cost=row.cost,
        allow_negative=row.allow_negative,
        safety_stock=row.safety_stock,
        reorder_qty=row.reorder_qty,
        default_supplier=row.default_supplier,
    )


def _check_shape(request: MoveRequest) -> None:
    """A known kind, a quantity, a key, and the ends the kind has."""
    if request.kind not in MOVE_KINDS:
        raise DomainError("{kind} is not a kind of stock move.", kind=request.kind)
    _check_quantity(request.quantity)
    if not request.key or not _ends_fit(request):
        raise DomainError("A {kind} move needs its locations and a key.", kind=request.kind)


def _ends_fit(request: MoveRequest) -> bool:
    """Goods come in from outside, go out to outside, or move between two places; an
    adjustment goes one way or the other."""
    source, target = request.from_location, request.to_location
    if request.kind == "transfer":
        return source is not None and target is not None and source != target
    if request.kind == "adjustment":
        return (source is None) != (target is None)
    if request.kind in INBOUND:
        return source is None and target is not None
    return source is not None and target is None


def _check_quantity(quantity: Decimal) -> None:
    if quantity <= 0 or not is_exact(quantity):
        raise DomainError(
            "A quantity is above 0 and below a trillion, with at most 3 decimals, not {quantity}.",
            quantity=quantity,
        )

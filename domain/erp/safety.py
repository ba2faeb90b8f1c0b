"""Safety stock: when a product's available quantity falls below its safety stock, one
``stock.below_safety`` event; the watch re-arms once available is back at or above the level."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from domain.erp.models import SafetyWatch, StockBalance
from domain.shared.db import insert_or_skip
from domain.shared.domain_events import record_event
from domain.shared.quantity import plain

BELOW_SAFETY = "stock.below_safety"

_WATCHES = cast(Table, SafetyWatch.__table__)
_BALANCES = cast(Table, StockBalance.__table__)
# Core statements built once, as the stock ledger's are (domain/erp/stock.py).
_LOCKED_WATCH = (
    select(_WATCHES.c.alerted, _WATCHES.c.breaches)
    .where(_WATCHES.c.product_id == bindparam("product_id"))
    .with_for_update()
)
_SET_WATCH = (
    update(_WATCHES)
    .where(_WATCHES.c.product_id == bindparam("of_product"))
    .values(alerted=bindparam("new_alerted"), breaches=bindparam("new_breaches"))
)
_BALANCES_OF_PRODUCT = select(_BALANCES.c.on_hand, _BALANCES.c.reserved).where(
    _BALANCES.c.product_id == bindparam("product_id")
)


class Watched(Protocol):
    """What the watch reads of a product."""

    @property
    def id(self) -> int: ...
    @property
    def sku(self) -> str: ...
    @property
    def safety_stock(self) -> Decimal: ...
    @property
    def reorder_qty(self) -> Decimal: ...
    @property
    def default_supplier(self) -> str: ...


def watch_safety(session: Session, product: Watched, now: datetime) -> bool:
    """Record the alert if this change took the product below its safety stock (True)."""
    session.flush()  # the Core reads below see this transaction's changes
    alerted, breaches = _locked_watch(session, product.id)
    available = _available_everywhere(session, product.id)
    below = available < product.safety_stock
    if below == alerted:  # still reported, or still at the level
        return False
    if not below:
        _set_watch(session, product.id, alerted=False, breaches=breaches)  # re-armed
        return False
    breaches += 1
    _set_watch(session, product.id, alerted=True, breaches=breaches)
    payload = {
        "product_id": product.id,
        "sku": product.sku,
        "available": plain(available),
        "safety_stock": plain(product.safety_stock),
        "reorder_qty": plain(product.reorder_qty),
        "default_supplier": product.default_supplier,
    }
    record_event(session, BELOW_SAFETY, "erp_product", f"{product.id}:{breaches}", payload, now)
    return True


def _available_everywhere(session: Session, product_id: int) -> Decimal:
    """On hand less reserved, across every location (a product is kept in a few places)."""
    rows = session.connection().execute(_BALANCES_OF_PRODUCT, {"product_id": product_id})
    return sum((on_hand - reserved for on_hand, reserved in rows), Decimal(0))


def _locked_watch(session: Session, product_id: int) -> tuple[bool, int]:
    """The product's watch (alerted, breaches), created if new, locked until commit."""
    keys = {"product_id": product_id}
    row = session.connection().execute(_LOCKED_WATCH, keys).one_or_none()
    if row is None:
        new_watch = insert_or_skip(session.get_bind().dialect.name, _WATCHES)
        session.connection().execute(new_watch, {**keys, "alerted": False, "breaches": 0})
        row = session.connection().execute(_LOCKED_WATCH, keys).one()
    return bool(row.alerted), int(row.breaches)


def _set_watch(session: Session, product_id: int, *, alerted: bool, breaches: int) -> None:
    params = {"of_product": product_id, "new_alerted": alerted, "new_breaches": breaches}
    session.connection().execute(_SET_WATCH, params)

"""Safety stock: when a product's available quantity falls below its safety stock, one
``stock.below_safety`` event; the watch re-arms once available is back at or above the level."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.erp.models import Product, SafetyWatch, StockBalance
from domain.shared.domain_events import record_event
from domain.shared.quantity import plain

BELOW_SAFETY = "stock.below_safety"

# Built once, as the stock ledger's statements are (domain/erp/stock.py).
_LOCKED_WATCH = (
    select(SafetyWatch)
    .where(SafetyWatch.product_id == bindparam("product_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_BALANCES_OF_PRODUCT = select(StockBalance.on_hand, StockBalance.reserved).where(
    StockBalance.product_id == bindparam("product_id")
)


def watch_safety(session: Session, product: Product, now: datetime) -> bool:
    """Record the alert if this change took the product below its safety stock (True)."""
    watch = _locked_watch(session, product.id)
    available = available_everywhere(session, product.id)
    below = available < product.safety_stock
    if not below:
        if watch.alerted:
            watch.alerted = False  # back at the level: re-armed
        return False
    if watch.alerted:
        return False
    watch.alerted = True
    watch.breaches += 1
    payload = {
        "product_id": product.id,
        "sku": product.sku,
        "available": plain(available),
        "safety_stock": plain(product.safety_stock),
        "reorder_qty": plain(product.reorder_qty),
        "default_supplier": product.default_supplier,
    }
    record_event(
        session, BELOW_SAFETY, "erp_product", f"{product.id}:{watch.breaches}", payload, now
    )
    return True


def available_everywhere(session: Session, product_id: int) -> Decimal:
    """On hand less reserved, across every location (a product is kept in a few places)."""
    rows = session.execute(_BALANCES_OF_PRODUCT, {"product_id": product_id})
    return sum((on_hand - reserved for on_hand, reserved in rows), Decimal(0))


def _locked_watch(session: Session, product_id: int) -> SafetyWatch:
    """The product's watch, created if new, locked until commit."""
    keys = {"product_id": product_id}
    watch = session.scalars(_LOCKED_WATCH, keys).one_or_none()
    if watch is not None:
        return watch
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert_(SafetyWatch)
        .values(product_id=product_id, alerted=False, breaches=0)
        .on_conflict_do_nothing()
    )
    return session.scalars(_LOCKED_WATCH, keys).one()

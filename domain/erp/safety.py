"""Safety stock: when a product's available quantity falls below its safety stock, one
``stock.below_safety`` event; the watch re-arms once available is back at or above the level."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.erp.models import Product, SafetyWatch, StockBalance
from domain.shared.domain_events import record_event
from domain.shared.quantity import plain

BELOW_SAFETY = "stock.below_safety"


def watch_safety(session: Session, product: Product, now: datetime) -> bool:
    """Record the alert if this change took the product below its safety stock (True)."""
    watch = _locked_watch(session, product.id)
    available = available_everywhere(session, product.id)
    below = available < product.safety_stock
    if not below:
        watch.alerted = False
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
    rows = session.execute(
        select(StockBalance.on_hand, StockBalance.reserved).where(
            StockBalance.product_id == product_id
        )
    )
    return sum((on_hand - reserved for on_hand, reserved in rows), Decimal(0))


def _locked_watch(session: Session, product_id: int) -> SafetyWatch:
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert_(SafetyWatch)
        .values(product_id=product_id, alerted=False, breaches=0)
        .on_conflict_do_nothing()
    )
    query = (
        select(SafetyWatch)
        .where(SafetyWatch.product_id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()

"""Reading production orders: by number, and the open ones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.production_models import ProductionOrder

OPEN = ("planned", "released", "in_progress")


def order_numbered(session: Session, number: str) -> ProductionOrder | None:
    """The production order with this number (``MO2026-00001``, any case)."""
    query = select(ProductionOrder).where(ProductionOrder.number == number.strip().upper())
    return session.scalars(query).first()


def open_orders(session: Session, limit: int) -> list[ProductionOrder]:
    """Open production orders, soonest due first (those without a date last), then oldest."""
    query = (
        select(ProductionOrder)
        .where(ProductionOrder.status.in_(OPEN))
        .order_by(ProductionOrder.due.is_(None), ProductionOrder.due, ProductionOrder.id)
        .limit(limit)
    )
    return list(session.scalars(query))

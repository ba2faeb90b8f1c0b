"""Reading stock: what is on hand, reserved, available, incoming and projected, per warehouse or
in total, from the balance rows (never by summing the ledger); and a product's recent moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from domain.erp.models import Location, StockBalance, StockMove, Warehouse
from domain.erp.production_models import ProductionOrder
from domain.erp.purchase_models import PurchaseOrder, PurchaseOrderLine

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Availability:
    """A product's stock in one place or everywhere; incoming is what open purchase orders
    still await."""

    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    value: Decimal = ZERO
    incoming: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        """On hand less reserved."""
        return self.on_hand - self.reserved

    @property
    def projected(self) -> Decimal:
        """Available plus what is on its way."""
        return self.available + self.incoming

    def __add__(self, other: Availability) -> Availability:
        return Availability(
            self.on_hand + other.on_hand,
            self.reserved + other.reserved,
            self.value + other.value,
            self.incoming + other.incoming,
        )


@dataclass(frozen=True, slots=True)
class MoveView:
    """One line of a product's ledger, with the warehouses' codes."""

    id: int
    kind: str
    quantity: Decimal
    value: Decimal
    from_code: str
    to_code: str
    source: str
    note: str
    created_at: datetime


def availability(
    session: Session, product_id: int, warehouse_id: int | None = None
) -> Availability:
    """A product's stock in one warehouse, or in all of them, with what is on its way."""
    per_warehouse = stock_by_warehouse(session, product_id)
    chosen = [a for w, a in per_warehouse if warehouse_id is None or w.id == warehouse_id]
    on_the_way = Availability(incoming=incoming(session, product_id, warehouse_id))
    return sum(chosen, on_the_way)


def incoming(session: Session, product_id: int, warehouse_id: int | None = None) -> Decimal:
    """What open purchase orders still await of a product (ordered less accepted less
    rejected) and open production orders still have to make, for one warehouse or all."""
    return _purchased(session, product_id, warehouse_id) + _in_production(
        session, product_id, warehouse_id
    )


def _purchased(session: Session, product_id: int, warehouse_id: int | None) -> Decimal:
    query = (
        select(PurchaseOrderLine.quantity, PurchaseOrderLine.accepted, PurchaseOrderLine.rejected)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.product_id == product_id, PurchaseOrder.status == "open")
    )
    if warehouse_id is not None:
        query = query.where(PurchaseOrder.warehouse_id == warehouse_id)
    return sum((q - a - r for q, a, r in session.execute(query)), ZERO)


def _in_production(session: Session, product_id: int, warehouse_id: int | None) -> Decimal:
    query = select(
        ProductionOrder.quantity, ProductionOrder.produced, ProductionOrder.scrapped
    ).where(
        ProductionOrder.product_id == product_id,
        ProductionOrder.status.in_(("planned", "released", "in_progress")),
    )
    if warehouse_id is not None:
        query = query.join(Location, Location.id == ProductionOrder.location_id).where(
            Location.warehouse_id == warehouse_id
        )
    return sum((max(q - p - s, ZERO) for q, p, s in session.execute(query)), ZERO)


def stock_by_warehouse(session: Session, product_id: int) -> list[tuple[Warehouse, Availability]]:
    """A product's stock in each warehouse that has held it, by code."""
    rows = session.execute(
        select(Warehouse, StockBalance)
        .join(Location, Location.warehouse_id == Warehouse.id)
        .join(StockBalance, StockBalance.location_id == Location.id)
        .where(StockBalance.product_id == product_id)
        .order_by(Warehouse.code)
    )
    totals: dict[int, tuple[Warehouse, Availability]] = {}
    for warehouse, balance in rows:
        before = totals.get(warehouse.id, (warehouse, Availability()))[1]
        held = Availability(balance.on_hand, balance.reserved, balance.value)
        totals[warehouse.id] = (warehouse, before + held)
    return list(totals.values())


def moves_of(session: Session, product_id: int, limit: int = 20, offset: int = 0) -> list[MoveView]:
    """A product's moves, newest first (a page of them)."""
    source, target = aliased(Location), aliased(Location)
    source_wh, target_wh = aliased(Warehouse), aliased(Warehouse)
    rows = session.execute(
        select(StockMove, source_wh.code, target_wh.code)
        .outerjoin(source, source.id == StockMove.from_location_id)
        .outerjoin(source_wh, source_wh.id == source.warehouse_id)
        .outerjoin(target, target.id == StockMove.to_location_id)
        .outerjoin(target_wh, target_wh.id == target.warehouse_id)
        .where(StockMove.product_id == product_id)
        .order_by(StockMove.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        MoveView(
            m.id, m.kind, m.quantity, m.value, f or "", t or "", m.source, m.note, m.created_at
        )
        for m, f, t in rows
    ]

"""The ERP's test rig: a plain session on a migrated database, a product and two warehouses, and
the ledger's invariants stated once for every test to check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from domain.erp.catalog import add_product
from domain.erp.models import Product, StockBalance, StockMove
from domain.erp.stock import MoveRequest
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from domain.shared.db import AsyncDatabase, open_database
from tests.support import create_pg_database, drop_pg_database

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@asynccontextmanager
async def racing_database(template: str, connections: int) -> AsyncIterator[AsyncDatabase]:
    """A fresh PostgreSQL database copied from ``template``, for a race: a pool of
    ``connections`` (and as many again in overflow); dropped afterwards."""
    url = await create_pg_database(template=template)
    database = open_database(url, pool_size=connections)
    assert isinstance(database, AsyncDatabase)
    try:
        yield database
    finally:
        await database.dispose()
        await drop_pg_database(url)


@contextmanager
def erp_session(url: str) -> Iterator[Session]:
    """One session on the database, committed at the end."""
    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def seeded(session: Session, sku: str = "BOLT-M6", **values: object) -> tuple[Product, int, int]:
    """A product and two warehouses' main locations (SH, BJ)."""
    fields = {"name_zh": "螺栓", "name_en": "Bolt", "cost": Decimal("2"), **values}
    product = add_product(session, sku, fields, "CNY", NOW)  # type: ignore[arg-type]
    places = []
    for code in ("SH", "BJ"):
        warehouse = warehouse_by_code(session, code) or add_warehouse(session, code, code)
        places.append(main_location(session, warehouse))
    return product, places[0], places[1]


def receipt(product: Product, to: int, quantity: str, key: str, cost: str = "2") -> MoveRequest:
    """Goods coming in at a cost."""
    return MoveRequest(
        "receipt", product.id, Decimal(quantity), key, to_location=to, unit_cost=Decimal(cost)
    )


def delivery(product: Product, source: int, quantity: str, key: str) -> MoveRequest:
    """Goods going out."""
    return MoveRequest("delivery", product.id, Decimal(quantity), key, from_location=source)


def ledger_sums(session: Session, product_id: int) -> dict[int, tuple[Decimal, Decimal]]:
    """Per location, the quantity and value the moves add up to."""
    sums: dict[int, tuple[Decimal, Decimal]] = {}
    moves = session.scalars(select(StockMove).where(StockMove.product_id == product_id))
    for move in moves:
        for place, sign in ((move.to_location_id, 1), (move.from_location_id, -1)):
            if place is not None:
                quantity, value = sums.get(place, (Decimal(0), Decimal(0)))
                sums[place] = (quantity + sign * move.quantity, value + sign * move.value)
    return sums


def balances(session: Session, product_id: int) -> dict[int, StockBalance]:
    """The balance rows of a product, by location."""
    rows = session.scalars(select(StockBalance).where(StockBalance.product_id == product_id))
    return {b.location_id: b for b in rows}

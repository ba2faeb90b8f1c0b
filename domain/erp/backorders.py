"""Backorders filled when stock arrives: what confirmed sales orders could not reserve is
reserved from goods coming into the order's location, oldest order first.

``post_move`` calls ``fill_backorders`` for every move that brings goods into a location
(receipts, returns, production output, transfers and count gains), in the same transaction and
under the balance lock it already holds, so no receiving code can forget it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from domain.erp.models import StockBalance
from domain.erp.sales_models import SalesDocument, SalesLine

OPEN_ORDER = ("confirmed", "partial")

# Built once, as the stock ledger's statements are (domain/erp/stock.py).
_WAITING_LINES = (
    select(SalesLine)
    .join(SalesDocument, SalesDocument.id == SalesLine.document_id)
    .where(
        SalesDocument.kind == "order",
        SalesDocument.status.in_(OPEN_ORDER),
        SalesDocument.location_id == bindparam("location_id"),
        SalesLine.product_id == bindparam("product_id"),
        SalesLine.quantity > SalesLine.reserved + SalesLine.delivered,
    )
    .order_by(SalesDocument.confirmed_at, SalesDocument.id, SalesLine.position)
    .with_for_update(of=SalesLine)
    .execution_options(populate_existing=True)
)


def fill_backorders(session: Session, balance: StockBalance, now: datetime) -> Decimal:
    """Reserve the balance's free stock for the backorders at its location, oldest confirmed
    order first; return how much was reserved. The caller holds the balance's lock."""
    free = balance.on_hand - balance.reserved
    if free <= 0:
        return Decimal(0)
    taken = Decimal(0)
    for line in _waiting_lines(session, balance.product_id, balance.location_id):
        short = line.quantity - line.reserved - line.delivered
        take = min(short, free - taken)
        if take <= 0:
            continue
        line.reserved += take
        taken += take
        if taken == free:
            break
    if taken:
        balance.reserved += taken
        session.flush()
    return taken


def _waiting_lines(session: Session, product_id: int, location_id: int) -> list[SalesLine]:
    """Lines of open orders at the location that still wait for this product, oldest first,
    locked and read afresh (their reserved quantity changes only under the balance lock)."""
    keys = {"product_id": product_id, "location_id": location_id}
    return list(session.scalars(_WAITING_LINES, keys))

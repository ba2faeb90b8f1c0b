"""Backorders filled when stock arrives: what confirmed sales orders could not reserve is
reserved from goods coming into the order's location, oldest order first.

``post_move`` calls ``fill_backorders`` for every move that brings goods into a location
(receipts, returns, production output, transfers and count gains), in the same transaction and
under the balance lock it already holds, so no receiving code can forget it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from domain.erp.models import StockBalance
from domain.erp.sales_models import SalesDocument, SalesLine

OPEN_ORDER = ("confirmed", "partial")

_LINES = cast(Table, SalesLine.__table__)
_DOCUMENTS = cast(Table, SalesDocument.__table__)
# Built once, as the stock ledger's statements are (domain/erp/stock.py). Most goods arrive
# where nothing waits: one Core query finds (and locks) the waiting lines, and the ORM loads
# them only when there are some.
_WAITING_LINE_IDS = (
    select(_LINES.c.id)
    .join(_DOCUMENTS, _DOCUMENTS.c.id == _LINES.c.document_id)
    .where(
        _DOCUMENTS.c.kind == "order",
        _DOCUMENTS.c.status.in_(OPEN_ORDER),
        _DOCUMENTS.c.location_id == bindparam("location_id"),
        _LINES.c.product_id == bindparam("product_id"),
        _LINES.c.quantity > _LINES.c.reserved + _LINES.c.delivered,
    )
    .order_by(_DOCUMENTS.c.confirmed_at, _DOCUMENTS.c.id, _LINES.c.position)
    .with_for_update(of=_LINES)
)
_LINES_BY_ID = (
    select(SalesLine)
    .where(SalesLine.id.in_(bindparam("ids", expanding=True)))
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
    session.flush()  # the Core query sees this transaction's changes
    keys = {"product_id": product_id, "location_id": location_id}
    ids = list(session.connection().execute(_WAITING_LINE_IDS, keys).scalars())
    if not ids:
        return []
    loaded = {line.id: line for line in session.scalars(_LINES_BY_ID, {"ids": ids})}
    return [loaded[line_id] for line_id in ids]

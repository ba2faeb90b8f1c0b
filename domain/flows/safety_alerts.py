"""Stock below safety → a card to the warehouse managers and the buyers, whose button drafts one
purchase request for the reorder quantity (issue 13 point 4).

The ERP records ``stock.below_safety`` once per breach (``domain.erp.safety``); this flow keeps
one ``SafetyAlert`` per event. Drafting locks the alert row, so a second tap, or a tap by the
other recipient, finds the request the first one drafted instead of raising another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.directory.services import holders_else_admins, list_members
from domain.directory.views import MemberView
from domain.erp.models import Product, SafetyWatch
from domain.erp.purchase_models import PurchaseRequest
from domain.erp.purchasing import Wanted, raise_request
from domain.erp.safety import BELOW_SAFETY
from domain.flows.models import SafetyAlert
from domain.shared.domain_events import DomainEvent
from domain.shared.errors import NotFound

CONSUMER = "erp.safety_stock_card"
EVENTS = frozenset({BELOW_SAFETY})


@dataclass(frozen=True, slots=True)
class Drafted:
    """The alert's purchase request, and whether this call drafted it."""

    request: PurchaseRequest
    product: Product
    new: bool


def alert_recipients(session: Session) -> list[MemberView]:
    """The warehouse managers (else the admins) and the buyers, each once."""
    managers = holders_else_admins(session, "warehouse", "manager")
    buyers = [m for m in list_members(session) if "purchasing" in m.roles]
    chosen = {m.id: m for m in [*managers, *buyers]}
    return list(chosen.values())


def still_below(session: Session, event: DomainEvent) -> bool:
    """Whether the event's breach is the product's current one (not over, not followed by
    another): a breach that ended before its event was consumed gets no card."""
    watch = session.get(SafetyWatch, event.payload["product_id"])
    breach = int(event.source_id.rsplit(":", 1)[1])
    return watch is not None and watch.alerted and watch.breaches == breach


def open_alert(session: Session, event: DomainEvent, now: datetime) -> bool:
    """Keep the breach's alert (True), or nothing if it is kept already (False)."""
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert_(SafetyAlert)
        .values(event_id=event.id, product_id=event.payload["product_id"], created_at=now)
        .on_conflict_do_nothing()
        .returning(SafetyAlert.event_id)
    )
    return result.first() is not None


def draft_request(
    session: Session, event_id: int, requester_id: int, reason: str, now: datetime
) -> Drafted:
    """The alert's purchase request for the product's reorder quantity: drafted now by the
    requester (``new``), or the one drafted before (whoever tapped first)."""
    alert = session.scalars(
        select(SafetyAlert)
        .where(SafetyAlert.event_id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if alert is None:
        raise NotFound("There is no such safety stock alert.")
    product = session.get_one(Product, alert.product_id)
    if alert.request_id is not None:
        return Drafted(session.get_one(PurchaseRequest, alert.request_id), product, new=False)
    quantity = reorder_quantity(product)
    request = raise_request(
        session, requester_id, [Wanted(product.id, quantity)], None, reason, now
    )
    alert.request_id = request.id
    session.flush()
    return Drafted(request, product, new=True)


def reorder_quantity(product: Product) -> Decimal:
    """The reorder quantity, else what brings available back to the safety stock (at least 1)."""
    if product.reorder_qty > 0:
        return product.reorder_qty
    return max(product.safety_stock, Decimal(1))

"""Purchase request approved → the buyers get it to order (issue 16 point 5).

The purchase approval records ``PurchaseRequested`` when a request is approved; the request's
own status used to turn ``approved`` only when the ERP next read it. This step makes it so at
once and names the suppliers a buyer can order from with one tap: those that quoted every
product (cheapest first), else the one supplier every product names as its default.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.models import Product
from domain.erp.purchase_models import PurchaseRequest, Supplier
from domain.erp.purchasing import compare, refresh_request, request_lines
from domain.erp.suppliers import supplier_of_product
from domain.shared.domain_events import DomainEvent


def approved_request(session: Session, event: DomainEvent) -> PurchaseRequest | None:
    """The purchase request an approval event approved, now ``approved`` (None: the approval
    was not a request's, or the request has moved on, e.g. ordered already)."""
    request = session.scalars(
        select(PurchaseRequest).where(PurchaseRequest.approval_id == int(event.payload["request"]))
    ).first()
    if request is None:
        return None
    return request if refresh_request(session, request) == "approved" else None


def suppliers_to_order_from(session: Session, request: PurchaseRequest) -> list[Supplier]:
    """Who can be ordered from at once: every supplier that quoted all of the request (cheapest
    first), else the default supplier all its products name."""
    quoted = [offer.supplier for offer in compare(session, request) if offer.complete]
    if quoted:
        return quoted
    products = [
        session.get_one(Product, line.product_id) for line in request_lines(session, request.id)
    ]
    named = {supplier_of_product(session, product) for product in products}
    only = named.pop() if len(named) == 1 else None
    return [only] if only is not None else []

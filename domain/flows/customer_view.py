"""What a customer's contacts who are chat guests may hear of their business (issue 16 point 3):
quote sent, order confirmed, shipped (with the tracking number), invoice, paid.

``guest_news`` is the one place that decides it: an event becomes news only as one of
``GUEST_KINDS``, and the news carries only the facts its kind allows (``ALLOWED_FACTS``), taken
from the customer's own documents. Costs, margins, notes and other customers are never among
them, whatever the event carries (a delivery's payload has the cost of each line).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.erp.sales import CONFIRMED, DELIVERED, QUOTED
from domain.finance.items_models import CUSTOMER, OpenItem
from domain.finance.open_items import INVOICE_PAID
from domain.flows.sales_steps import invoice_of
from domain.shared.domain_events import DomainEvent

QUOTE_SENT, ORDER_CONFIRMED, SHIPPED, INVOICE, PAID = (
    "quote_sent", "order_confirmed", "shipped", "invoice", "paid",
)  # fmt: skip
GUEST_KINDS = frozenset({QUOTE_SENT, ORDER_CONFIRMED, SHIPPED, INVOICE, PAID})
ALLOWED_FACTS: dict[str, frozenset[str]] = {
    QUOTE_SENT: frozenset({"quote", "lines"}),
    ORDER_CONFIRMED: frozenset({"order", "lines"}),
    SHIPPED: frozenset({"order", "lines", "tracking"}),
    INVOICE: frozenset({"document", "order", "amount", "currency", "due"}),
    PAID: frozenset({"document", "amount", "currency"}),
}


@dataclass(frozen=True, slots=True)
class GuestNews:
    """News a customer's guests may read: its kind, the customer, and the allowed facts."""

    kind: str
    customer_id: int
    reference: str  # the order or the invoice it is about
    facts: dict[str, str]
    invoice: OpenItem | None = None  # for the invoice's PDF


def guest_may_see(kind: str) -> bool:
    """Whether a kind of news may go to a customer's guests at all."""
    return kind in GUEST_KINDS


def guest_news(session: Session, event: DomainEvent) -> GuestNews | None:
    """What the customer's guests may be told of an event; None for anything else."""
    found = _news(session, event)
    if found is None or not guest_may_see(found.kind):
        return None
    allowed = ALLOWED_FACTS[found.kind]
    facts = {key: value for key, value in found.facts.items() if key in allowed}
    return GuestNews(found.kind, found.customer_id, found.reference, facts, found.invoice)


def _news(session: Session, event: DomainEvent) -> GuestNews | None:
    payload = event.payload
    if event.name == QUOTED:
        priced = ", ".join(
            f"{x['sku']} × {x['quantity']} @ {Decimal(x['unit_price']):,.2f} {payload['currency']}"
            for x in payload["lines"]
        )
        facts = {"quote": str(payload["quote"]), "lines": priced}
        return GuestNews(QUOTE_SENT, int(payload["customer_id"]), facts["quote"], facts)
    if event.name in (CONFIRMED, DELIVERED):
        kind = ORDER_CONFIRMED if event.name == CONFIRMED else SHIPPED
        facts = {"order": str(payload["order"]), "lines": _lines(payload["lines"])}
        if payload.get("tracking"):
            facts["tracking"] = str(payload["tracking"])
        return GuestNews(kind, int(payload["customer_id"]), facts["order"], facts)
    if event.name == INVOICE_PAID:
        facts = {
            "document": str(payload["document"]),
            "amount": f"{Decimal(str(payload['amount'])):,.2f}",
            "currency": str(payload["currency"]),
        }
        return GuestNews(PAID, int(payload["customer_id"]), facts["document"], facts)
    item = invoice_of(session, event)
    if item is None or item.party_kind != CUSTOMER:
        return None
    facts = {
        "document": item.document,
        "order": item.reference,
        "amount": f"{item.amount:,.2f}",
        "currency": item.currency,
        "due": item.due_on.isoformat(),
    }
    return GuestNews(INVOICE, item.party_id, item.document, facts, item)


def _lines(lines: list[dict[str, str]]) -> str:
    return ", ".join(f"{line['sku']} × {line['quantity']}" for line in lines)

"""What a customer's contacts who are chat guests may hear of their business (issue 16 point 3):
quote sent, order confirmed, shipped (with the tracking number), invoice, paid (``GUEST_KINDS``).

The ERP's commands tell a quotation (``/quote`` … "Send to customer") and a shipment (``/ship``)
themselves (``commands/erp/sales_news.py``), and the payment reminders an overdue invoice. The
rest comes from domain events, and ``guest_news`` decides it: an event becomes news only as one
of the kinds, carrying only the facts its kind allows (``ALLOWED_FACTS``), taken from the
customer's own documents. Costs, margins, notes and other customers are never among them,
whatever the event carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.erp.sales import CONFIRMED
from domain.finance.items_models import CUSTOMER, OpenItem
from domain.finance.open_items import INVOICE_PAID
from domain.flows.sales_steps import invoice_of
from domain.shared.domain_events import DomainEvent

QUOTE_SENT, ORDER_CONFIRMED, SHIPPED, INVOICE, PAID = (
    "quote_sent", "order_confirmed", "shipped", "invoice", "paid",
)  # fmt: skip
GUEST_KINDS = frozenset({QUOTE_SENT, ORDER_CONFIRMED, SHIPPED, INVOICE, PAID})
ALLOWED_FACTS: dict[str, frozenset[str]] = {  # of the kinds told from events
    ORDER_CONFIRMED: frozenset({"order"}),  # and its goods: products and quantities
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
    goods: tuple[tuple[int, str], ...] = ()  # product id, quantity: an order's lines
    invoice: OpenItem | None = None  # for the invoice's PDF


def guest_news(session: Session, event: DomainEvent) -> GuestNews | None:
    """What the customer's guests may be told of an event; None for anything else."""
    found = _news(session, event)
    if found is None or found.kind not in GUEST_KINDS:
        return None
    allowed = ALLOWED_FACTS.get(found.kind, frozenset())
    facts = {key: value for key, value in found.facts.items() if key in allowed}
    return GuestNews(
        found.kind, found.customer_id, found.reference, facts, found.goods, found.invoice
    )


def _news(session: Session, event: DomainEvent) -> GuestNews | None:
    payload = event.payload
    if event.name == CONFIRMED:
        goods = tuple((int(x["product_id"]), str(x["quantity"])) for x in payload["lines"])
        number = str(payload["order"])
        customer = int(payload["customer_id"])
        return GuestNews(ORDER_CONFIRMED, customer, number, {"order": number}, goods)
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
    return GuestNews(INVOICE, item.party_id, item.document, facts, invoice=item)

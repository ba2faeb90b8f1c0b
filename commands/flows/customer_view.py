"""The customer's filtered view (issue 16 point 3): each contact of the customer who is a chat
guest hears, in their own chat and language, that their order is confirmed, invoiced (with the
invoice as a PDF) and paid; what they may hear is decided in one place,
``domain.flows.customer_view.guest_news``. Quotations and shipments are told by the ERP's own
commands (``commands/erp/sales_news.py``). Consumer ``flows.customer_view``."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.context import SpeakingTo
from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Message, Reply
from commands.crm.reach import tell_contact
from commands.erp.cards import product_name
from domain.crm.customers import contacts_of
from domain.directory.services import get_org
from domain.erp.models import Product
from domain.erp.sales import CONFIRMED
from domain.finance.invoice_pdf import render_invoice
from domain.finance.open_items import INVOICE_PAID
from domain.finance.posting import ENTRY_POSTED
from domain.flows.consumers import Consumer
from domain.flows.customer_view import INVOICE, ORDER_CONFIRMED, PAID, GuestNews, guest_news
from domain.shared.domain_events import DomainEvent

TEXTS = {
    ORDER_CONFIRMED: _("{company}: your order {order} is confirmed: {goods}."),
    INVOICE: _(
        "{company}: invoice {document} for your order {order}, {amount} {currency}, "
        "is due on {due}. It is attached."
    ),
    PAID: _("{company}: thank you, invoice {document} ({amount} {currency}) is paid."),
}


def tell_customer(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """Tell the customer's guests what they may hear of this event (nothing else)."""
    news = guest_news(session, event)
    if news is None:
        return
    org = get_org(session)
    compose = _composer(session, news, org.name)
    for contact in contacts_of(session, news.customer_id):
        tell_contact(session, context.outbox, contact.id, compose, fallback_locale=org.locale,
                     subject=f"customer-view:{news.kind}:{news.reference}")  # fmt: skip


def _composer(session: Session, news: GuestNews, company: str) -> Callable[[str], Message]:
    def compose(locale: str) -> Message:
        goods = _goods(session, news, locale)
        text = t(locale, TEXTS[news.kind], company=company, goods=goods, **news.facts)
        reply = Reply(text)
        if news.kind == INVOICE and news.invoice is not None:
            pdf = render_invoice(session, news.invoice, company, locale)
            reply = reply.with_file(f"{news.invoice.document}.pdf", "application/pdf", pdf)
        return reply

    return compose


def _goods(session: Session, news: GuestNews, locale: str) -> str:
    """An order's goods as the customer reads them: name × quantity and unit."""
    reader = SpeakingTo(session, locale)
    joiner = "、" if locale.startswith("zh") else ", "
    said = []
    for product_id, quantity in news.goods:
        product = session.get_one(Product, product_id)
        said.append(f"{product_name(reader, product) or product.sku} × {quantity} {product.uom}")
    return joiner.join(said)


EVENTS = frozenset({CONFIRMED, ENTRY_POSTED, INVOICE_PAID})
FLOW_CONSUMERS: list[FlowConsumer] = [Consumer("flows.customer_view", EVENTS, tell_customer)]

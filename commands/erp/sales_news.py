"""Telling a customer of a shipment: every contact of the order's customer who is a chat guest
(``domain/crm/guests.py``) gets the order number, what was shipped and the tracking number, in
their own language, through the chat they use (``commands/crm/reach.tell_contact``)."""

from __future__ import annotations

from bot.context import CommandContext
from bot.i18n import _, t
from bot.replies import Reply
from commands.crm.reach import tell_contact
from domain.crm.customers import contacts_of
from domain.erp.models import Product
from domain.erp.sales_models import Delivery, SalesDocument
from domain.erp.sales_views import shipped_products
from domain.shared.quantity import plain

TRACKED = _("Your order {number} has shipped: {goods}. Tracking number: {tracking}.")
UNTRACKED = _("Your order {number} has shipped: {goods}.")


def tell_customer(ctx: CommandContext, order: SalesDocument, delivery: Delivery) -> int:
    """Tell the customer's guests of a delivery; returns how many contacts were told."""
    shipped = shipped_products(ctx.session, delivery.id)

    def compose(locale: str) -> Reply:
        joiner = "、" if locale.startswith("zh") else ", "
        goods = joiner.join(f"{_name(p, locale)} × {plain(q)} {p.uom}" for p, q in shipped)
        said = TRACKED if delivery.tracking else UNTRACKED
        text = t(locale, said, number=order.number, goods=goods, tracking=delivery.tracking)
        return Reply(text)

    told = 0
    for contact in contacts_of(ctx.session, order.customer_id):
        subject = f"erp_delivery:{delivery.id}:{contact.id}"
        if tell_contact(
            ctx.session, ctx.outbox, contact.id, compose, fallback_locale=ctx.org.locale,
            subject=subject,
        ):  # fmt: skip
            told += 1
    return told


def _name(product: Product, locale: str) -> str:
    first, second = (
        (product.name_zh, product.name_en)
        if locale.startswith("zh")
        else (product.name_en, product.name_zh)
    )
    return first or second or product.sku

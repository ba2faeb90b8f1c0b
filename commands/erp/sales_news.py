"""Telling a customer: every contact of the document's customer who is a chat guest
(``domain/crm/guests.py``) gets, in their own language through the chat they use
(``commands/crm/reach.tell_contact``), a quotation (each product's quantity, price and the date
it can ship, and the total: never costs or stock) or a shipment (what was shipped and the
tracking number)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from bot.context import CommandContext
from bot.i18n import _, t
from bot.replies import Reply
from commands.crm.reach import tell_contact
from domain.crm.customers import contacts_of
from domain.erp.models import Product
from domain.erp.sales_models import Delivery, SalesDocument
from domain.erp.sales_views import lines_with_products, shipped_products, totals
from domain.shared.quantity import plain

QUOTED = _("Quotation {number} from {company}:")
QUOTED_LINE = _("{name} × {qty} {uom} at {price} {currency}, tax {rate}%: can ship on {day}")
QUOTED_TOTAL = _("Total {total} {currency} including tax.")
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

    return _tell_guests(ctx, order.customer_id, compose, f"erp_delivery:{delivery.id}")


def tell_quote(ctx: CommandContext, quote: SalesDocument, days: Sequence[date]) -> int:
    """Send a quotation to the customer's guests (``days``: each line's ship date, in line
    order); returns how many contacts were told."""
    rows = lines_with_products(ctx.session, quote.id)
    gross = totals([line for line, _product in rows]).gross

    def compose(locale: str) -> Reply:
        said = [t(locale, QUOTED, number=quote.number, company=ctx.org.name)]
        said += [
            t(
                locale,
                QUOTED_LINE,
                name=_name(product, locale),
                qty=plain(line.quantity),
                uom=product.uom,
                price=plain(line.unit_price),
                currency=quote.currency,
                rate=plain(line.tax_rate * 100),
                day=day.isoformat(),
            )
            for (line, product), day in zip(rows, days, strict=True)
        ]
        said.append(t(locale, QUOTED_TOTAL, total=f"{gross:.2f}", currency=quote.currency))
        return Reply("\n".join(said))

    return _tell_guests(ctx, quote.customer_id, compose, f"erp_quote:{quote.id}")


def _tell_guests(
    ctx: CommandContext, customer_id: int, compose: Callable[[str], Reply], about: str
) -> int:
    """Send ``compose(locale)`` to each contact of a customer who chats with us (a subject per
    contact: ``about:CONTACT``); how many were told."""
    told = 0
    for contact in contacts_of(ctx.session, customer_id):
        if tell_contact(
            ctx.session, ctx.outbox, contact.id, compose, fallback_locale=ctx.org.locale,
            subject=f"{about}:{contact.id}",
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

"""How quotations and orders look in chat: a document's card (its lines with what is reserved,
backordered and delivered, its totals, and buttons to confirm, accept or cancel), and list lines;
every label in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Action, Button, Card, CardStatus, Field
from commands.erp.cards import product_name
from domain.erp.models import Product
from domain.erp.sales_events import backordered
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.erp.sales_views import lines_with_products, totals
from domain.shared.quantity import plain

CONFIRM_ACTION = "erp.order.confirm"
CANCEL_ACTION = "erp.order.cancel"
ACCEPT_ACTION = "erp.quote.accept"
SEND_ACTION = "erp.quote.send"
STATUS_LABELS = {
    "open": _("awaiting the customer"),
    "accepted": _("accepted"),
    "draft": _("draft"),
    "confirmed": _("confirmed"),
    "partial": _("partly delivered"),
    "delivered": _("fully delivered"),
    "cancelled": _("cancelled"),
}


def document_title(ctx: CommandContext, document: SalesDocument) -> str:
    """``Order SO2026-00001 · Acme · confirmed``."""
    kind = _("Order") if document.kind == "order" else _("Quotation")
    status = ctx.t(STATUS_LABELS[document.status])
    return f"{ctx.t(kind)} {document.number} · {document.customer_name} · {status}"


def document_card(ctx: CommandContext, document: SalesDocument, headline: str = "") -> Card:
    """A quotation or an order: its lines, totals, and what may be done with it."""
    rows = lines_with_products(ctx.session, document.id)
    body = "\n".join(_line(ctx, document, line, product) for line, product in rows)
    sums = totals([line for line, _product in rows])
    fields = [
        Field(ctx.t(_("Net")), f"{sums.net:.2f} {document.currency}"),
        Field(ctx.t(_("Tax")), f"{sums.tax:.2f} {document.currency}"),
        Field(ctx.t(_("Total")), f"{sums.gross:.2f} {document.currency}"),
    ]
    if document.wanted_on is not None:
        fields.append(Field(ctx.t(_("Wanted by")), document.wanted_on.isoformat()))
    return Card(
        title=document_title(ctx, document),
        body="\n".join(x for x in (headline, body) if x),
        fields=tuple(fields),
        status=_status(document),
        buttons=_buttons(ctx, document),
    )


def documents_card(ctx: CommandContext, title: str, documents: Sequence[SalesDocument]) -> Card:
    """Quotations and orders, one line each."""
    lines = [document_title(ctx, d) for d in documents]
    return Card(title=title, body="\n".join(lines) or ctx.t(_("Nothing found.")))


def _line(ctx: CommandContext, document: SalesDocument, line: SalesLine, product: Product) -> str:
    head = ctx.t(
        _("{position}. {sku} {name} × {qty} {uom} at {price} · tax {rate}%"),
        position=line.position,
        sku=product.sku,
        name=product_name(ctx, product),
        qty=plain(line.quantity),
        uom=product.uom,
        price=plain(line.unit_price),
        rate=plain(line.tax_rate * 100),
    )
    if document.kind != "order" or document.status == "draft":
        return head
    state = ctx.t(
        _("reserved {reserved}, backordered {waiting}, delivered {delivered}"),
        reserved=plain(line.reserved),
        waiting=plain(backordered(line)) if document.status != "cancelled" else "0",
        delivered=plain(line.delivered - line.returned),
    )
    return f"{head}\n    {state}"


def _status(document: SalesDocument) -> CardStatus:
    if document.status == "cancelled":
        return CardStatus.DANGER
    if document.status in ("delivered", "accepted"):
        return CardStatus.SUCCESS
    return CardStatus.PENDING if document.status in ("open", "draft") else CardStatus.INFO


def _buttons(ctx: CommandContext, document: SalesDocument) -> tuple[Button, ...]:
    target = str(document.id)
    zh = ctx.locale.startswith("zh")
    word = "/订单" if zh else "/order"
    quote = "/报价" if zh else "/quote"
    buttons: list[Button] = []
    if document.status == "open":
        buttons.append(
            Button(
                ctx.t(_("Send to customer")),
                Action(SEND_ACTION, target),
                command=f"{quote} {'发送' if zh else 'send'} {document.number}",
            )
        )
        buttons.append(
            Button(
                ctx.t(_("Make it an order")),
                Action(ACCEPT_ACTION, target),
                command=f"{quote} {'下单' if zh else 'order'} {document.number}",
            )
        )
    if document.status == "draft":
        buttons.append(
            Button(
                ctx.t(_("Confirm")),
                Action(CONFIRM_ACTION, target),
                command=f"{word} {'确认' if zh else 'confirm'} {document.number}",
            )
        )
    if document.status in ("open", "draft", "confirmed", "partial"):
        buttons.append(
            Button(
                ctx.t(_("Cancel")),
                Action(CANCEL_ACTION, target),
                command=f"{word if document.kind == 'order' else quote} "
                f"{'取消' if zh else 'cancel'} {document.number}",
            )
        )
    return tuple(buttons)

"""What the purchasing commands show: a supplier with its scorecard, a purchase request, an
order, and the comparison of quotes with a button per supplier; every label in the reader's
language."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.context import CommandContext, Speaking
from bot.i18n import _
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Field
from commands.erp.cards import product_name
from commands.erp.purchase_lines import rate_text, typed_as
from domain.erp.models import Product, Warehouse
from domain.erp.purchase_models import PurchaseOrder, PurchaseRequest, Supplier
from domain.erp.purchasing import Offer, order_lines, order_of_request, request_lines
from domain.erp.receiving import open_quantity
from domain.erp.suppliers import Scorecard
from domain.shared.quantity import plain

PICK_ACTION = "erp.po.pick"
REQUEST_STATUS = {
    "pending": _("waiting for approval"),
    "approved": _("approved"),
    "ordered": _("ordered"),
    "rejected": _("approval rejected"),
    "withdrawn": _("approval withdrawn"),
    "returned": _("returned for changes"),
}
ORDER_STATUS = {"open": _("awaiting goods"), "received": _("received in full")}


def supplier_card(
    ctx: CommandContext,
    supplier: Supplier,
    score: Scorecard,
    title: str = "",
    status: CardStatus = CardStatus.INFO,
) -> Card:
    """A supplier's details and its scorecard."""
    rows = (
        (_("Contacts"), supplier.contacts),
        (_("Payment terms"), supplier.payment_terms),
        (_("Lead time"), ctx.t(_("{days} days"), days=supplier.lead_days)),
        (_("Currency"), supplier.currency),
        (_("Status"), ctx.t(_("active") if supplier.active else _("inactive"))),
        (_("Receipts"), str(score.receipts)),
        (_("On time"), rate_text(ctx, score.on_time_rate)),
        (_("Accepted"), rate_text(ctx, score.acceptance_rate)),
    )
    return Card(
        title=title or supplier.name,
        fields=tuple(Field(ctx.t(label), value) for label, value in rows if value),
        status=status,
    )


def request_card(ctx: Speaking, request: PurchaseRequest, approval_status: str = "") -> Card:
    """A purchase request: its lines, estimate, status (its approval's, while that is rejected,
    withdrawn or returned) and, once ordered, its order."""
    session = ctx.session
    lines = [
        _line_text(ctx, session, line.product_id, line.quantity)
        for line in request_lines(session, request.id)
    ]
    order = order_of_request(session, request.id)
    rows = (
        (_("Status"), ctx.t(REQUEST_STATUS[approval_status or request.status])),
        (_("Estimated total"), plain(request.amount)),
        (_("Needed by"), request.needed_by.isoformat() if request.needed_by else ""),
        (_("Reason"), request.reason),
        (_("Approval"), f"#{request.approval_id}" if request.approval_id else ""),
        (_("Purchase order"), order.number if order else ""),
    )
    return Card(
        title=ctx.t(_("Purchase request {number}"), number=request.number),
        body="\n".join(lines),
        fields=tuple(Field(ctx.t(label), value) for label, value in rows if value),
    )


def order_card(
    ctx: CommandContext, order: PurchaseOrder, title: str = "", status: CardStatus = CardStatus.INFO
) -> Card:
    """A purchase order: supplier, warehouse, expected day, and each line's price and progress."""
    session = ctx.session
    supplier = session.get_one(Supplier, order.supplier_id)
    warehouse = session.get_one(Warehouse, order.warehouse_id)
    lines = [
        ctx.t(
            _("{line} at {price}: {accepted} accepted, {rejected} rejected, {open} open"),
            line=_line_text(ctx, session, line.product_id, line.quantity),
            price=f"{plain(line.unit_price)} {order.currency}",
            accepted=plain(line.accepted),
            rejected=plain(line.rejected),
            open=plain(open_quantity(line)),
        )
        for line in order_lines(session, order.id)
    ]
    rows = (
        (_("Supplier"), supplier.name),
        (_("Warehouse"), f"{warehouse.code} {warehouse.name}".strip()),
        (_("Expected"), order.expected_on.isoformat()),
        (_("Status"), ctx.t(ORDER_STATUS.get(order.status, order.status))),
    )
    return Card(
        title=title or ctx.t(_("Purchase order {number}"), number=order.number),
        body="\n".join(lines),
        fields=tuple(Field(ctx.t(label), value) for label, value in rows),
        status=status,
    )


def compare_card(ctx: CommandContext, request: PurchaseRequest, offers: Sequence[Offer]) -> Card:
    """Each supplier's price, lead time, on-time and acceptance rates side by side, with a
    button per quoted supplier that orders from it."""
    rows = [Field(o.supplier.name, _offer_text(ctx, o)) for o in offers]
    buttons = tuple(
        Button(
            ctx.t(_("Order from {name}"), name=o.supplier.name),
            Action(PICK_ACTION, str(request.id), {"supplier": o.supplier.id}),
            ButtonStyle.PRIMARY if i == 0 else ButtonStyle.DEFAULT,
            command=typed_as(ctx, "po", request.number, o.supplier.name),
        )
        for i, o in enumerate(offers)
        if o.complete
    )
    return Card(
        title=ctx.t(_("Quotes for {number}"), number=request.number),
        body="" if offers else ctx.t(_("No quotes yet.")),
        fields=tuple(rows),
        buttons=buttons,
    )


def _offer_text(ctx: CommandContext, offer: Offer) -> str:
    price = (
        ctx.t(_("{total} {currency}"), total=plain(offer.total), currency=offer.supplier.currency)
        if offer.total is not None
        else ctx.t(_("not quoted yet"))
    )
    if offer.total is not None and not offer.complete:
        price = ctx.t(_("{price} (not every product quoted)"), price=price)
    lead = ctx.t(_("{days} days"), days=offer.lead_days) if offer.lead_days is not None else "—"
    return ctx.t(
        _("{price} · lead time {lead} · on time {on_time} · accepted {accepted}"),
        price=price,
        lead=lead,
        on_time=rate_text(ctx, offer.score.on_time_rate),
        accepted=rate_text(ctx, offer.score.acceptance_rate),
    )


def _line_text(ctx: Speaking, session: Session, product_id: int, quantity: Decimal) -> str:
    product = session.get_one(Product, product_id)
    return f"{product.sku} {product_name(ctx, product)} × {plain(quantity)} {product.uom}"

"""The sales flow after the order, announced in the deal's room (``commands/flows/deal_rooms``):
shipped (with the tracking number), invoiced, a payment reminder due, paid; and a cancelled
order, which stops the flow and says what was undone. One consumer, ``flows.sales.after``;
the reminder is said by the payment reminders' timer (``commands/finance/reminders.py``).
The logic: ``domain/flows/sales_steps.py``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Card, CardStatus
from commands.flows import deal_rooms
from domain.erp.sales import CANCELLED, DELIVERED
from domain.finance.items_models import OpenItem
from domain.finance.open_items import INVOICE_PAID
from domain.finance.posting import ENTRY_POSTED
from domain.flows import rooms, sales_steps
from domain.flows.consumers import Consumer
from domain.flows.payment_reminders import Due
from domain.shared.domain_events import DomainEvent


def after_the_order(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """Move the order's run on and say the step in its room (nothing for orders outside the
    flow)."""
    payload = event.payload
    if event.name == DELIVERED:
        moved = sales_steps.step(session, str(payload["order"]), "delivered", payload, context.now)
        if moved is not None:
            _say(context, moved, _shipped(context, moved), "shipped")
    elif event.name == CANCELLED:
        moved = sales_steps.step(session, str(payload["order"]), "cancelled", payload, context.now)
        if moved is not None:
            _cancelled(context, moved)
    elif event.name == INVOICE_PAID:
        moved = sales_steps.step(session, str(payload["reference"]), "paid", payload, context.now)
        if moved is not None:
            _say(context, moved, _paid(context, moved), "paid")
    else:
        _invoiced_step(session, event, context)


def _invoiced_step(session: Session, event: DomainEvent, context: FlowContext) -> None:
    item = sales_steps.invoice_of(session, event)
    if item is None:
        return
    moved = sales_steps.step(session, item.reference, "invoiced", {}, context.now)
    if moved is not None:
        _say(context, moved, _invoiced(context, moved, item), f"invoice:{item.id}")


def _say(context: FlowContext, moved: sales_steps.Step, card: Card, what: str) -> None:
    run = moved.run
    deal_rooms.tell(context, run.deal_id, run.owner_id, card,
                    subject=f"sales-run:{run.deal_id}:{what}")  # fmt: skip


def _locale(context: FlowContext, moved: sales_steps.Step) -> str:
    return deal_rooms.room_locale(context, moved.run.deal_id, moved.run.owner_id)


def _shipped(context: FlowContext, moved: sales_steps.Step) -> Card:
    locale, payload = _locale(context, moved), moved.payload
    lines = payload.get("lines")
    items = lines if isinstance(lines, list) else []
    shipped = ", ".join(f"{x['sku']} × {x['quantity']}" for x in items)
    title = t(locale, _("Order {number} was shipped: {lines}."), number=moved.order, lines=shipped)
    tracking = str(payload.get("tracking") or "")
    body = t(locale, _("Tracking number: {tracking}."), tracking=tracking) if tracking else ""
    return Card(title, body, status=CardStatus.SUCCESS)


def _invoiced(context: FlowContext, moved: sales_steps.Step, item: OpenItem) -> Card:
    title = t(
        _locale(context, moved),
        _("Invoice {document} for order {number}: {amount} {currency}, due on {due}."),
        document=item.document, number=moved.order, amount=f"{item.amount:,.2f}",
        currency=item.currency, due=item.due_on.isoformat(),
    )  # fmt: skip
    return Card(title, status=CardStatus.INFO)


def _paid(context: FlowContext, moved: sales_steps.Step) -> Card:
    payload = moved.payload
    title = t(
        _locale(context, moved),
        _("Invoice {document} for order {number} is paid."),
        document=payload["document"], number=moved.order,
    )  # fmt: skip
    return Card(title, status=CardStatus.SUCCESS)


def _cancelled(context: FlowContext, moved: sales_steps.Step) -> None:
    run, payload, locale = moved.run, moved.payload, _locale(context, moved)
    title = t(locale, _("Order {number} was cancelled: the flow for deal #{deal} stopped."),
              number=moved.order, deal=run.deal_id)  # fmt: skip
    released = _quantities(payload.get("released"))
    delivered = _quantities(payload.get("delivered"))
    undone = (
        t(locale, _("Released from reservation: {items}."), items=released)
        if released
        else t(locale, _("Nothing was reserved for it."))
    )
    kept = t(locale, _("Delivered before, and not undone: {items}."), items=delivered)
    card = Card(title, " ".join([undone, *([kept] if delivered else [])]), status=CardStatus.DANGER)
    _say(context, moved, card, "cancelled")
    room = rooms.room_of(context.session, run.deal_id)
    if room is not None and room.status != rooms.DIRECT:  # the owner hears it in person too
        context.notify(run.owner_id, card, subject=f"sales-run:{run.deal_id}:cancelled")


def _quantities(found: object) -> str:
    if not isinstance(found, dict):
        return ""
    return ", ".join(f"{sku} × {quantity}" for sku, quantity in found.items())


def remind_in_room(context: FlowContext, due: Due) -> None:
    """A payment reminder fell due: say it in the room of the flow that made the invoice."""
    run = sales_steps.run_of_order(context.session, due.item.reference)
    if run is None:
        return
    item = due.item
    title = t(
        deal_rooms.room_locale(context, run.deal_id, run.owner_id),
        _("Invoice {document} for order {number} is {days} days overdue: {amount} {currency} "
          "is open."),
        document=item.document, number=item.reference, days=due.days_late,
        amount=f"{item.open_amount:,.2f}", currency=item.currency,
    )  # fmt: skip
    deal_rooms.announce(context, run.deal_id, Card(title, status=CardStatus.WARNING),
                        subject=f"sales-run:{run.deal_id}:overdue:{item.id}")  # fmt: skip


EVENTS = frozenset({DELIVERED, CANCELLED, INVOICE_PAID, ENTRY_POSTED})
FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer("flows.sales.after", EVENTS, after_the_order),
]

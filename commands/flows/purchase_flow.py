"""Purchase request approved → each buyer gets it with a button per supplier to order from
(``flows.purchase.approved``, issue 16 point 5). The buttons are the comparison card's own
(``erp.po.pick``): the first tap places the order, a second tap or another buyer's shows it."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from bot.context import SpeakingTo
from bot.i18n import _
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus
from commands.erp.purchase_cards import PICK_ACTION, request_card
from domain.directory.services import holders_else_admins
from domain.directory.views import MemberView
from domain.erp.purchase_models import PurchaseRequest, Supplier
from domain.erp.purchasing import APPROVED_EVENT
from domain.flows import purchase_flow
from domain.flows.consumers import Consumer
from domain.shared.domain_events import DomainEvent


def tell_buyers(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """The approved request, to each buyer, with its one-tap orders."""
    request = purchase_flow.approved_request(session, event)
    if request is None:
        return
    suppliers = purchase_flow.suppliers_to_order_from(session, request)
    for buyer in buyers(session):
        card = approved_card(SpeakingTo(session, buyer.locale), request, suppliers)
        context.notify(buyer.id, card, subject=f"erp-pr-approved:{request.id}")


def approved_card(reader: SpeakingTo, request: PurchaseRequest, suppliers: list[Supplier]) -> Card:
    """The request's card, titled for the buyer, with a button per supplier to order from."""
    shown = request_card(reader, request)
    buttons = tuple(
        Button(
            reader.t(_("Order from {name}"), name=supplier.name),
            Action(PICK_ACTION, str(request.id), {"supplier": supplier.id}),
            ButtonStyle.PRIMARY if i == 0 else ButtonStyle.DEFAULT,
        )
        for i, supplier in enumerate(suppliers)
    )
    footer = (
        ""
        if buttons
        else reader.t(
            _("No supplier quoted all of it yet: ask with /rfq {number}."), number=request.number
        )
    )
    title = reader.t(_("Purchase request {number} is approved: order it"), number=request.number)
    return replace(shown, title=title, buttons=buttons, footer=footer, status=CardStatus.SUCCESS)


def buyers(session: Session) -> list[MemberView]:
    """Who buys: the members with the purchasing role, else the admins."""
    return holders_else_admins(session, "purchasing")


FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer("flows.purchase.approved", frozenset({APPROVED_EVENT}), tell_buyers)
]

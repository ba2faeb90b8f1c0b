"""The safety-stock card: the consumer of ``stock.below_safety`` that tells the warehouse
managers and the buyers, each in their language, and its button "Draft purchase request", which
raises one request for the reorder quantity and submits it to the purchase approval as ``/pr``
does (a second tap, or the other recipient's, shows that same request)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.context import CommandContext
from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Field, Message, Reply
from bot.router import ActionSpec, Router
from commands.erp.purchase_requests import submit_for_approval
from domain.erp.models import Product
from domain.flows import safety_alerts
from domain.flows.consumers import Consumer
from domain.shared.domain_events import DomainEvent, event_by_id
from domain.shared.quantity import plain

DRAFT_ACTION = "erp.safety.draft"


def alert(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """One card per recipient for a breach (kept once, so a replay sends nothing more); none
    for a breach that is over already."""
    if not safety_alerts.still_below(session, event):
        return
    if not safety_alerts.open_alert(session, event, context.now):
        return
    product = session.get_one(Product, event.payload["product_id"])
    for member in safety_alerts.alert_recipients(session):
        card = safety_card(member.locale, event, product)
        context.notify(member.id, card, subject=_subject(event.id, member.locale))


def safety_card(
    locale: str, event: DomainEvent, product: Product, drafted: tuple[str, str] | None = None
) -> Card:
    """What the warehouse manager and the buyer read about a breach (once a request is drafted:
    who drafted which, and no button)."""
    payload = event.payload
    uom = product.uom
    supplier = payload.get("default_supplier") or t(locale, _("none set"))
    return Card(
        title=t(locale, _("Below safety stock: {sku} {name}"), sku=product.sku,
                name=_name(locale, product)),
        body=_body(locale, drafted),
        fields=(
            Field(t(locale, _("Available")), f"{payload['available']} {uom}"),
            Field(t(locale, _("Safety stock")), f"{payload['safety_stock']} {uom}"),
            Field(t(locale, _("Reorder quantity")), f"{_reorder(product)} {uom}"),
            Field(t(locale, _("Default supplier")), supplier),
        ),
        buttons=() if drafted else (
            Button(
                t(locale, _("Draft purchase request")),
                Action(DRAFT_ACTION, str(event.id)),
                ButtonStyle.PRIMARY,
            ),
        ),
        status=CardStatus.SUCCESS if drafted else CardStatus.WARNING,
    )  # fmt: skip


def draft_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Draft the breach's purchase request and submit it for approval, once."""
    reason = ctx.t(_("Below safety stock (alert {id})"), id=target)
    drafted = safety_alerts.draft_request(ctx.session, int(target), ctx.actor.id, reason, ctx.now)
    if drafted.new:
        quantity = safety_alerts.reorder_quantity(drafted.product)
        submit_for_approval(ctx, drafted.request, drafted.product, quantity)
        _show_drafted(ctx, int(target), drafted.product, drafted.request.number)
        return None
    return Reply(
        ctx.t(
            _("Purchase request {number} was already drafted for this alert (/pr show {number})."),
            number=drafted.request.number,
        )
    )


def _show_drafted(ctx: CommandContext, event_id: int, product: Product, number: str) -> None:
    """Every copy of the alert's card, in its reader's language, says who drafted which."""
    event = event_by_id(ctx.session, event_id)
    locales = {m.locale for m in safety_alerts.alert_recipients(ctx.session)} | {ctx.locale}
    for locale in sorted(locales):
        card = safety_card(locale, event, product, (ctx.actor.name, number))
        ctx.update_cards(_subject(event_id, locale), card)


def _body(locale: str, drafted: tuple[str, str] | None) -> str:
    if drafted is None:
        return t(locale, _("Available stock fell below the safety stock; reorder soon."))
    name, number = drafted
    return t(
        locale,
        _("{name} drafted purchase request {number}; it waits for approval."),
        name=name,
        number=number,
    )


def _subject(event_id: int, locale: str) -> str:
    """The copies of one alert's card in one language (edited together)."""
    return f"safety:{event_id}:{locale}"


def _reorder(product: Product) -> str:
    return plain(safety_alerts.reorder_quantity(product))


def _name(locale: str, product: Product) -> str:
    first, second = (
        (product.name_zh, product.name_en)
        if locale.startswith("zh")
        else (product.name_en, product.name_zh)
    )
    return first or second


FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer(safety_alerts.CONSUMER, safety_alerts.EVENTS, alert),
]


def register(router: Router) -> None:
    """Register the card's button (a used button answers with the request it drafted)."""
    router.add_action(ActionSpec(DRAFT_ACTION, draft_button, on_stale=draft_button))

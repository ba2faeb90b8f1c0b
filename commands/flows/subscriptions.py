"""/subscribe (/订阅), /subscriptions, /unsubscribe (/退订): a conversation hears of business
events whose condition holds, a card per event; and the consumer that sends those cards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog
from babel.numbers import format_currency, format_decimal
from pydantic import BaseModel
from pydantic import Field as ArgField
from sqlalchemy.orm import Session

from bot.context import CommandContext
from bot.events import Address
from bot.i18n import _, normalise_locale, t
from bot.parsing import ArgumentError, record_number
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Card, CardStatus, Field, Message
from bot.router import CommandSpec, Router
from domain.flows import subscriptions as subs
from domain.flows.consumers import Consumer
from domain.flows.models import Subscription
from domain.shared.domain_events import DomainEvent
from domain.shared.errors import DomainError, Forbidden

log = structlog.get_logger(__name__)
CONSUMER = "flows.subscriptions"

TOPIC_TITLES = {
    "deal.won": _("Deal won"),
    "stock.below_safety": _("Below safety stock"),
    "approval.approved": _("Approval approved"),
    "approval.rejected": _("Approval rejected"),
    "order.confirmed": _("Sales order confirmed"),
    "order.delivered": _("Sales order shipped"),
    "goods.received": _("Goods received"),
}
FIELD_LABELS = {
    "deal": _("Deal"), "amount": _("Amount"), "currency": _("Currency"),
    "customer": _("Customer"), "owner": _("Owner"), "department": _("Department"),
    "sku": _("Product"), "available": _("Available"), "safety_stock": _("Safety stock"),
    "supplier": _("Supplier"), "request": _("Request"), "template": _("Form"),
    "initiator": _("Applicant"), "order": _("Order"), "tracking": _("Tracking number"),
    "skus": _("Products"), "on_time": _("On time"),
}  # fmt: skip
EXAMPLE = _("/subscribe deal.won amount > 100000")


class SubscribeArgs(BaseModel):
    """``/subscribe TOPIC [CONDITION]``; with nothing, the topics."""

    rest: str = ArgField(default="", description=_("details"), json_schema_extra={"rest": True})


def _where(ctx: CommandContext) -> subs.Where:
    address = ctx.event.address
    return subs.Where(address.channel, address.workspace, address.conversation)


def subscribe(ctx: CommandContext, _args: SubscribeArgs) -> Message:
    """Subscribe this conversation to a topic, with an optional condition."""
    word, _sep, condition = ctx.typed.strip().partition(" ")
    if not word:
        return _topics(ctx)
    topic = subs.topic_named(word)
    if not ctx.may(topic.permission):
        log.warning("refused.permission", member=ctx.actor.handle, command="subscribe",
                    topic=topic.name)  # fmt: skip
        raise Forbidden("You may not read what {topic} tells, so you cannot subscribe to it.",
                        topic=ctx.t(TOPIC_TITLES[topic.name]))  # fmt: skip
    try:
        row = subs.subscribe(
            ctx.session, topic, condition, _where(ctx), ctx.actor.id, ctx.locale, ctx.now
        )
    except subs.ConditionRefused as refused:
        raise DomainError(
            "{problem} A condition on {topic} may use: {fields}.",
            problem=ctx.t(refused.message, **refused.params),
            topic=ctx.t(TOPIC_TITLES[topic.name]),
            fields=_fields_of(ctx.locale, topic),
        ) from None
    return Card(
        title=ctx.t(_("Subscribed (#{id}): {topic}"), id=row.id,
                    topic=ctx.t(TOPIC_TITLES[topic.name])),
        body=_condition_line(ctx.locale, row),
        footer=ctx.t(_("Stop with /unsubscribe {id}"), id=row.id),
        status=CardStatus.SUCCESS,
    )  # fmt: skip


def _topics(ctx: CommandContext) -> Card:
    chinese = ctx.locale.startswith("zh")
    lines = [
        ctx.t(
            _("{topic}: {title} ({fields})"),
            topic=subs.TOPIC_WORD_OF[name] if chinese else name,
            title=ctx.t(TOPIC_TITLES[name]),
            fields=_fields_of(ctx.locale, topic),
        )
        for name, topic in subs.TOPICS.items()
    ]
    return Card(
        title=ctx.t(_("Topics you can subscribe this conversation to")),
        body="\n".join(lines),
        footer=ctx.t(_("For example: {example}"), example=ctx.t(EXAMPLE)),
    )


def _fields_of(locale: str, topic: subs.Topic) -> str:
    """The names a condition on the topic may use, as the reader writes them."""
    if locale.startswith("zh"):
        return "、".join(subs.FIELD_WORD_OF[name] for name in topic.fields)
    return ", ".join(topic.fields)


def _condition_line(locale: str, row: Subscription) -> str:
    if not row.condition:
        return t(locale, _("Every event, without a condition."))
    return t(locale, _("When: {condition}"), condition=row.wording)


def listed(ctx: CommandContext, _args: SubscribeArgs) -> Message:
    """This conversation's subscriptions."""
    rows = subs.subscriptions_of(ctx.session, _where(ctx))
    if not rows:
        return Card(
            title=ctx.t(_("This conversation has no subscriptions.")),
            footer=ctx.t(_("For example: {example}"), example=ctx.t(EXAMPLE)),
        )
    lines = [
        f"#{row.id} {ctx.t(TOPIC_TITLES[row.topic])}"
        + (f" — {row.wording}" if row.condition else "")
        for row in rows
    ]
    return Card(
        title=ctx.t(_("Subscriptions of this conversation ({count})"), count=len(rows)),
        body="\n".join(lines),
    )


def unsubscribe(ctx: CommandContext, _args: SubscribeArgs) -> Message:
    """End one of this conversation's subscriptions, by its number."""
    number = record_number(ctx.typed)
    if number is None:
        raise ArgumentError("Say which subscription, like this: {example}",
                            example="/unsubscribe 3")  # fmt: skip
    row = subs.unsubscribe(ctx.session, number, _where(ctx))
    return Card(
        title=ctx.t(_("Subscription #{id} ended: {topic}"), id=row.id,
                    topic=ctx.t(TOPIC_TITLES[row.topic])),
        status=CardStatus.SUCCESS,
    )  # fmt: skip


def announce(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """One card to each conversation whose subscription holds for the event."""
    for match in subs.matches(session, event):
        row = match.subscription
        address = Address(row.channel, row.conversation, row.workspace)
        card = event_card(row.locale, match)
        context.outbox.send(
            address, card, recipient_id=None, subject=f"subscription:{row.id}:{event.id}"
        )


def event_card(locale: str, match: subs.Match) -> Card:
    """What a subscribed conversation reads about one event, in the subscriber's language."""
    row = match.subscription
    fields = tuple(
        Field(t(locale, FIELD_LABELS[name]), _shown(locale, name, match.fields))
        for name in match.topic.fields
        if match.fields.get(name) not in (None, "", [])
    )
    return Card(
        title=t(locale, TOPIC_TITLES[row.topic]),
        fields=fields,
        footer=t(locale, _("Subscription #{id} (/unsubscribe {id})"), id=row.id),
    )


def _shown(locale: str, name: str, fields: subs.Fields) -> str:
    value: Any = fields[name]
    if isinstance(value, bool):
        return t(locale, _("yes")) if value else t(locale, _("no"))
    if isinstance(value, Decimal) and name == "amount" and fields.get("currency"):
        return format_currency(value, fields["currency"], locale=normalise_locale(locale))
    if isinstance(value, Decimal):
        return format_decimal(value, locale=normalise_locale(locale))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


FLOW_CONSUMERS: list[FlowConsumer] = [Consumer(CONSUMER, subs.EVENT_NAMES, announce)]


def register(router: Router) -> None:
    """Register the subscription commands."""
    for name, handler, aliases, summary in (
        ("subscribe", subscribe, ("订阅",), _("Tell this conversation of business events")),
        ("subscriptions", listed, ("订阅列表",), _("This conversation's subscriptions")),
        ("unsubscribe", unsubscribe, ("退订", "取消订阅"), _("End a subscription")),
    ):
        router.add(
            CommandSpec(
                name=name,
                summary=summary,
                handler=handler,
                args=SubscribeArgs,
                aliases=aliases,
                examples=(EXAMPLE,) if name == "subscribe" else (),
            )
        )

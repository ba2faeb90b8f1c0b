"""Subscriptions: a conversation hears of a kind of business event when a condition holds
(``/subscribe deal.won amount > 100000``, issue 16 point 4).

A **topic** is what people subscribe to: a name (``deal.won``), the domain events behind it, the
fields its condition may use (read from the event and the records it names), and the permission
that reading those records takes, so a chat is only subscribed to what its subscriber may see.
Conditions are the approval routes' safe expressions (``domain.approvals.conditions``,
simpleeval, never ``eval``); a single ``=`` means equality, as people write it, and field names
may be written in Chinese (``金额 > 100000``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.approvals.conditions import evaluate, names_in
from domain.crm.models import Customer, Deal
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.flows.models import Subscription
from domain.shared.domain_events import DomainEvent
from domain.shared.errors import Conflict, DomainError, NotFound

Fields = dict[str, Any]
LISTED = 50


@dataclass(frozen=True, slots=True)
class Topic:
    """A kind of business event a conversation may subscribe to."""

    name: str
    events: frozenset[str]
    permission: Permission
    fields: tuple[str, ...]
    read: Callable[[Session, DomainEvent], Fields]


def _number(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def _deal_won(session: Session, event: DomainEvent) -> Fields:
    deal = session.get(Deal, event.payload["deal"])
    customer = session.get(Customer, event.payload["customer"])
    owner = member_view(session, deal.owner_id) if deal else None
    return {
        "deal": deal.name if deal else "",
        "amount": _number(event.payload.get("amount")),
        "currency": event.payload.get("currency", ""),
        "customer": customer.name if customer else "",
        "owner": owner.handle if owner else "",
        "department": (owner.department or "") if owner else "",
    }


def _below_safety(_session: Session, event: DomainEvent) -> Fields:
    payload = event.payload
    return {
        "sku": payload["sku"],
        "available": _number(payload.get("available")),
        "safety_stock": _number(payload.get("safety_stock")),
        "supplier": payload.get("default_supplier") or "",
    }


def _approval(session: Session, event: DomainEvent) -> Fields:
    payload = event.payload
    initiator = member_view(session, int(payload["initiator"]))
    fields = payload.get("fields") or {}
    return {
        "request": payload["request"],
        "template": payload["template"],
        "initiator": initiator.handle,
        "department": initiator.department or "",
        "amount": _number(fields.get("amount")) if "amount" in fields else None,
    }


def _order(_session: Session, event: DomainEvent) -> Fields:
    payload = event.payload
    lines = payload.get("lines") or []
    amount = sum(
        (Decimal(line["quantity"]) * Decimal(line["unit_price"]) for line in lines), Decimal(0)
    )
    return {
        "order": payload["order"],
        "customer": payload.get("customer") or "",
        "amount": amount,
        "currency": payload.get("currency", ""),
        "tracking": payload.get("tracking") or "",
        "skus": sorted({line["sku"] for line in lines}),
    }


def _received(_session: Session, event: DomainEvent) -> Fields:
    payload = event.payload
    lines = payload.get("lines") or []
    return {
        "order": payload["order"],
        "supplier": payload.get("supplier") or "",
        "amount": sum((Decimal(line["value"]) for line in lines), Decimal(0)),
        "on_time": bool(payload.get("on_time")),
        "skus": sorted({line["sku"] for line in lines if "sku" in line}),
    }


TOPICS: dict[str, Topic] = {
    topic.name: topic
    for topic in (
        Topic(
            "deal.won",
            frozenset({"crm.deal_won"}),
            Permission.CRM_ALL,
            ("deal", "amount", "currency", "customer", "owner", "department"),
            _deal_won,
        ),
        Topic(
            "stock.below_safety",
            frozenset({"stock.below_safety"}),
            Permission.USE,
            ("sku", "available", "safety_stock", "supplier"),
            _below_safety,
        ),
        Topic(
            "approval.approved",
            frozenset({"approval.approved"}),
            Permission.AUDIT_APPROVALS,
            ("request", "template", "initiator", "department", "amount"),
            _approval,
        ),
        Topic(
            "approval.rejected",
            frozenset({"approval.rejected"}),
            Permission.AUDIT_APPROVALS,
            ("request", "template", "initiator", "department", "amount"),
            _approval,
        ),
        Topic(
            "order.confirmed",
            frozenset({"order.confirmed"}),
            Permission.CRM_USE,
            ("order", "customer", "amount", "currency", "skus"),
            _order,
        ),
        Topic(
            "order.delivered",
            frozenset({"order.delivered"}),
            Permission.CRM_USE,
            ("order", "customer", "amount", "currency", "tracking", "skus"),
            _order,
        ),
        Topic(
            "goods.received",
            frozenset({"goods.received"}),
            Permission.PURCHASE,
            ("order", "supplier", "amount", "on_time", "skus"),
            _received,
        ),
    )
}

# what people write for topics and fields in Chinese
TOPIC_WORDS = {
    "赢单": "deal.won", "成交": "deal.won", "库存预警": "stock.below_safety",
    "低于安全库存": "stock.below_safety", "审批通过": "approval.approved",
    "审批驳回": "approval.rejected", "订单确认": "order.confirmed", "发货": "order.delivered",
    "收货": "goods.received", "到货": "goods.received",
}  # fmt: skip
FIELD_WORDS = {
    "金额": "amount", "客户": "customer", "部门": "department", "负责人": "owner",
    "销售": "owner", "币种": "currency", "商品": "sku", "物料": "sku", "可用": "available",
    "安全库存": "safety_stock", "供应商": "supplier", "模板": "template", "申请人": "initiator",
    "订单": "order", "运单号": "tracking", "准时": "on_time", "商机": "deal",
    "申请编号": "request", "商品清单": "skus",
}  # fmt: skip
# the word a Chinese reader is shown for each field and topic (the first one listed above)
FIELD_WORD_OF = {field: word for word, field in reversed(FIELD_WORDS.items())}
TOPIC_WORD_OF = {topic: word for word, topic in reversed(TOPIC_WORDS.items())}
EVENT_NAMES = frozenset(name for topic in TOPICS.values() for name in topic.events)


class ConditionRefused(DomainError):
    """A condition that cannot be read: not an expression, or naming a field the topic lacks."""


def topic_named(word: str) -> Topic:
    """The topic a word names (``deal.won``, ``赢单``), or ``NotFound``."""
    name = TOPIC_WORDS.get(word, word.lower())
    topic = TOPICS.get(name)
    if topic is None:
        raise NotFound("There is no topic {topic}.", topic=word)
    return topic


_LONE_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")
_QUOTED = re.compile(r"(\"[^\"]*\"|'[^']*')")
_FIELD_WORD = re.compile("|".join(sorted(FIELD_WORDS, key=len, reverse=True)))


def _outside_quotes(text: str) -> str:
    """Full-width signs as ASCII, Chinese field names as the fields', ``=`` as ``==``."""
    for full, ascii_ in (("＞", ">"), ("＜", "<"), ("＝", "="), ("！", "!")):
        text = text.replace(full, ascii_)
    text = _FIELD_WORD.sub(lambda m: FIELD_WORDS[m.group(0)], text)
    return _LONE_EQUALS.sub("==", text)


def normalised(condition: str, topic: Topic) -> str:
    """The condition as the evaluator reads it: Chinese field names in English, ``=`` as
    ``==``, full-width signs and quotes as ASCII; ``ConditionRefused`` if it is not an
    expression or names a field the topic does not have."""
    text = condition.strip()
    for full, ascii_ in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        text = text.replace(full, ascii_)
    text = "".join(
        part if part[:1] in ("'", '"') else _outside_quotes(part) for part in _QUOTED.split(text)
    )
    if not text:
        return ""
    try:
        names = names_in(text)
    except SyntaxError:
        raise ConditionRefused(
            "{condition} is not a condition I can read.", condition=condition
        ) from None
    unknown = sorted(names - set(topic.fields))
    if unknown:
        raise ConditionRefused("No field is called {names}.", names=", ".join(unknown))
    return text


@dataclass(frozen=True, slots=True)
class Where:
    """The conversation a subscription speaks to."""

    channel: str
    workspace: str
    conversation: str


def subscribe(
    session: Session,
    topic: Topic,
    condition: str,
    where: Where,
    member_id: int,
    locale: str,
    now: datetime,
) -> Subscription:
    """Subscribe the conversation to the topic; the same topic and condition twice is one."""
    text = normalised(condition, topic)
    same = select(Subscription).where(
        Subscription.topic == topic.name,
        Subscription.condition == text,
        *_in(where),
        Subscription.active.is_(True),
    )
    earlier = session.scalars(same).first()
    if earlier is not None:
        raise Conflict("This conversation has that subscription already (#{id}).", id=earlier.id)
    row = Subscription(
        topic=topic.name,
        condition=text,
        wording=condition.strip()[:500],
        channel=where.channel,
        workspace=where.workspace,
        conversation=where.conversation,
        locale=locale,
        created_by=member_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def subscriptions_of(session: Session, where: Where) -> list[Subscription]:
    """The conversation's active subscriptions, oldest first."""
    query = select(Subscription).where(*_in(where), Subscription.active.is_(True))
    return list(session.scalars(query.order_by(Subscription.id).limit(LISTED)))


def unsubscribe(session: Session, subscription_id: int, where: Where) -> Subscription:
    """End one of the conversation's subscriptions (``NotFound`` for another conversation's)."""
    row = session.get(Subscription, subscription_id)
    if (
        row is None
        or not row.active
        or (row.channel, row.workspace, row.conversation)
        != (
            where.channel,
            where.workspace,
            where.conversation,
        )
    ):
        raise NotFound("This conversation has no subscription #{id}.", id=subscription_id)
    row.active = False
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class Match:
    """A subscription whose condition held for an event, and the event's fields."""

    subscription: Subscription
    topic: Topic
    fields: Fields


def matches(session: Session, event: DomainEvent) -> list[Match]:
    """The active subscriptions an event speaks to: those of its topics whose condition holds
    (a condition that cannot be decided, e.g. a missing amount, does not hold)."""
    topics = [t for t in TOPICS.values() if event.name in t.events]
    found: list[Match] = []
    for topic in topics:
        query = select(Subscription).where(
            Subscription.topic == topic.name, Subscription.active.is_(True)
        )
        rows = list(session.scalars(query.order_by(Subscription.id)))
        if not rows:
            continue
        fields = topic.read(session, event)
        found += [
            Match(row, topic, fields)
            for row in rows
            if not row.condition or evaluate(row.condition, fields).holds
        ]
    return found


def _in(where: Where) -> list[Any]:
    return [
        Subscription.channel == where.channel,
        Subscription.workspace == where.workspace,
        Subscription.conversation == where.conversation,
    ]

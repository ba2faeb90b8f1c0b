"""The finance postings consumer (``domain.flows.finance_postings``) and its card: a document
that needs a human goes to the finance members (the admins when nobody has the finance role),
each in their language."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Card, CardStatus
from domain.directory.services import holders_else_admins
from domain.directory.views import MemberView
from domain.flows import finance_postings
from domain.flows.consumers import Consumer
from domain.shared.domain_events import DomainEvent


def book(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """Book the event; tell finance about what needs a human (once: the consumer runs once)."""
    for number, attention in enumerate(finance_postings.book(session, event, context.now)):
        for member in finance_members(session):
            card = attention_card(member.locale, attention)
            context.notify(member.id, card, subject=f"finance:attention:{event.id}:{number}")


def finance_members(session: Session) -> list[MemberView]:
    """Who keeps the books: the finance role, else the admins."""
    return holders_else_admins(session, "finance")


def attention_card(locale: str, attention: finance_postings.Attention) -> Card:
    """A document the books could not take without a human."""
    return Card(
        title=t(locale, _("A document needs you")),
        body=t(locale, attention.message, **attention.params),
        status=CardStatus.WARNING,
    )


FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer(finance_postings.CONSUMER, finance_postings.EVENTS, book),
]

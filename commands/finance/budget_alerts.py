"""The budget alert: the consumer of ``finance.entry_posted`` that tells a budget's owner, in
their language, when its department's spending reaches 80 % and again at 100 % of it (once per
threshold; a new amount re-arms what it no longer reaches)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from bot.replies import Card, CardStatus
from commands.finance.budget_cards import account_label, budget_fields, period_text
from domain.directory.services import get_org
from domain.finance.budgets import Crossing
from domain.flows import budget_alerts
from domain.flows.consumers import Consumer
from domain.shared.domain_events import DomainEvent


def alert(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """One card to the owner of each budget whose threshold the entry crossed."""
    currency = get_org(session).currency
    for crossing in budget_alerts.crossed_by(session, event):
        owner = crossing.status.budget.owner_id
        if owner is None:
            continue  # nobody to tell; the level is kept, so a later owner is not told late
        locale = context.member(owner).locale
        card = alert_card(session, locale, crossing, currency)
        budget_id = crossing.status.budget.id
        context.notify(owner, card, subject=f"budget:{budget_id}:{crossing.threshold}")


def alert_card(session: Session, locale: str, crossing: Crossing, currency: str) -> Card:
    """What the owner reads: which budget, how much is spent and left."""
    budget = crossing.status.budget
    names = {
        "department": budget.department,
        "account": account_label(session, budget.account_code, locale),
        "period": period_text(budget.year, budget.month),
    }
    if crossing.threshold >= 100:
        title = t(locale, _("Budget used up: {department} {account} {period}"), **names)
        body = t(locale, _("Spending has reached the whole budget."))
    else:
        title = t(locale, _("Budget 80% used: {department} {account} {period}"), **names)
        body = t(locale, _("Spending has reached 80% of the budget."))
    return Card(
        title=title,
        body=body,
        fields=budget_fields(locale, crossing.status, currency),
        status=CardStatus.DANGER if crossing.threshold >= 100 else CardStatus.WARNING,
    )


FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer(budget_alerts.CONSUMER, budget_alerts.EVENTS, alert),
]

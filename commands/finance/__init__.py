"""Finance in chat: the statements (/report, /报表), an account's lines (/ledger, /明细账),
setting up the books (/books, /账簿), closing months and years (/period, /期间), manual
entries (/entry, /记账); payments and receipts matched to open items, receivables and payables
ageing with statements of account, budgets (/budget, /预算) and their spending alerts, the
consumer that books business events, and payment reminders."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.finance import (
    ageing,
    books,
    budget_alerts,
    budgets,
    entries,
    ledger,
    payments,
    postings,
    reminders,
    reports,
)

FLOW_CONSUMERS: list[FlowConsumer] = [*postings.FLOW_CONSUMERS, *budget_alerts.FLOW_CONSUMERS]
TIMER_HANDLERS: dict[str, TimerHandler] = {**reminders.TIMER_HANDLERS}


def register(router: Router) -> None:
    """Register every finance command."""
    reports.register(router)
    books.register(router)
    entries.register(router)
    ledger.register(router)
    payments.register(router)
    ageing.register(router)
    budgets.register(router)

"""Finance in chat: payments and receipts matched to open items, receivables and payables
ageing with statements of account, and the consumer that books business events."""

from __future__ import annotations

from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.finance import ageing, payments, postings

FLOW_CONSUMERS: list[FlowConsumer] = [*postings.FLOW_CONSUMERS]


def register(router: Router) -> None:
    """Register every finance command."""
    payments.register(router)
    ageing.register(router)

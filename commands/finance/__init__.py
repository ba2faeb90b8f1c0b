"""Finance in chat: budgets (``/budget``, ``/预算``) and their spending alerts."""

from __future__ import annotations

from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.finance import budget_alerts, budgets

FLOW_CONSUMERS: list[FlowConsumer] = [*budget_alerts.FLOW_CONSUMERS]


def register(router: Router) -> None:
    """Register every finance command."""
    budgets.register(router)

"""Flows in chat: the sales flow from won deal to confirmed order, the approved purchase request
to the buyers, approved leave on the calendar, and subscriptions of conversations to business
events."""

from __future__ import annotations

from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.flows import leave_flow, purchase_flow, sales_flow, subscriptions

FLOW_CONSUMERS: list[FlowConsumer] = [
    *sales_flow.FLOW_CONSUMERS,
    *purchase_flow.FLOW_CONSUMERS,
    *subscriptions.FLOW_CONSUMERS,
    *leave_flow.FLOW_CONSUMERS,
]


def register(router: Router) -> None:
    """Register /subscribe, /subscriptions and /unsubscribe."""
    subscriptions.register(router)

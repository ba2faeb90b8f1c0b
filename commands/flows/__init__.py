"""Flows in chat: the sales flow from won deal to paid invoice in its deal room, the customer's
view of it, the purchase flow, approved leave on the calendar, and subscriptions of
conversations to business events."""

from __future__ import annotations

from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.flows import (
    customer_view,
    leave_flow,
    purchase_flow,
    sales_flow,
    sales_steps,
    subscriptions,
)

FLOW_CONSUMERS: list[FlowConsumer] = [
    *sales_flow.FLOW_CONSUMERS,
    *sales_steps.FLOW_CONSUMERS,
    *customer_view.FLOW_CONSUMERS,
    *purchase_flow.FLOW_CONSUMERS,
    *subscriptions.FLOW_CONSUMERS,
    *leave_flow.FLOW_CONSUMERS,
]


def register(router: Router) -> None:
    """Register /subscribe, /subscriptions and /unsubscribe."""
    subscriptions.register(router)

"""Flows in chat: subscriptions of conversations to business events."""

from __future__ import annotations

from bot.pipeline.flows import FlowConsumer
from bot.router import Router
from commands.flows import subscriptions

FLOW_CONSUMERS: list[FlowConsumer] = [*subscriptions.FLOW_CONSUMERS]


def register(router: Router) -> None:
    """Register /subscribe, /subscriptions and /unsubscribe."""
    subscriptions.register(router)

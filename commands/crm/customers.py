"""CRM customers in chat (being built)."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.router import Router

TIMER_HANDLERS: dict[str, TimerHandler] = {}


def register(router: Router) -> None:
    """Register the customers commands."""

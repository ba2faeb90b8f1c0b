"""Chat commands and button actions, one module per area; ``register_all`` lists them."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.router import Router
from commands import approvals, help, identity, reminders


def register_all(router: Router) -> None:
    """Register every command and action Bizbot offers."""
    help.register(router)
    identity.register(router)
    reminders.register(router)
    approvals.register(router)


def timer_handlers() -> dict[str, TimerHandler]:
    """What to do when a timer of each kind fires."""
    return {**reminders.TIMER_HANDLERS, **approvals.TIMER_HANDLERS}

"""Chat commands and button actions, one module per area; ``register_all`` lists them."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.router import Router
from commands import approvals, calendar, crm, digest, ding, help, identity, reminders
from commands.approvals.digest import approvals_waiting
from commands.calendar.agenda import meetings_today
from commands.crm import guest_relay
from commands.crm import guests as crm_guests

guest_resolver = crm_guests.resolve_guest  # which unknown senders are customers' contacts
guest_messages = guest_relay.relay  # where a guest's plain messages go: to their rep


def register_all(router: Router) -> None:
    """Register every command and action Bizbot offers."""
    help.register(router)
    identity.register(router)
    reminders.register(router)
    approvals.register(router)
    ding.register(router)
    digest.register(router, digest_sections())
    calendar.register(router)
    crm.register(router)


def timer_handlers() -> dict[str, TimerHandler]:
    """What to do when a timer of each kind fires."""
    return {
        **reminders.TIMER_HANDLERS,
        **ding.TIMER_HANDLERS,
        **calendar.TIMER_HANDLERS,
        **approvals.TIMER_HANDLERS,
        **crm.TIMER_HANDLERS,
        digest.KIND: digest.digest_handler(digest_sections()),
    }


def digest_sections() -> list[digest.DigestSection]:
    """What the daily digest shows, in this order; each area adds its section here."""
    return [meetings_today, digest.reminders_today, ding.waiting_notices, approvals_waiting]

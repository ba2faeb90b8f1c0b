"""The CRM in chat: customers and contacts, deals and the pipeline, campaigns and leads, service
tickets, and customers who talk to the company as guests."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.router import Router
from commands.crm import campaigns, customers, deals, external_links, guests, tickets


def register(router: Router) -> None:
    """Register every CRM command, button and question."""
    customers.register(router)
    deals.register(router)
    campaigns.register(router)
    tickets.register(router)
    guests.register(router)
    external_links.register(router)


TIMER_HANDLERS: dict[str, TimerHandler] = {
    **deals.TIMER_HANDLERS,
    **tickets.TIMER_HANDLERS,
    **external_links.TIMER_HANDLERS,
}

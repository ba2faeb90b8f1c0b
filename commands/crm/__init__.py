"""The CRM in chat: customers and contacts, deals and the pipeline, campaigns and leads, service
tickets, and customers who talk to the company as guests."""

from __future__ import annotations

from bot.context import TimerHandler
from bot.router import Router
from commands.crm import (
    campaigns,
    customer_buttons,
    customers,
    deal_buttons,
    deals,
    external_links,
    guests,
    ticket_buttons,
    tickets,
)


def register(router: Router) -> None:
    """Register every CRM command, button and question."""
    customers.register(router)
    customer_buttons.register(router)
    deals.register(router)
    deal_buttons.register(router)
    campaigns.register(router)
    tickets.register(router)
    ticket_buttons.register(router)
    guests.register(router)
    external_links.register(router)


TIMER_HANDLERS: dict[str, TimerHandler] = {
    **deals.TIMER_HANDLERS,
    **tickets.TIMER_HANDLERS,
    **external_links.TIMER_HANDLERS,
}

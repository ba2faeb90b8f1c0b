"""The buttons on a quotation's or an order's card: confirm, make a quotation an order, cancel.
Each goes through the actor's CRM scope and the same domain calls as the typed commands, and
updates the card it was tapped on; a token works once, and the domain calls change nothing the
second time anyway."""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.replies import Message
from bot.router import ActionSpec, Router
from commands.erp import sales as typed
from commands.erp.sales_cards import ACCEPT_ACTION, CANCEL_ACTION, CONFIRM_ACTION, SEND_ACTION
from domain.directory.roles import Permission
from domain.erp.sales import locked_document
from domain.erp.sales_models import SalesDocument


def _document(ctx: CommandContext, target: str) -> SalesDocument:
    document = locked_document(ctx.session, int(target))
    return typed.document_for(ctx, document.number)


def confirm_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Confirm the order on the card."""
    ctx.edit_card(typed.confirm(ctx, _document(ctx, target)))
    return None


def cancel_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Cancel the quotation or order on the card."""
    ctx.edit_card(typed.cancel(ctx, _document(ctx, target)))
    return None


def send_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Send the quotation on the card to the customer's contacts."""
    ctx.edit_card(typed.send(ctx, _document(ctx, target)))
    return None


def accept_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Turn the quotation on the card into a draft order, shown as a new card."""
    return typed.accept(ctx, _document(ctx, target))


def register(router: Router) -> None:
    """Register the sales cards' buttons."""
    for name, handler in (
        (CONFIRM_ACTION, confirm_button),
        (CANCEL_ACTION, cancel_button),
        (ACCEPT_ACTION, accept_button),
        (SEND_ACTION, send_button),
    ):
        router.add_action(ActionSpec(name, handler, permission=Permission.CRM_USE))

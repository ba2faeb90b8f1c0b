"""The customer card's buttons: Log a call asks for the note and adds it to the card's history;
New deal asks for what a deal needs, one field at a time (``bot.picking.Missing``, the answers
running ``/deal add`` as if typed). Both load the customer through the actor's scope."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.context import CommandContext
from bot.i18n import _
from bot.picking import Missing
from bot.replies import Message, Reply
from bot.router import ActionSpec, PromptSpec, Router
from commands.crm.customer_cards import LOG_CALL_ACTION, NEW_DEAL_ACTION, customer_card
from commands.crm.customer_common import customer_for
from domain.crm.history import log_activity
from domain.directory.roles import Permission

CALL_PROMPT = "crm.customer.call_note"


def log_call_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Log a call: ask what was said."""
    customer = customer_for(ctx, target)
    question = ctx.t(
        _("What was said on the call with {name}? Send the note, or cancel."), name=customer.name
    )
    ctx.ask(CALL_PROMPT, Reply(question), {"customer": customer.id, "card": ctx.card_id})
    return None


def call_note(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The note of a call: log it and show it on the customer's card."""
    customer = customer_for(ctx, str(state["customer"]))
    log_activity(
        ctx.session,
        customer_id=customer.id,
        contact_id=None,
        kind="call",
        direction="out",
        body=text,
        author_id=ctx.actor.id,
        now=ctx.now,
    )
    logged = ctx.t(_("Logged for customer #{id} ({name})."), id=customer.id, name=customer.name)
    if state.get("card") is None:
        return customer_card(ctx, customer, logged)
    replace(ctx, card_id=int(state["card"])).edit_card(customer_card(ctx, customer))
    return Reply(logged)


def new_deal_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """New deal: ask its name; ``/deal add`` asks for the amount and the close date after."""
    customer = customer_for(ctx, target)
    question = ctx.t(_("What is the new deal with {name} called?"), name=customer.name)
    raise Missing(question, f"/deal add #{customer.id}", "name")


def register(router: Router) -> None:
    """Register the customer card's buttons and the call-note question."""
    for name, handler in ((LOG_CALL_ACTION, log_call_button), (NEW_DEAL_ACTION, new_deal_button)):
        router.add_action(ActionSpec(name, handler, permission=Permission.CRM_USE))
    router.add_prompt(PromptSpec(CALL_PROMPT, call_note))

"""The deal card's buttons: move it to a later stage, win it, or lose it (which asks why, and
stores only the reason given). Each goes through the actor's scope and the same domain calls as
``/deal``, and updates the card it was tapped on."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Message, Reply
from bot.router import ActionSpec, PromptSpec, Router
from commands.crm.deal_cards import LOST_ACTION, MOVE_ACTION, WON_ACTION
from commands.crm.deals import deal_scope, refusal_logged, shown
from domain.crm import deals
from domain.directory.roles import Permission

LOST_PROMPT = "crm.deal.lost_reason"


def move_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Move the deal to the stage on the button, if it is still where the card showed it (a
    card older than a typed move would otherwise move it back): else the card is brought up to
    date and nothing moves."""
    deal_id = int(target)
    with refusal_logged(ctx, "move", deal_id):
        found = deals.show_deal(ctx.session, deal_scope(ctx), deal_id)
        if found.status == "open" and found.stage != args.get("from", found.stage):
            ctx.edit_card(shown(ctx, found, ""))
            return Reply(
                ctx.t(_("Deal #{id} has moved since; its card now shows where."), id=deal_id)
            )
        moved = deals.move_deal(
            ctx.session, deal_scope(ctx), deal_id, str(args["stage"]), ctx.policies.deals, ctx.now
        )
    ctx.edit_card(shown(ctx, moved, _("Deal moved")))
    return None


def won_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Win the deal."""
    deal_id = int(target)
    with refusal_logged(ctx, "won", deal_id):
        won = deals.win_deal(ctx.session, deal_scope(ctx), deal_id, ctx.now)
    ctx.edit_card(shown(ctx, won, _("Deal won")))
    return None


def lost_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Lost: ask why; the answer closes the deal (a closed deal's card just shows it)."""
    deal_id = int(target)
    with refusal_logged(ctx, "lost", deal_id):
        found = deals.show_deal(ctx.session, deal_scope(ctx), deal_id)
    ctx.edit_card(shown(ctx, found, ""))
    if found.status != "open":
        return None
    question = Reply(ctx.t(_("Why was deal #{id} lost? Send the reason, or cancel."), id=deal_id))
    ctx.ask(LOST_PROMPT, question, {"deal": deal_id, "card": ctx.card_id})
    return None


def lost_reason(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The reason a deal was lost: close it with that reason and update its card."""
    deal_id = int(state["deal"])
    with refusal_logged(ctx, "lost", deal_id):
        lost = deals.lose_deal(ctx.session, deal_scope(ctx), deal_id, text, ctx.now)
    card = shown(ctx, lost, _("Deal lost"))
    if state.get("card") is None:
        return card
    replace(ctx, card_id=int(state["card"])).edit_card(card)
    return Reply(ctx.t(_("Deal #{id} lost: {reason}"), id=deal_id, reason=lost.lost_reason))


def register(router: Router) -> None:
    """Register the deal card's buttons and the "why was it lost?" question."""
    for name, handler in (
        (MOVE_ACTION, move_button),
        (WON_ACTION, won_button),
        (LOST_ACTION, lost_button),
    ):
        router.add_action(ActionSpec(name, handler, permission=Permission.CRM_USE))
    router.add_prompt(PromptSpec(LOST_PROMPT, lost_reason))

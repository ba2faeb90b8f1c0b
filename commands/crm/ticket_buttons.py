"""The ticket card's buttons: assign it to me or to someone (picked with a button), resolve it,
close it. Each loads the ticket through the actor's ticket scope, as ``/ticket`` does, and
updates the card it was tapped on."""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.i18n import _
from bot.picking import MAX_OPTIONS, Ambiguous, Option, pick_card
from bot.replies import Message
from bot.router import ActionSpec, Router
from commands.crm import ticket_cards as cards
from commands.crm.tickets import load_ticket, news, resolved_card
from domain.crm.tickets import assign_ticket, close_ticket, must_be_open
from domain.directory.roles import Permission, allows
from domain.directory.services import list_members
from domain.directory.views import MemberView


def assign_me_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Assign to me."""
    found = load_ticket(ctx, int(target))
    assigned = assign_ticket(ctx.session, found, ctx.actor, ctx.actor.id, ctx.now)
    ctx.edit_card(news(ctx, assigned, _("Ticket #{id} assigned")))
    return None


def assign_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Assign to someone: a button per colleague who works tickets, each running
    ``/ticket assign N @handle``."""
    found = load_ticket(ctx, int(target))
    must_be_open(found)
    options = [
        Option(f"{m.name} (@{m.handle})", f"/ticket assign {found.id} @{m.handle}")
        for m in _assignees(ctx, found.assignee_id)
    ]
    question = ctx.t(_("Assign ticket #{id} to whom?"), id=found.id)
    footer = ctx.t(_("Or type: /ticket assign {id} @handle"), id=found.id)
    raise Ambiguous(pick_card(question, options, footer))


def _assignees(ctx: CommandContext, current: int | None) -> list[MemberView]:
    """Active members who work with the CRM, the service department first (not the one the
    ticket is with already)."""
    service = ctx.policies.tickets.service_department
    people = [
        m
        for m in list_members(ctx.session)
        if m.id != current and allows(m.roles, Permission.CRM_USE)
    ]
    return sorted(people, key=lambda m: m.department != service)[:MAX_OPTIONS]


def resolve_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Resolve: the clocks stop and the customer is asked for a rating."""
    ctx.edit_card(resolved_card(ctx, load_ticket(ctx, int(target)), ""))
    return None


def close_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Close a resolved ticket."""
    closed = close_ticket(ctx.session, load_ticket(ctx, int(target)), ctx.actor.id, ctx.now)
    ctx.edit_card(news(ctx, closed, _("Ticket #{id} closed")))
    return None


def register(router: Router) -> None:
    """Register the ticket card's buttons."""
    for name, handler in (
        (cards.ASSIGN_ME_ACTION, assign_me_button),
        (cards.ASSIGN_ACTION, assign_button),
        (cards.RESOLVE_ACTION, resolve_button),
        (cards.CLOSE_ACTION, close_button),
    ):
        router.add_action(ActionSpec(name, handler, permission=Permission.CRM_USE))

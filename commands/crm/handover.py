"""/customer transfer @from @to [all|N…]: a manager hands a rep's customers over to another rep.

Both reps must be in the manager's scope (or the actor sees everyone). Both are told, and each
moved customer's contacts with a chat account are told, in their language, who their new
contact is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from bot.context import CommandContext
from bot.i18n import _, t
from bot.replies import Message, Reply
from commands.crm.customer_common import customer_for, is_manager, member_for, scope
from commands.crm.reach import tell_contact
from domain.crm.handover import Handover, transfer
from domain.directory.views import MemberView
from domain.shared.errors import DomainError, Forbidden

if TYPE_CHECKING:
    from commands.crm.customers import CustomerArgs

log = structlog.get_logger(__name__)
ALL_WORDS = ("all", "全部")


def transfer_command(ctx: CommandContext, args: CustomerArgs) -> Message:
    """Hand over all or some of a rep's customers, with their open deals and tickets."""
    words = args.rest.split()
    if len(words) < 3:
        raise DomainError("For example: {example}", example=_("/customer transfer @bob @erin all"))
    giver, taker = member_for(ctx, words[0]), member_for(ctx, words[1])
    reach = scope(ctx)
    if not is_manager(ctx) or not (reach.covers(giver.id) and reach.covers(taker.id)):
        log.warning(
            "refused.crm_transfer", member=ctx.actor.handle, giver=giver.handle, taker=taker.handle
        )
        raise Forbidden("Only a manager of both reps can hand customers over.")
    picked = None if words[2].lower() in ALL_WORDS else [customer_for(ctx, w).id for w in words[2:]]
    moved = transfer(
        ctx.session,
        from_id=giver.id,
        to_id=taker.id,
        customer_ids=picked,
        actor_id=ctx.actor.id,
        now=ctx.now,
    )
    _tell_reps(ctx, giver, taker, moved)
    _tell_contacts(ctx, taker, moved)
    return Reply(_summary(ctx.locale, giver, taker, moved))


def _summary(locale: str, giver: MemberView, taker: MemberView, moved: Handover) -> str:
    return t(
        locale,
        _(
            "🔁 {customers} customers of @{giver} moved to @{taker}, with {deals} open "
            "deals and {tickets} open tickets: {ids}."
        ),
        customers=len(moved.customers),
        giver=giver.handle,
        taker=taker.handle,
        deals=len(moved.deals),
        tickets=len(moved.tickets),
        ids=", ".join(f"#{i}" for i in moved.customers),
    )


def _tell_reps(ctx: CommandContext, giver: MemberView, taker: MemberView, moved: Handover) -> None:
    for rep in (giver, taker):
        if rep.id != ctx.actor.id:
            ctx.notify(rep.id, Reply(_summary(rep.locale, giver, taker, moved)))


def _tell_contacts(ctx: CommandContext, taker: MemberView, moved: Handover) -> None:
    def compose(locale: str) -> Message:
        return Reply(
            t(
                locale,
                _(
                    "Hello from {company}: from now on {name} takes care of you. "
                    "Just write here as before."
                ),
                company=ctx.org.name,
                name=taker.name,
            )
        )

    for contact_id in moved.contacts:
        tell_contact(ctx.session, ctx.outbox, contact_id, compose, fallback_locale=ctx.org.locale)

"""A guest's plain messages reach the rep who owns their customer (or, with the rep away, the
team's queue: the rep's manager) as a card with "Reply" and "Create ticket"; the rep answers with
the button or ``/reply N TEXT`` and the answer reaches the guest on their own channel. Both ways
are logged in the customer's history as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import RecordNumber
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import ActionSpec, CommandSpec, PromptSpec, Router
from commands.crm.reach import contact_of_actor, tell_contact
from commands.crm.tickets import tell_watchers
from domain.crm.guests import (
    GuestAccountKey,
    GuestMessage,
    answer_message,
    incoming_message,
    receive_message,
    relay_recipient,
)
from domain.crm.scope import scope_of
from domain.crm.tickets import SUBJECT_LIMIT, open_ticket
from domain.directory.roles import Permission
from domain.directory.services import member_view
from domain.shared.errors import DomainError, NotFound

log = get_logger("bizbot.crm.guests")

Compose = Callable[[str], Message]  # a message in the reader's language


class ReplyArgs(BaseModel):
    """``/reply N TEXT``."""

    message: RecordNumber = Field(description=_("message number"))
    text: str = Field(description=_("answer"), json_schema_extra={"rest": True})


def tell_rep(ctx: CommandContext, member_id: int, compose: Compose) -> None:
    """Send a member a message composed in their language."""
    ctx.notify(member_id, compose(member_view(ctx.session, member_id).locale))


def relay(ctx: CommandContext) -> Message | None:
    """A guest's plain message: log it, pass it to the rep (or the team), thank the guest."""
    assert contact_of_actor(ctx.actor.id) is not None  # only guests' messages come here
    address = ctx.event.address
    account = GuestAccountKey(address.channel, address.workspace, ctx.event.sender_id)
    message = receive_message(ctx.session, account, ctx.event.text, ctx.now)
    after_hours = ctx.policies.guest_relay_after_hours
    to, to_team = relay_recipient(ctx.session, message.owner_id, ctx.now, after_hours=after_hours)
    owner = member_view(ctx.session, message.owner_id).name if to_team else ""
    tell_rep(ctx, to, lambda locale: relay_card(locale, message, owner))
    log.info("crm.guest_message", activity=message.activity_id, to=to, to_team=to_team)
    return Reply(ctx.t(_("Thank you, your message has been passed on. We will answer you here.")))


def relay_card(locale: str, message: GuestMessage, away_owner: str) -> Card:
    """The card a rep (or, with ``away_owner`` set, their manager) gets for a guest's message."""
    number = message.activity_id
    fields = [
        CardField(t(locale, _("Customer")), f"#{message.customer_id} {message.customer_name}")
    ]
    if away_owner:
        fields.append(
            CardField(t(locale, _("For the team")), t(locale, _("{rep} is away"), rep=away_owner))
        )
    return Card(
        title=t(locale, _("Message from {contact}"), contact=message.contact_name),
        body=message.body,
        fields=tuple(fields),
        buttons=(
            Button(
                t(locale, _("Reply")),
                Action("crm.guest.reply", str(number), single_use=False),
                style=ButtonStyle.PRIMARY,
                command=f"/reply {number} …",
            ),
            Button(t(locale, _("Create ticket")), Action("crm.guest.ticket", str(number))),
        ),
        footer=t(locale, _("Answer with /reply {number} TEXT"), number=number),
        status=CardStatus.PENDING,
    )


def reply_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """ "Reply": ask the member for the answer text."""
    message = _message(ctx, int(target))
    ctx.ask(
        "crm.guest.reply",
        Reply(
            ctx.t(
                _("Write your answer to {contact}; it goes to their chat. (Send cancel to stop.)"),
                contact=message.contact_name,
            )
        ),
        {"message": message.activity_id},
    )
    return None


def reply_prompt(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The answer typed after "Reply"."""
    return answer(ctx, int(state["message"]), text)


def reply_command(ctx: CommandContext, args: ReplyArgs) -> Message | None:
    """``/reply N TEXT``."""
    return answer(ctx, args.message, args.text)


def answer(ctx: CommandContext, number: int, text: str) -> Message:
    """Send the answer to the guest's chat and log it in the customer's history."""
    message = _message(ctx, number)
    logged = answer_message(ctx.session, message, text, ctx.actor.id, ctx.now)
    company = ctx.org.name

    def compose(locale: str) -> Message:
        return Reply(t(locale, _("{company}: {text}"), company=company, text=logged.body))

    if not tell_contact(
        ctx.session, ctx.outbox, message.contact_id, compose, fallback_locale=ctx.org.locale
    ):
        raise DomainError(
            "{contact} has no chat linked any more; the answer cannot reach them.",
            contact=message.contact_name,
        )
    return Reply(ctx.t(_("Sent to {contact}."), contact=message.contact_name))


def ticket_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """ "Create ticket": a service ticket from the guest's message; the guest is told its ref."""
    message = _message(ctx, int(target))
    ticket = open_ticket(
        ctx.session,
        customer_id=message.customer_id,
        contact_id=message.contact_id,
        subject=message.body[:SUBJECT_LIMIT],
        now=ctx.now,
        actor_id=ctx.actor.id,
        policy=ctx.policies.tickets,
    )
    tell_watchers(ctx.session, ctx.outbox, ctx.policies, ticket, ctx.actor.id)

    def compose(locale: str) -> Message:
        return Reply(t(locale, _("We opened ticket {ref} for your request."), ref=ticket.ref))

    tell_contact(
        ctx.session, ctx.outbox, message.contact_id, compose, fallback_locale=ctx.org.locale
    )
    return Reply(
        ctx.t(
            _("Ticket #{id} ({ref}) opened for {customer}."),
            id=ticket.id,
            ref=ticket.ref,
            customer=message.customer_name,
        )
    )


def _message(ctx: CommandContext, number: int) -> GuestMessage:
    """A guest's message through the member's scope (out of scope: logged, like not found)."""
    scope = scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)
    try:
        return incoming_message(ctx.session, scope, number)
    except NotFound:
        log.warning("refused.crm_message", member=ctx.actor.handle, message=number)
        raise


def register(router: Router) -> None:
    """Register /reply and the relay card's buttons."""
    router.add(
        CommandSpec(
            name="reply",
            summary=_("Answer a customer's message in their chat"),
            handler=reply_command,
            args=ReplyArgs,
            aliases=("回复",),
            permission=Permission.CRM_USE,
            examples=(_("/reply 42 Thanks, the parts ship on Monday."),),
        )
    )
    router.add_action(
        ActionSpec(name="crm.guest.reply", handler=reply_button, permission=Permission.CRM_USE)
    )
    router.add_action(
        ActionSpec(name="crm.guest.ticket", handler=ticket_button, permission=Permission.CRM_USE)
    )
    router.add_prompt(PromptSpec(name="crm.guest.reply", handler=reply_prompt))

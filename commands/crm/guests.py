"""CRM guests in chat: who of the unknown senders is a customer's contact, and the few commands a
guest has (``/help``, ``/tickets``, ``/ticket new``, ``/orders``, ``/order``). Invites are in
``guest_invites``, the relay of their messages to the rep in ``guest_relay``."""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.context import CommandContext, GuestView, TimerHandler
from bot.events import InboundEvent
from bot.i18n import _
from bot.replies import Card, CardStatus, Message, Reply
from bot.router import Audience, CommandSpec, NoArgs, Router
from commands.crm import guest_invites, guest_relay
from commands.crm.reach import contact_of_actor, guest_actor_id
from commands.crm.tickets import tell_watchers
from domain.crm.guests import guest_of
from domain.crm.models import Contact
from domain.crm.tickets import TicketView, open_ticket, tickets_of_contact
from domain.shared.errors import DomainError

TIMER_HANDLERS: dict[str, TimerHandler] = {}

NEW_WORDS = frozenset({"new", "open", "新", "新建", "提交"})
STATUS_LABELS = {
    "new": _("new"),
    "assigned": _("assigned"),
    "in_progress": _("in progress"),
    "waiting": _("waiting for you"),
    "resolved": _("resolved"),
    "closed": _("closed"),
}


class TicketArgs(BaseModel):
    """``/ticket new TEXT``."""

    verb: str = Field(default="", description=_("new"))
    text: str = Field(
        default="", description=_("what it is about"), json_schema_extra={"rest": True}
    )


class OrderArgs(BaseModel):
    """``/order REF``."""

    ref: str = Field(description=_("order reference"))


def resolve_guest(session: Session, event: InboundEvent) -> GuestView | None:
    """The guest behind an event's sender: an active chat account bound to a contact."""
    address = event.address
    found = guest_of(session, address.channel, address.workspace, event.sender_id)
    if found is None:
        return None
    return GuestView(guest_actor_id(found.contact_id), found.name, found.locale)


def contact_of(ctx: CommandContext) -> Contact:
    """The contact the guest acts for."""
    contact_id = contact_of_actor(ctx.actor.id)
    contact = ctx.session.get(Contact, contact_id) if contact_id is not None else None
    assert contact is not None  # the dispatcher made this actor from a bound contact
    return contact


def guest_help(ctx: CommandContext, _args: NoArgs) -> Message:
    """What a guest can do: their commands, and that anything else goes to their rep."""
    lines = [
        f"/{spec.display_name(ctx.locale)} — {ctx.t(spec.summary)}"
        for spec in ctx.router.guest_commands()
        if spec.name != "join"  # only reached through an invite link
    ]
    return Card(
        title=ctx.t(_("What I can do for you")),
        body="\n".join(lines),
        footer=ctx.t(
            _("Anything else you write here goes to your contact at {company}."),
            company=ctx.org.name,
        ),
    )


def guest_tickets(ctx: CommandContext, _args: NoArgs) -> Message:
    """The guest's service tickets, by reference (never by internal number)."""
    tickets = tickets_of_contact(ctx.session, contact_of(ctx).id)
    if not tickets:
        return Reply(ctx.t(_("You have no service tickets. Open one with /ticket new TEXT.")))
    return Card(
        title=ctx.t(_("Your service tickets")),
        body="\n".join(_ticket_line(ctx, ticket) for ticket in tickets[:20]),
    )


def _ticket_line(ctx: CommandContext, ticket: TicketView) -> str:
    status = ctx.t(STATUS_LABELS.get(ticket.status, ticket.status))
    return f"{ticket.ref} — {ticket.subject} ({status})"


def guest_ticket(ctx: CommandContext, args: TicketArgs) -> Message:
    """Open a service ticket for the guest's customer, and tell the customer's owner."""
    if args.verb.lower() not in NEW_WORDS:
        raise DomainError("Open a ticket with /ticket new TEXT.")
    contact = contact_of(ctx)
    ticket = open_ticket(
        ctx.session,
        customer_id=contact.customer_id,
        contact_id=contact.id,
        subject=args.text,
        now=ctx.now,
        actor_id=None,
        policy=ctx.policies.tickets,
    )
    tell_watchers(ctx.session, ctx.outbox, ctx.policies, ticket, None)
    return Card(
        title=ctx.t(_("Ticket {ref} opened"), ref=ticket.ref),
        body=ticket.subject,
        footer=ctx.t(_("We will get back to you here. /tickets shows your tickets.")),
        status=CardStatus.SUCCESS,
    )


def guest_orders(ctx: CommandContext, _args: NoArgs) -> Message:
    """Orders come from the ERP, which is not there yet: say so, invent nothing."""
    return Reply(ctx.t(NO_ORDERS))


def guest_order(ctx: CommandContext, _args: OrderArgs) -> Message:
    """The status of one order, once the ERP exists (see ``guest_orders``)."""
    return Reply(ctx.t(NO_ORDERS))


def already_joined(ctx: CommandContext, _args: guest_invites.JoinArgs) -> Message:
    """A bound guest who opens an invite link again: nothing changes."""
    return Reply(ctx.t(_("This chat is already linked to you. /help shows what you can do.")))


NO_ORDERS = _("There are no orders to show yet.")


def register(router: Router) -> None:
    """Register the guests' own commands, the invites and the relay."""
    for spec in (
        CommandSpec(
            name="help",
            summary=_("Show what you can do here"),
            handler=guest_help,
            aliases=("帮助", "h"),
        ),
        CommandSpec(
            name="tickets",
            summary=_("List your service tickets"),
            handler=guest_tickets,
            aliases=("工单列表",),
        ),
        CommandSpec(
            name="ticket",
            summary=_("Open a service ticket: /ticket new TEXT"),
            handler=guest_ticket,
            args=TicketArgs,
            aliases=("工单",),
            examples=(_("/ticket new The printer jams"),),
        ),
        CommandSpec(
            name="orders",
            summary=_("List your orders"),
            handler=guest_orders,
            aliases=("订单列表",),
        ),
        CommandSpec(
            name="order",
            summary=_("Show the status of an order"),
            handler=guest_order,
            args=OrderArgs,
            aliases=("订单",),
        ),
        CommandSpec(
            name="join",
            summary=_("Link this chat with an invitation"),
            handler=already_joined,
            args=guest_invites.JoinArgs,
        ),
    ):
        router.add(replace(spec, audience=Audience.GUESTS))
    guest_invites.register(router)
    guest_relay.register(router)

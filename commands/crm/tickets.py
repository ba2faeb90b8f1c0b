"""/ticket (/工单): service tickets in chat — open, assign, update, resolve, close, show, list —
the SLA escalations, and the customer's rating buttons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.context import CommandContext, Policies, TimerContext, notify_member
from bot.i18n import _, t
from bot.parsing import record_number
from bot.pipeline.outbox import OutboxWriter
from bot.reader import Choice, Kind
from bot.replies import Card, CardStatus, Message, Reply
from bot.router import ActionSpec, CommandSpec, Router
from commands.crm import ticket_cards as cards
from commands.crm.lines import PRIORITY_CHOICES, customer_named, field, read_line
from commands.crm.reach import contact_of_actor, tell_contact
from domain.crm.access import contact_in_scope, customer_in_scope
from domain.crm.models import Customer, Ticket
from domain.crm.scope import Scope
from domain.crm.ticket_sla import KIND, record_breach
from domain.crm.tickets import (
    Listing,
    TicketView,
    assign_ticket,
    close_ticket,
    open_ticket,
    rate_ticket,
    resolve_ticket,
    ticket_in_scope,
    ticket_scope,
    tickets_for,
    timeline,
    update_ticket,
    view_of,
    watchers,
)
from domain.directory.roles import Permission
from domain.directory.services import find_member, member_view, member_views
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.timers.services import TimerView

log = structlog.get_logger()
T = TypeVar("T")
VERBS = {
    "new": "new",
    "新建": "new",
    "assign": "assign",
    "指派": "assign",
    "update": "update",
    "更新": "update",
    "resolve": "resolve",
    "解决": "resolve",
    "close": "close",
    "关闭": "close",
    "show": "show",
    "查看": "show",
    "list": "list",
    "列表": "list",
}
LISTINGS: dict[str, Listing] = {
    "mine": "mine",
    "我的": "mine",
    "open": "open",
    "未完成": "open",
    "all": "all",
    "全部": "all",
}


class TicketArgs(BaseModel):
    """``/ticket VERB …`` (no verb: a new ticket); the rest is read by ``commands/crm/lines``."""

    rest: str = Field(
        default="",
        description=_("new|assign|update|resolve|close|show|list …"),
        json_schema_extra={"rest": True},
    )


NEW_FIELDS = (
    field("customer", Kind.RECORD, positional=True),
    field("subject", positional=True),
    field("priority", Kind.CHOICE, choices=PRIORITY_CHOICES),
    field("category"),
    field("contact", Kind.RECORD),
)
STATUS_CHOICES = (
    Choice("in_progress", ("处理中", "in-progress")),
    Choice("waiting", ("等待", "等待客户")),
)
YES_NO = (Choice("yes", ("是", "公开", "true")), Choice("no", ("否", "false")))
UPDATE_FIELDS = (
    field("ticket", Kind.RECORD, positional=True),
    field("text", positional=True),
    field("status", Kind.CHOICE, choices=STATUS_CHOICES),
    field(
        "public",
        Kind.CHOICE,
        choices=(Choice("yes", ("是", "公开", "true")), Choice("no", ("否",))),
    ),
)


def ticket(ctx: CommandContext, args: TicketArgs) -> Message | None:
    """Route ``/ticket VERB …``; without a verb, ``/ticket 明远 printer jams`` opens a ticket and
    ``/ticket 12`` shows ticket 12."""
    word, _space, rest = ctx.typed.partition(" ")
    verb = VERBS.get(word.lower())
    if verb is None:
        verb, rest = ("show" if record_number(ctx.typed) is not None else "new"), ctx.typed
    return HANDLERS[verb](ctx, rest.strip())


def new(ctx: CommandContext, text: str) -> Message:
    """``/ticket new CUSTOMER SUBJECT [priority=] [category=] [contact=]``; the customer by
    number or name."""
    values = read_line(ctx, NEW_FIELDS, text).values
    if "customer" not in values or "subject" not in values:
        raise DomainError(_("Which customer? For example: /ticket new 12 printer jams"))
    scope = ticket_scope(ctx.session, ctx.actor.id, ctx.actor.roles)
    customer = _refused_if_missing(
        ctx, "customer", values["customer"], lambda: _customer(ctx, scope, values["customer"])
    )
    contact_id = record_number(values["contact"]) if "contact" in values else None
    if "contact" in values:
        number = contact_id or 0
        contact = _refused_if_missing(
            ctx, "contact", values["contact"], lambda: contact_in_scope(ctx.session, scope, number)
        )
        if contact.customer_id != customer.id:
            raise DomainError(
                _("Contact #{contact} is not one of customer #{customer}'s contacts."),
                contact=contact.id,
                customer=customer.id,
            )
    opened = open_ticket(
        ctx.session,
        customer_id=customer.id,
        contact_id=contact_id,
        subject=values["subject"],
        now=ctx.now,
        actor_id=ctx.actor.id,
        category=values.get("category", ""),
        priority=values.get("priority", "normal"),
        policy=ctx.policies.tickets,
    )
    tell_watchers(ctx.session, ctx.outbox, ctx.policies, opened, ctx.actor.id)
    return news(ctx, opened, _("Ticket #{id} opened"))


def assign(ctx: CommandContext, text: str) -> Message:
    """``/ticket assign N @member``."""
    number, handle = _number_and_text(
        ctx, text, _("Which ticket? For example: /ticket assign 12 @jack")
    )
    found = load_ticket(ctx, number)
    assignee = find_member(ctx.session, handle) if handle else None
    if assignee is None:
        raise DomainError(_("I don't know {who}. Say @handle."), who=handle or "?")
    assigned = assign_ticket(ctx.session, found, assignee, ctx.actor.id, ctx.now)
    if assignee.id != ctx.actor.id:
        headline = t(assignee.locale, _("Ticket #{id} is assigned to you"), id=assigned.id)
        buttons = cards.ticket_buttons(assigned, assignee)  # theirs: resolve it from here
        card = cards.news_card(ctx.session, assigned, assignee, ctx.now, headline, buttons)
        ctx.notify(assignee.id, card)
    return news(ctx, assigned, _("Ticket #{id} assigned"))


def update(ctx: CommandContext, line: str) -> Message:
    """``/ticket update N [status=in_progress|waiting] [public=yes] TEXT``."""
    values = read_line(ctx, UPDATE_FIELDS, line).values
    number = record_number(values.get("ticket", ""))
    if number is None:
        raise DomainError(_("Which ticket? For example: /ticket update 12 called the customer"))
    found = load_ticket(ctx, number)
    text, public = values.get("text", ""), values.get("public") == "yes"
    if public and (found.contact_id is None or not text):
        raise DomainError(_("public=yes needs a text and a ticket with a contact to tell."))
    updated = update_ticket(
        ctx.session,
        found,
        ctx.actor.id,
        ctx.now,
        text=text,
        status=values.get("status"),
        public=public,
    )
    card = news(ctx, updated, _("Ticket #{id} updated"))
    if public and updated.contact_id is not None:
        told = tell_contact(
            ctx.session,
            ctx.outbox,
            updated.contact_id,
            lambda loc: cards.customer_update_card(updated, loc, text),
            fallback_locale=ctx.org.locale,
        )
        footer = (
            _("The customer was told.")
            if told
            else _("The customer has no chat account: tell them yourself.")
        )
        return replace(card, footer=ctx.t(footer))
    return card


def resolve(ctx: CommandContext, line: str) -> Message:
    """``/ticket resolve N [TEXT]``: resolve, stop the clocks, ask the customer for a rating."""
    number, text = _number_and_text(
        ctx, line, _("Which ticket? For example: /ticket resolve 12 replaced the toner")
    )
    return resolved_card(ctx, load_ticket(ctx, number), text)


def resolved_card(ctx: CommandContext, found: Ticket, text: str) -> Card:
    """Resolve a ticket and ask its customer for a rating; the actor's card says so."""
    resolved = resolve_ticket(ctx.session, found, ctx.actor.id, ctx.now, text=text)
    card = news(ctx, resolved, _("Ticket #{id} resolved"))
    if resolved.contact_id is None:
        return card
    asked = tell_contact(
        ctx.session,
        ctx.outbox,
        resolved.contact_id,
        lambda loc: cards.rating_card(resolved, loc),
        fallback_locale=ctx.org.locale,
        subject=f"ticket-rating:{resolved.id}",
    )
    footer = (
        _("The customer was asked to rate it.")
        if asked
        else _("The customer has no chat account, so they were not asked to rate it.")
    )
    return replace(card, footer=ctx.t(footer))


def close(ctx: CommandContext, text: str) -> Message:
    """``/ticket close N``."""
    number, _rest = _number_and_text(ctx, text, _("Which ticket? For example: /ticket close 12"))
    return news(
        ctx,
        close_ticket(ctx.session, load_ticket(ctx, number), ctx.actor.id, ctx.now),
        _("Ticket #{id} closed"),
    )


def show(ctx: CommandContext, text: str) -> Message:
    """``/ticket show N``: the card with its timeline."""
    number, _rest = _number_and_text(ctx, text, _("Which ticket? For example: /ticket show 12"))
    found = view_of(load_ticket(ctx, number))
    events = timeline(ctx.session, found.id)
    buttons = cards.ticket_buttons(found, ctx.actor)
    return cards.ticket_card(ctx.session, found, ctx.actor, ctx.now, events=events, buttons=buttons)


class TicketsArgs(BaseModel):
    """``/tickets [mine|open|all]``."""

    which: str = Field(default="", description=_("mine|open|all"))


def list_tickets(ctx: CommandContext, args: TicketsArgs) -> Message:
    """``/tickets``: the open tickets the actor sees, as ``/ticket list``."""
    return listing(ctx, args.which)


def listing(ctx: CommandContext, text: str) -> Message:
    """``/ticket list [mine|open|all]``."""
    word = text.strip().lower() or "open"
    which = LISTINGS.get(word)
    if which is None:
        raise DomainError(_("List mine, open or all tickets, for example: /ticket list mine"))
    found = tickets_for(
        ctx.session, ticket_scope(ctx.session, ctx.actor.id, ctx.actor.roles), which
    )
    if not found:
        return Reply(ctx.t(_("No tickets.")))
    people = member_views(ctx.session, {v.assignee_id for v in found if v.assignee_id})
    return Card(
        title=ctx.t(_("Tickets ({count})"), count=len(found)),
        body="\n".join(cards.list_line(v, ctx.locale, people) for v in found),
        footer=ctx.t(_("See one with /ticket show N")),
    )


def tell_watchers(
    session: Session,
    outbox: OutboxWriter,
    policies: Policies,
    opened: TicketView,
    actor_id: int | None,
) -> int:
    """Tell the customer's owner and the service department's head of a new ticket (not the one
    who opened it); returns how many were told. The guests' /ticket new calls this too."""
    told = 0
    for member_id in watchers(session, opened, policies.tickets):
        if member_id == actor_id:
            continue
        reader = member_view(session, member_id)
        headline = t(reader.locale, _("New ticket #{id}"), id=opened.id)
        card = cards.news_card(session, opened, reader, opened.created_at, headline)
        notify_member(session, outbox, policies, member_id, card, subject=f"ticket:{opened.id}")
        told += 1
    return told


def rate_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """A customer's 1–5 button under "How did we do?": store the rating once, thank them."""
    contact_id = contact_of_actor(ctx.actor.id)
    if contact_id is None:
        raise Forbidden(_("Only the customer can rate their ticket."))
    rated = rate_ticket(ctx.session, int(target), contact_id, int(args["rating"]), ctx.now)
    if not rated:
        return already_rated(ctx, target, args)
    found = view_of(_ticket(ctx.session, int(target)))
    ctx.edit_card(
        Card(
            title=ctx.t(_("Thank you for your rating: {rating}/5"), rating=found.rating),
            status=CardStatus.SUCCESS,
        )
    )
    if found.assignee_id is not None:
        reader = member_view(ctx.session, found.assignee_id)
        headline = t(
            reader.locale, _("Ticket #{id} was rated {rating}/5"), id=found.id, rating=found.rating
        )
        ctx.notify(reader.id, cards.news_card(ctx.session, found, reader, ctx.now, headline))
    return None


def already_rated(ctx: CommandContext, _target: str, _args: dict[str, Any]) -> Message:
    """A second tap on a rating card."""
    return Reply(ctx.t(_("You have already rated this ticket. Thank you!")))


def fire_sla(ctx: TimerContext, timer: TimerView) -> None:
    """A ticket's clock ran out: record the breach once and tell the team lead."""
    ticket_id, clock = int(timer.payload["ticket"]), str(timer.payload["clock"])
    breach = record_breach(
        ctx.session,
        ticket_id,
        "response" if clock == "response" else "resolution",
        ctx.now,
        ctx.policies.tickets,
    )
    if breach is None or breach.lead_id is None:
        return
    lead = ctx.member(breach.lead_id)
    found = view_of(_ticket(ctx.session, ticket_id))
    ctx.notify(
        lead.id,
        cards.breach_card(ctx.session, found, breach.clock, lead, ctx.now),
        subject=f"ticket:{ticket_id}",
    )


def news(ctx: CommandContext, ticket: TicketView, headline: str) -> Card:
    """The actor's card of a ticket under a headline, with what they can do next."""
    buttons = cards.ticket_buttons(ticket, ctx.actor)
    headline = ctx.t(headline, id=ticket.id)
    return cards.news_card(ctx.session, ticket, ctx.actor, ctx.now, headline, buttons)


def load_ticket(ctx: CommandContext, number: int) -> Ticket:
    """A ticket the actor may see and work on; ``NotFound`` (logged) otherwise."""
    scope = ticket_scope(ctx.session, ctx.actor.id, ctx.actor.roles)
    return _refused_if_missing(
        ctx, "ticket", number, lambda: ticket_in_scope(ctx.session, scope, number)
    )


def _ticket(session: Session, ticket_id: int) -> Ticket:
    found = session.get(Ticket, ticket_id)
    if found is None:
        raise NotFound("There is no such ticket.")
    return found


def _customer(ctx: CommandContext, scope: Scope, text: str) -> Customer:
    """The customer by number, or by name among those the ticket scope covers."""
    number = record_number(text)
    if number is not None:
        return customer_in_scope(ctx.session, scope, number)
    return customer_named(ctx, text, within=scope)


def _refused_if_missing(
    ctx: CommandContext, kind: str, number: int | str, load: Callable[[], T]
) -> T:
    try:
        return load()
    except NotFound:
        log.warning("refused.not_visible", member=ctx.actor.handle, kind=kind, id=number)
        raise


TICKET_AND_TEXT = (field("ticket", Kind.RECORD, positional=True), field("text", positional=True))


def _number_and_text(ctx: CommandContext, line: str, example: str) -> tuple[int, str]:
    """The ticket's number and the text after it (a ``key=`` the command does not take is
    refused)."""
    values = read_line(ctx, TICKET_AND_TEXT, line).values
    number = record_number(values.get("ticket", ""))
    if number is None:
        raise DomainError(example)
    return number, values.get("text", "")


HANDLERS = {
    "new": new,
    "assign": assign,
    "update": update,
    "resolve": resolve,
    "close": close,
    "show": show,
    "list": listing,
}


def register(router: Router) -> None:
    """Register /ticket and the rating buttons."""
    router.add(
        CommandSpec(
            name="ticket",
            summary=_("Service tickets: open, assign, update, resolve, close, list"),
            handler=ticket,
            args=TicketArgs,
            aliases=("工单",),
            permission=Permission.CRM_USE,
            details=_(
                "Open a ticket for a customer, assign it, add updates (public=yes also tells the "
                "customer), resolve and close it. Each priority has a first-response and a "
                "resolution deadline in working hours; overdue tickets go to the team lead."
            ),
            examples=(
                _("/ticket new 12 printer jams priority=high contact=3"),
                _("/ticket assign 7 @jack"),
                _("/ticket update 7 status=in_progress public=yes we are on it"),
                _("/ticket resolve 7 replaced the toner"),
                _("/ticket list mine"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="tickets",
            summary=_("Open tickets you can see, or only yours, or all"),
            handler=list_tickets,
            args=TicketsArgs,
            aliases=("工单列表",),
            permission=Permission.CRM_USE,
            examples=(_("/tickets"), _("/tickets mine"), _("/tickets all")),
        )
    )
    router.add_action(
        ActionSpec(name=cards.RATE_ACTION, handler=rate_button, on_stale=already_rated, guests=True)
    )


TIMER_HANDLERS = {KIND: fire_sla}

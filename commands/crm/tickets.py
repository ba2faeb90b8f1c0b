"""/ticket (/工单): service tickets in chat — open, assign, update, resolve, close, show, list —
the SLA escalations, and the customer's rating buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.context import CommandContext, Policies, TimerContext, notify_member
from bot.i18n import _, t
from bot.parsing import RecordNumber, record_number
from bot.pipeline.outbox import OutboxWriter
from bot.replies import Card, CardStatus, Message, Reply
from bot.router import ActionSpec, CommandSpec, Router
from commands.crm import ticket_cards as cards
from commands.crm.reach import contact_of_actor, tell_contact
from domain.crm.access import contact_in_scope, customer_in_scope
from domain.crm.models import Ticket
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
PRIORITY_WORDS = {"低": "low", "普通": "normal", "高": "high", "紧急": "urgent"}
STATUS_WORDS = {
    "处理中": "in_progress",
    "in-progress": "in_progress",
    "等待": "waiting",
    "等待客户": "waiting",
}
OPTIONS_OF = {"new": {"priority", "category", "contact"}, "update": {"status", "public"}}


class TicketArgs(BaseModel):
    """``/ticket VERB …`` with its options."""

    verb: str = Field(description=_("new|assign|update|resolve|close|show|list"))
    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})
    priority: str | None = Field(
        default=None, description=_("priority"), json_schema_extra={"aliases": ["优先级"]}
    )
    category: str | None = Field(
        default=None, description=_("category"), json_schema_extra={"aliases": ["类别"]}
    )
    contact: RecordNumber | None = Field(
        default=None,
        description=_("contact"),
        json_schema_extra={"aliases": ["联系人"]},
    )
    status: str | None = Field(
        default=None, description=_("status"), json_schema_extra={"aliases": ["状态"]}
    )
    public: bool = Field(
        default=False, description=_("public"), json_schema_extra={"aliases": ["公开"]}
    )


def ticket(ctx: CommandContext, args: TicketArgs) -> Message | None:
    """Route ``/ticket VERB`` to its handler."""
    verb = VERBS.get(args.verb.lower())
    if verb is None:
        raise DomainError(_("Use /ticket new, assign, update, resolve, close, show or list."))
    _only_known_options(verb, args)
    return HANDLERS[verb](ctx, args)


def _only_known_options(verb: str, args: TicketArgs) -> None:
    given = [
        k for k in ("priority", "category", "contact", "status") if getattr(args, k) is not None
    ]
    given += ["public"] if args.public else []
    extra = [k for k in given if k not in OPTIONS_OF.get(verb, set())]
    if extra:
        raise DomainError(_("/ticket {verb} does not take {option}="), verb=verb, option=extra[0])


def new(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket new CUSTOMER SUBJECT [priority=] [category=] [contact=]``."""
    number, subject = _number_and_text(
        args.rest, _("Which customer? For example: /ticket new 12 printer jams")
    )
    scope = ticket_scope(ctx.session, ctx.actor.id, ctx.actor.roles)
    customer = _refused_if_missing(
        ctx, "customer", number, lambda: customer_in_scope(ctx.session, scope, number)
    )
    if args.contact is not None:
        contact_id = args.contact
        contact = _refused_if_missing(
            ctx, "contact", contact_id, lambda: contact_in_scope(ctx.session, scope, contact_id)
        )
        if contact.customer_id != customer.id:
            raise DomainError(
                _("Contact #{contact} is not one of customer #{customer}'s contacts."),
                contact=contact.id,
                customer=customer.id,
            )
    priority = (args.priority or "normal").lower()
    opened = open_ticket(
        ctx.session,
        customer_id=customer.id,
        contact_id=args.contact,
        subject=subject,
        now=ctx.now,
        actor_id=ctx.actor.id,
        category=args.category or "",
        priority=PRIORITY_WORDS.get(priority, priority),
        policy=ctx.policies.tickets,
    )
    tell_watchers(ctx.session, ctx.outbox, ctx.policies, opened, ctx.actor.id)
    return _news(ctx, opened, _("Ticket #{id} opened"))


def assign(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket assign N @member``."""
    number, handle = _number_and_text(
        args.rest, _("Which ticket? For example: /ticket assign 12 @jack")
    )
    found = _load(ctx, number)
    assignee = find_member(ctx.session, handle) if handle else None
    if assignee is None:
        raise DomainError(_("I don't know {who}. Say @handle."), who=handle or "?")
    assigned = assign_ticket(ctx.session, found, assignee, ctx.actor.id, ctx.now)
    if assignee.id != ctx.actor.id:
        headline = t(assignee.locale, _("Ticket #{id} is assigned to you"), id=assigned.id)
        ctx.notify(assignee.id, cards.news_card(ctx.session, assigned, assignee, ctx.now, headline))
    return _news(ctx, assigned, _("Ticket #{id} assigned"))


def update(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket update N [status=in_progress|waiting] [public=yes] TEXT``."""
    number, text = _number_and_text(
        args.rest, _("Which ticket? For example: /ticket update 12 called the customer")
    )
    found = _load(ctx, number)
    if args.public and (found.contact_id is None or not text):
        raise DomainError(_("public=yes needs a text and a ticket with a contact to tell."))
    status = STATUS_WORDS.get(args.status.lower(), args.status) if args.status else None
    updated = update_ticket(
        ctx.session, found, ctx.actor.id, ctx.now, text=text, status=status, public=args.public
    )
    card = _news(ctx, updated, _("Ticket #{id} updated"))
    if args.public and updated.contact_id is not None:
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
        return Card(card.title, card.body, card.fields, footer=ctx.t(footer), status=card.status)
    return card


def resolve(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket resolve N [TEXT]``: resolve, stop the clocks, ask the customer for a rating."""
    number, text = _number_and_text(
        args.rest, _("Which ticket? For example: /ticket resolve 12 replaced the toner")
    )
    resolved = resolve_ticket(ctx.session, _load(ctx, number), ctx.actor.id, ctx.now, text=text)
    card = _news(ctx, resolved, _("Ticket #{id} resolved"))
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
    return Card(card.title, card.body, card.fields, footer=ctx.t(footer), status=card.status)


def close(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket close N``."""
    number, _rest = _number_and_text(args.rest, _("Which ticket? For example: /ticket close 12"))
    return _news(
        ctx,
        close_ticket(ctx.session, _load(ctx, number), ctx.actor.id, ctx.now),
        _("Ticket #{id} closed"),
    )


def show(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket show N``: the card with its timeline."""
    number, _rest = _number_and_text(args.rest, _("Which ticket? For example: /ticket show 12"))
    found = view_of(_load(ctx, number))
    events = timeline(ctx.session, found.id)
    return cards.ticket_card(ctx.session, found, ctx.actor, ctx.now, events=events)


def listing(ctx: CommandContext, args: TicketArgs) -> Message:
    """``/ticket list [mine|open|all]``."""
    word = args.rest.strip().lower() or "open"
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


def _news(ctx: CommandContext, ticket: TicketView, headline: str) -> Card:
    return cards.news_card(ctx.session, ticket, ctx.actor, ctx.now, ctx.t(headline, id=ticket.id))


def _load(ctx: CommandContext, number: int) -> Ticket:
    scope = ticket_scope(ctx.session, ctx.actor.id, ctx.actor.roles)
    return _refused_if_missing(
        ctx, "ticket", number, lambda: ticket_in_scope(ctx.session, scope, number)
    )


def _ticket(session: Session, ticket_id: int) -> Ticket:
    found = session.get(Ticket, ticket_id)
    if found is None:
        raise NotFound("There is no such ticket.")
    return found


def _refused_if_missing(ctx: CommandContext, kind: str, number: int, load: Callable[[], T]) -> T:
    try:
        return load()
    except NotFound:
        log.warning("refused.not_visible", member=ctx.actor.handle, kind=kind, id=number)
        raise


def _number_and_text(rest: str, example: str) -> tuple[int, str]:
    head, _space, text = rest.strip().partition(" ")
    number = record_number(head)
    if number is None:
        raise DomainError(example)
    return number, text.strip()


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
                "/ticket new 12 printer jams priority=high contact=3",
                "/ticket assign 7 @jack",
                "/ticket update 7 status=in_progress public=yes we are on it",
                "/ticket resolve 7 replaced the toner",
                "/ticket list mine",
                "/工单 查看 7",
            ),
        )
    )
    router.add_action(
        ActionSpec(name=cards.RATE_ACTION, handler=rate_button, on_stale=already_rated, guests=True)
    )


TIMER_HANDLERS = {KIND: fire_sla}

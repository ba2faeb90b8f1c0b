"""How tickets look in chat: the card with its timeline (and the orders the ticket names, read
from the ERP: domain/flows/ticket_orders.py), list lines, and the cards sent to the team lead,
the assignee, watchers and the customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.formatting import moment
from bot.i18n import _, t
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Field
from commands.erp.sales_cards import STATUS_LABELS as SALES_STATUS
from domain.crm.models import Contact, Customer
from domain.crm.tickets import EventView, TicketView
from domain.directory.services import member_views
from domain.directory.views import MemberView
from domain.flows.ticket_orders import OrderOnTicket, orders_named
from domain.shared.quantity import plain

STATUS = {
    "new": _("new"),
    "assigned": _("assigned"),
    "in_progress": _("in progress"),
    "waiting": _("waiting for customer"),
    "resolved": _("resolved"),
    "closed": _("closed"),
}
PRIORITY = {"low": _("low"), "normal": _("normal"), "high": _("high"), "urgent": _("urgent")}
EVENT = {
    "opened": _("opened"),
    "assigned": _("assigned to @{body}"),
    "status": _("status: {status}"),
    "note": _("note: {body}"),
    "reply": _("reply to the customer: {body}"),
    "resolved": _("resolved"),
    "closed": _("closed"),
    "rated": _("rated {body}/5"),
    "response_breached": _("first response overdue"),
    "resolution_breached": _("resolution overdue"),
}
CARD_STATUS = {
    "new": CardStatus.PENDING,
    "assigned": CardStatus.PENDING,
    "in_progress": CardStatus.INFO,
    "waiting": CardStatus.INFO,
    "resolved": CardStatus.SUCCESS,
    "closed": CardStatus.SUCCESS,
}
SHOWN_EVENTS = 15
RATE_ACTION = "ticket.rate"
ASSIGN_ME_ACTION = "crm.ticket.assign_me"
ASSIGN_ACTION = "crm.ticket.assign"  # asks to whom, with a button per member
RESOLVE_ACTION = "crm.ticket.resolve"
CLOSE_ACTION = "crm.ticket.close"


def status_label(locale: str, status: str) -> str:
    """A status in the reader's words."""
    return t(locale, STATUS.get(status, status))


def priority_label(locale: str, priority: str) -> str:
    """A priority in the reader's words."""
    return t(locale, PRIORITY.get(priority, priority))


def who(member: MemberView | None) -> str:
    """``Name (@handle)``, or a dash for nobody."""
    return f"{member.name} (@{member.handle})" if member else "—"


def ticket_card(
    session: Session,
    ticket: TicketView,
    reader: MemberView,
    now: datetime,
    *,
    events: list[EventView] | None = None,
    buttons: tuple[Button, ...] = (),
) -> Card:
    """A ticket's card for a member; with ``events``, its timeline (the newest ones) too."""
    loc, tz = reader.locale, reader.timezone
    ids = {e.actor_id for e in events or () if e.actor_id} | {ticket.assignee_id or 0}
    people = member_views(session, ids - {0})
    customer = session.get(Customer, ticket.customer_id)
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    fields = [
        Field(
            t(loc, _("Customer")), f"{customer.name} (#{ticket.customer_id})" if customer else ""
        ),
        Field(t(loc, _("Contact")), contact.name if contact else "—"),
        Field(t(loc, _("Priority")), priority_label(loc, ticket.priority)),
        Field(t(loc, _("Status")), status_label(loc, ticket.status)),
        Field(t(loc, _("Assignee")), who(people.get(ticket.assignee_id or 0))),
        Field(t(loc, _("Opened")), moment(ticket.created_at, loc, tz, now=now)),
    ]
    if ticket.category:
        fields.insert(3, Field(t(loc, _("Category")), ticket.category))
    if ticket.rating is not None:
        fields.append(Field(t(loc, _("Rating")), f"{ticket.rating}/5"))
    body = ""
    if events is not None:
        named = [ticket.subject, *(e.body for e in events)]
        orders = orders_named(session, ticket.customer_id, named)
        timeline = [_event_line(e, loc, tz, now, people) for e in events[-SHOWN_EVENTS:]]
        body = "\n".join([*_order_lines(orders, loc, tz, now), *timeline])
    return Card(
        title=t(loc, _("Ticket #{id}: {subject}"), id=ticket.id, subject=ticket.subject),
        body=body,
        fields=tuple(fields),
        footer=ticket.ref,
        status=CARD_STATUS.get(ticket.status, CardStatus.INFO),
        buttons=buttons,
    )


def ticket_buttons(ticket: TicketView, reader: MemberView) -> tuple[Button, ...]:
    """What the reader can do next: assign (to themselves, or to someone) and resolve an open
    ticket; close a resolved one."""
    if ticket.status == "closed":
        return ()
    loc, n = reader.locale, ticket.id
    word = "/工单" if loc.startswith("zh") else "/ticket"
    close = Button(
        t(loc, _("Close")),
        Action(CLOSE_ACTION, str(n)),
        command=f"{word} {'关闭' if loc.startswith('zh') else 'close'} {n}",
    )
    if ticket.status == "resolved":
        return (close,)
    assign = "指派" if loc.startswith("zh") else "assign"
    buttons = [
        Button(
            t(loc, _("Assign to someone")),
            Action(ASSIGN_ACTION, str(n), single_use=False),  # it only asks
            command=f"{word} {assign} {n} @…",
        ),
        Button(
            t(loc, _("Resolve")),
            Action(RESOLVE_ACTION, str(n)),
            ButtonStyle.PRIMARY,
            command=f"{word} {'解决' if loc.startswith('zh') else 'resolve'} {n}",
        ),
    ]
    if ticket.assignee_id != reader.id:
        mine = Button(
            t(loc, _("Assign to me")),
            Action(ASSIGN_ME_ACTION, str(n)),
            command=f"{word} {assign} {n} @{reader.handle}",
        )
        buttons.insert(0, mine)
    return tuple(buttons)


def _order_lines(orders: list[OrderOnTicket], loc: str, tz: str, now: datetime) -> list[str]:
    """The orders a ticket names: status, what each line is at, and the shipments."""
    shown: list[str] = []
    for order in orders:
        status = t(loc, SALES_STATUS.get(order.status, order.status))
        shown.append(t(loc, _("📦 Order {number} · {status}"), number=order.number, status=status))
        for line in order.lines:
            name = (line.name_zh or line.name_en) if loc.startswith("zh") else line.name_en
            shown.append("    " + t(
                loc, _("{sku} {name} × {qty}: reserved {reserved}, delivered {delivered}"),
                sku=line.sku, name=name or line.name_zh, qty=plain(line.quantity),
                reserved=plain(line.reserved), delivered=plain(line.delivered),
            ))  # fmt: skip
        for at, tracking in order.shipments:
            when = moment(at, loc, tz, now=now)
            shown.append("    " + t(loc, _("Shipped {when}, tracking {tracking}"), when=when,
                                    tracking=tracking or "—"))  # fmt: skip
        if not order.shipments:
            shown.append("    " + t(loc, _("Not shipped yet")))
    return shown


def _event_line(
    event: EventView, loc: str, tz: str, now: datetime, people: dict[int, MemberView]
) -> str:
    actor = people.get(event.actor_id or 0)
    by = f"@{actor.handle}" if actor else t(loc, _("customer"))
    if event.kind.endswith("_breached"):
        by = "⚠"
    what = t(loc, EVENT.get(event.kind, event.kind), body=event.body,
             status=status_label(loc, event.body))  # fmt: skip
    return f"{moment(event.at, loc, tz, now=now)} · {by} · {what}"


def list_line(ticket: TicketView, locale: str, people: dict[int, MemberView]) -> str:
    """One line of ``/ticket list``."""
    assignee = people.get(ticket.assignee_id or 0)
    handle = f" · @{assignee.handle}" if assignee else ""
    return (
        f"#{ticket.id} · {priority_label(locale, ticket.priority)} · "
        f"{status_label(locale, ticket.status)} · {ticket.subject}{handle}"
    )


def breach_card(
    session: Session, ticket: TicketView, clock: str, lead: MemberView, now: datetime
) -> Card:
    """What the team lead gets when a ticket's clock runs out."""
    card = ticket_card(session, ticket, lead, now)
    title = (
        _("⚠ Ticket #{id}: first response overdue")
        if clock == "response"
        else _("⚠ Ticket #{id}: resolution overdue")
    )
    return Card(
        title=t(lead.locale, title, id=ticket.id),
        body=ticket.subject,
        fields=card.fields,
        footer=t(lead.locale, _("See it with /ticket show {id}"), id=ticket.id),
        status=CardStatus.DANGER,
    )


def news_card(
    session: Session,
    ticket: TicketView,
    reader: MemberView,
    now: datetime,
    headline: str,
    buttons: tuple[Button, ...] = (),
) -> Card:
    """A ticket card under a headline already in the reader's language."""
    card = ticket_card(session, ticket, reader, now)
    return Card(
        title=headline,
        body=ticket.subject,
        fields=card.fields,
        footer=t(reader.locale, _("See it with /ticket show {id}"), id=ticket.id)
        + f" · {ticket.ref}",  # the reference the customer quotes
        status=card.status,
        buttons=buttons,
    )


def rating_card(ticket: TicketView, locale: str) -> Card:
    """The customer's "How did we do?" card, with a button per score."""
    buttons = tuple(
        Button(str(score), Action(RATE_ACTION, target=str(ticket.id), args={"rating": score}))
        for score in range(1, 6)
    )
    return Card(
        title=t(locale, _("How did we do?")),
        body=t(
            locale,
            _("Your ticket {ref} ({subject}) is resolved. Please rate our service from 1 to 5."),
            ref=ticket.ref,
            subject=ticket.subject,
        ),
        buttons=buttons,
        status=CardStatus.SUCCESS,
    )


def customer_update_card(ticket: TicketView, locale: str, text: str) -> Card:
    """A public update, as the customer sees it."""
    return Card(
        title=t(locale, _("Update on your ticket {ref}"), ref=ticket.ref),
        body=text,
        fields=(Field(t(locale, _("Status")), status_label(locale, ticket.status)),),
        status=CardStatus.INFO,
    )

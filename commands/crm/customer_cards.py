"""How customers look in chat: the customer card, list lines and what reps are told."""

from __future__ import annotations

from bot.context import CommandContext
from bot.formatting import moment, money
from bot.i18n import _
from bot.replies import Action, Button, Card, CardStatus
from bot.replies import Field as CardField
from domain.crm.customers import (
    ContactView,
    CustomerView,
    Found,
    contacts_of,
    customer_view,
    open_deals_of,
    open_tickets_of,
)
from domain.crm.external_links import LinkView, links_of_contacts
from domain.crm.history import ActivityView, history_of
from domain.crm.models import Customer
from domain.crm.purchases import PurchaseHistory, WonDealPurchases
from domain.erp.sales_views import open_order_numbers, order_count

LOG_CALL_ACTION = "crm.customer.log_call"
NEW_DEAL_ACTION = "crm.customer.new_deal"
HISTORY_SHOWN = 10
PURCHASES_SHOWN = 10
ORDERS_SHOWN = 5
PURCHASE_HISTORY: PurchaseHistory = WonDealPurchases()  # the ERP replaces this with its orders


def customer_card(
    ctx: CommandContext,
    customer: Customer,
    title: str | None = None,
    status: CardStatus = CardStatus.INFO,
) -> Card:
    """Everything about a customer a member in scope may see."""
    view = customer_view(ctx.session, customer)
    fields = _profile(ctx, view)
    sections = [
        (_("Contacts"), _contacts(ctx, customer.id)),
        (_("Recent history"), _history(ctx, customer.id)),
        (_("Open deals"), _deals(ctx, customer.id)),
        (_("Open tickets"), _tickets(ctx, customer.id)),
        (_("Purchases"), _purchases(ctx, customer.id)),
        (_("Sales orders"), _orders(ctx, customer.id)),
    ]
    fields += [CardField(ctx.t(label), "\n".join(lines)) for label, lines in sections if lines]
    return Card(
        title=title or ctx.t(_("Customer #{id}: {name}"), id=view.id, name=view.name),
        fields=tuple(fields),
        status=status,
        buttons=customer_buttons(ctx, customer.id),
    )


def customer_buttons(ctx: CommandContext, customer_id: int) -> tuple[Button, ...]:
    """Log a call and New deal: each asks for what it needs (they only ask, so they stay)."""
    zh = ctx.locale.startswith("zh")
    target = str(customer_id)
    return (
        Button(
            ctx.t(_("Log a call")),
            Action(LOG_CALL_ACTION, target, single_use=False),
            command=f"/跟进 {customer_id} 电话 …" if zh else f"/log {customer_id} call …",
        ),
        Button(
            ctx.t(_("New deal")),
            Action(NEW_DEAL_ACTION, target, single_use=False),
            command=f"/商机 新增 {customer_id} …" if zh else f"/deal add {customer_id} …",
        ),
    )


def _profile(ctx: CommandContext, c: CustomerView) -> list[CardField]:
    kind = ctx.t(_("company")) if c.kind == "company" else ctx.t(_("person"))
    pairs = [
        (_("Kind"), kind),
        (_("Owner"), f"{c.owner_name} (@{c.owner_handle})"),
        (_("Industry"), c.industry),
        (_("Tier"), c.tier),
        (_("Source"), c.source),
        (_("Tags"), ", ".join(c.tags)),
        (_("Phone"), c.phone),
        (_("Email"), c.email),
        (_("Address"), c.address),
        (_("External key"), c.external_key or ""),
    ]
    return [CardField(ctx.t(label), value) for label, value in pairs if value]


def contact_line(c: ContactView) -> str:
    """``#3 Li Lei (CTO) · +86 138… · li@x.cn``."""
    head = f"#{c.id} {c.name}" + (f" ({c.title})" if c.title else "")
    return " · ".join([head, *c.phones, *c.emails])


def _contacts(ctx: CommandContext, customer_id: int) -> list[str]:
    contacts = contacts_of(ctx.session, customer_id)
    links = links_of_contacts(ctx.session, [c.id for c in contacts])
    return [
        " · ".join([contact_line(c), *(_wecom(ctx, link) for link in links.get(c.id, []))])
        for c in contacts
    ]


def _wecom(ctx: CommandContext, link: LinkView) -> str:
    if link.active:
        return ctx.t(_("WeCom #{number}"), number=link.external_contact_id)
    return ctx.t(_("WeCom #{number} (removed)"), number=link.external_contact_id)


def _history(ctx: CommandContext, customer_id: int) -> list[str]:
    entries = history_of(ctx.session, customer_id, limit=HISTORY_SHOWN, include_internal=True)
    return [history_line(ctx, a) for a in entries]


KIND_LABELS = {
    "call": _("call"),
    "visit": _("visit"),
    "meeting": _("meeting"),
    "message": _("message"),
    "email": _("email"),
    "note": _("internal note"),
}


def history_line(ctx: CommandContext, a: ActivityView) -> str:
    """``Mon, Nov 30 10:00 call (Li Lei) — Bob: asked for a quote``; notes marked 🔒."""
    when = moment(a.occurred_at, ctx.locale, ctx.actor.timezone, now=ctx.now)
    mark = "🔒 " if a.internal else ""
    kind = ctx.t(KIND_LABELS.get(a.kind, a.kind))
    who = f" ({a.contact_name})" if a.contact_name else ""
    author = f"{a.author_name}: " if a.author_name else ""
    return f"{mark}{when} {kind}{who} — {author}{a.body}"


def _deals(ctx: CommandContext, customer_id: int) -> list[str]:
    return [
        f"#{d.id} {d.name} · {d.stage} · {money(d.amount, d.currency, ctx.locale)}"
        for d in open_deals_of(ctx.session, customer_id)
    ]


def _tickets(ctx: CommandContext, customer_id: int) -> list[str]:
    return [
        f"#{t.id} {t.ref} {t.subject} · {t.status}"
        for t in open_tickets_of(ctx.session, customer_id)
    ]


def _purchases(ctx: CommandContext, customer_id: int) -> list[str]:
    bought = PURCHASE_HISTORY.purchases(ctx.session, customer_id)[:PURCHASES_SHOWN]
    return [
        f"{p.day.isoformat()} {p.reference} {p.description} · "
        f"{money(p.amount, p.currency, ctx.locale)} · {p.status}"
        for p in bought
    ]


def _orders(ctx: CommandContext, customer_id: int) -> list[str]:
    """``3 in all, 1 open: SO2026-00003`` (nothing when there are none)."""
    counted = order_count(ctx.session, customer_id)
    if not counted.orders:
        return []
    line = ctx.t(_("{count} in all, {open} open"), count=counted.orders, open=counted.open)
    numbers = open_order_numbers(ctx.session, customer_id, limit=ORDERS_SHOWN)
    return [f"{line}: {', '.join(numbers)}" if numbers else line]


def customer_line(c: CustomerView) -> str:
    """``#12 Acme Ltd · @bob · +86 21 5555 · info@acme.cn``."""
    details = [d for d in (c.phone, c.email) if d]
    return " · ".join([f"#{c.id} {c.name}", f"@{c.owner_handle}", *details])


def customer_list(ctx: CommandContext, title: str, found: Found, shown_from: int = 0) -> Card:
    """A titled list of customers, with "showing N of M" when there are more."""
    if not found.customers:
        return Card(title=title, body=ctx.t(_("No customers.")))
    footer = ""
    if found.total > len(found.customers):
        footer = ctx.t(
            _("Showing {first}–{last} of {total}."),
            first=shown_from + 1,
            last=shown_from + len(found.customers),
            total=found.total,
        )
    return Card(
        title=title, body="\n".join(customer_line(c) for c in found.customers), footer=footer
    )

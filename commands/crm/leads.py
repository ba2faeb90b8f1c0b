"""/lead and /leads: prospects, their campaign, and converting them into customers and deals."""

from __future__ import annotations

from datetime import date

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError, record_number
from bot.reader import Choice, Kind
from bot.replies import Card, CardStatus, Message
from bot.replies import Field as CardField
from bot.router import CommandSpec, Router
from commands.crm.deals import deal_amount, today_of
from commands.crm.lines import field, read_line
from domain.crm.deals import DealTerms
from domain.crm.leads import (
    Conversion,
    DealRequest,
    LeadDraft,
    LeadView,
    add_lead,
    convert_lead,
    drop_lead,
    lead_in_scope,
    open_leads,
    view_of,
)
from domain.crm.scope import Scope, scope_of
from domain.directory.roles import Permission
from domain.directory.services import member_views
from domain.directory.views import MemberView
from domain.shared.errors import DomainError, NotFound

ADD_WORDS = {"add", "new", "新建", "添加"}
CONVERT_WORDS = {"convert", "转化", "转换"}
DROP_WORDS = {"drop", "放弃"}
MINE_WORDS = {"mine", "我的"}
LEAD_FIELDS = (
    field("name", positional=True),
    field("company"),
    field("phone"),
    field("email"),
    field("campaign", Kind.RECORD),
)
DEAL_FIELDS = (field("deal"), field("amount", Kind.MONEY), field("close", Kind.DATE))
LISTED = 30
STATUS = {"open": _("open"), "converted": _("converted"), "dropped": _("dropped")}
log = structlog.get_logger(__name__)


class LeadArgs(BaseModel):
    """``/lead add NAME …``, ``/lead N``, ``/lead convert N …``, ``/lead drop N``."""

    text: str = Field(
        default="", description=_("add NAME | N | convert N | drop N"),
        json_schema_extra={"rest": True},
    )  # fmt: skip


class LeadsArgs(BaseModel):
    """``/leads [mine|campaign=N]``."""

    text: str = Field(
        default="", description=_("mine | campaign=N"), json_schema_extra={"rest": True}
    )


def lead(ctx: CommandContext, args: LeadArgs) -> Message:
    """Add, show, convert or drop a lead."""
    words = ctx.typed.split()
    head = words[0].lower() if words else ""
    if head in ADD_WORDS:
        return add(ctx, ctx.typed.partition(" ")[2])
    acting = head in CONVERT_WORDS | DROP_WORDS
    rest = words[1:] if acting else words
    lead_id = record_number(rest[0]) if rest else None
    if lead_id is None or (not acting and len(rest) > 1):
        raise DomainError(_("Which lead? Give its number, e.g. /lead convert 12."))
    scope = scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)
    try:
        if head in DROP_WORDS:
            return dropped(ctx, scope, lead_id)
        if acting:
            return convert(ctx, scope, lead_id, " ".join(rest[1:]))
        return lead_card(ctx, view_of(lead_in_scope(ctx.session, scope, lead_id)))
    except NotFound:
        log.warning("refused.lead_not_visible", member=ctx.actor.handle, lead=lead_id)
        raise


def add(ctx: CommandContext, text: str) -> Message:
    """Add a lead owned by the actor."""
    values = read_line(ctx, LEAD_FIELDS, text).values
    campaign = values.get("campaign")
    campaign_id = record_number(campaign) if campaign else None
    if campaign and campaign_id is None:
        raise ArgumentError("{field} must be a number.", field="campaign")
    draft = LeadDraft(
        name=values.get("name", ""),
        company=values.get("company", ""),
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        campaign_id=campaign_id,
    )
    created = add_lead(ctx.session, draft, ctx.actor.id, ctx.now)
    return lead_card(ctx, created, title=_("✅ Lead #{id} added: {name}"))


def convert(ctx: CommandContext, scope: Scope, lead_id: int, text: str) -> Message:
    """Convert a lead into a customer and, with ``deal=NAME amount=…``, a deal."""
    values = read_line(ctx, DEAL_FIELDS, text).values
    done = convert_lead(ctx.session, scope, lead_id, _deal_request(ctx, values), ctx.now)
    return conversion_card(ctx, done)


def _deal_request(ctx: CommandContext, values: dict[str, str]) -> DealRequest | None:
    """The deal to open with the customer, checked and typed as ``/deal add`` takes it."""
    if not values:
        return None
    for key in ("deal", "amount", "close"):
        if not values.get(key):
            raise ArgumentError("Missing {field}.", field=f"{key}=")
    currency = ctx.org.currency
    terms = DealTerms(
        amount=deal_amount(values["amount"], currency),
        currency=currency,
        close=date.fromisoformat(values["close"]),
    )
    return DealRequest(values["deal"], terms, ctx.policies.deals, today_of(ctx))


def dropped(ctx: CommandContext, scope: Scope, lead_id: int) -> Message:
    """Drop a lead."""
    view = drop_lead(ctx.session, scope, lead_id, ctx.now)
    return Card(
        title=ctx.t(_("Lead #{id} dropped: {name}"), id=view.id, name=view.name),
        status=CardStatus.WARNING,
    )


def leads(ctx: CommandContext, args: LeadsArgs) -> Message:
    """The open leads in the actor's scope, their own, or a campaign's."""
    fields = (
        field("which", Kind.CHOICE, positional=True, choices=(Choice("mine", ("我的",)),)),
        field("campaign", Kind.RECORD),
    )
    options = read_line(ctx, fields, ctx.typed).values
    mine = options.get("which") == "mine"
    campaign_id = record_number(options["campaign"]) if options.get("campaign") else None
    if options.get("campaign") and campaign_id is None:
        raise ArgumentError("{field} must be a number.", field="campaign")
    scope = scope_of(ctx.session, ctx.actor.id, ctx.actor.roles)
    rows = open_leads(ctx.session, scope, mine=mine, campaign_id=campaign_id, limit=LISTED)
    if not rows:
        return Card(title=ctx.t(_("Open leads")), body=ctx.t(_("No open leads.")))
    owners = member_views(ctx.session, {r.owner_id for r in rows})
    return Card(title=ctx.t(_("Open leads")), body="\n".join(_line(r, owners) for r in rows))


def _line(view: LeadView, owners: dict[int, MemberView]) -> str:
    company = f" ({view.company})" if view.company else ""
    campaign = f" · 📣#{view.campaign_id}" if view.campaign_id else ""
    owner = owners.get(view.owner_id)
    handle = f" · @{owner.handle}" if owner else ""
    return f"#{view.id} {view.name}{company}{campaign}{handle}"


def lead_card(ctx: CommandContext, view: LeadView, title: str = _("🎯 Lead #{id}: {name}")) -> Card:
    """A lead's details."""
    owners = member_views(ctx.session, {view.owner_id})
    fields = (
        CardField(ctx.t(_("Company")), view.company or "—"),
        CardField(ctx.t(_("Phone")), view.phone or "—"),
        CardField(ctx.t(_("Email")), view.email or "—"),
        CardField(ctx.t(_("Campaign")), f"#{view.campaign_id}" if view.campaign_id else "—"),
        CardField(ctx.t(_("Owner")), owners[view.owner_id].name if owners else "—"),
        CardField(ctx.t(_("Status")), ctx.t(STATUS[view.status])),
    )
    return Card(title=ctx.t(title, id=view.id, name=view.name), fields=fields)


def conversion_card(ctx: CommandContext, done: Conversion) -> Card:
    """What a conversion made."""
    fields = [CardField(ctx.t(_("Customer")), f"#{done.customer_id}")]
    if done.deal_id is not None:
        fields.append(CardField(ctx.t(_("Deal")), f"#{done.deal_id}"))
    return Card(
        title=ctx.t(_("✅ Lead #{id} converted: {name}"), id=done.lead.id, name=done.lead.name),
        fields=tuple(fields),
        status=CardStatus.SUCCESS,
    )


def register(router: Router) -> None:
    """Register /lead and /leads."""
    router.add(
        CommandSpec(
            name="lead",
            summary=_("Add a lead, show it, convert it into a customer and deal, or drop it"),
            handler=lead,
            args=LeadArgs,
            aliases=("线索",),
            permission=Permission.CRM_USE,
            details=_(
                "A lead is yours when you add it and is seen like your customers. Converting "
                "makes a customer (its company, with the lead as a contact, or the person) and, "
                "with deal=NAME amount=…, a deal at the first stage; a lead converts once."
            ),
            examples=(
                _("/lead add 张伟 company=上海明远 phone=13800138000 campaign=3"),
                _("/lead 12"),
                _('/lead convert 12 deal="Pilot order" amount=50000 close=2026-12-31'),
                _("/lead drop 12"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="leads",
            summary=_("List open leads: all you can see, yours, or a campaign's"),
            handler=leads,
            args=LeadsArgs,
            aliases=("线索列表",),
            permission=Permission.CRM_USE,
            examples=(_("/leads"), _("/leads mine"), _("/leads campaign=3")),
        )
    )

"""/campaign and /campaigns: marketing campaigns and their reports (and, through
``commands.crm.leads``, /lead and /leads)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext, TimerHandler
from bot.formatting import money
from bot.i18n import _
from bot.parsing import ArgumentError, record_number
from bot.reader import Kind
from bot.replies import Card, CardStatus, Message
from bot.replies import Field as CardField
from bot.router import CommandSpec, Router
from commands.crm import leads
from commands.crm.campaign_words import percent
from commands.crm.lines import field, read_line
from domain.crm.campaigns import (
    CampaignDraft,
    CampaignReport,
    CampaignView,
    campaign_report,
    campaign_view,
    create_campaign,
    list_campaigns,
    may_create_campaigns,
)
from domain.directory.roles import Permission
from domain.directory.services import find_member, member_views
from domain.shared.errors import DomainError, Forbidden
from domain.shared.money import parse_amount

TIMER_HANDLERS: dict[str, TimerHandler] = {}
ADD_WORDS = {"add", "new", "新建", "添加"}
REPORT_WORDS = {"report", "报告", "报表"}
CAMPAIGN_FIELDS = (
    field("name", positional=True),
    field("budget", Kind.MONEY),
    field("goal"),
    field("channel"),
    field("start", Kind.DATE),
    field("end", Kind.DATE),
    field("with"),
)
LISTED = 20
log = structlog.get_logger(__name__)


class CampaignArgs(BaseModel):
    """``/campaign add NAME budget=…``, ``/campaign N``, ``/campaign N report``."""

    text: str = Field(
        default="",
        description=_("add NAME budget=… | N | N report"),
        json_schema_extra={"rest": True},
    )


def campaign(ctx: CommandContext, args: CampaignArgs) -> Message:
    """Create, show or report on a campaign."""
    words = ctx.typed.split()
    head = words[0].lower() if words else ""
    if head in ADD_WORDS:
        return add(ctx, ctx.typed.partition(" ")[2])
    campaign_id = record_number(head) if head else None
    if campaign_id is None:
        return campaigns(ctx, args)
    if len(words) == 2 and words[1].lower() in REPORT_WORDS:
        return report_card(ctx, campaign_report(ctx.session, campaign_id))
    if len(words) > 1:
        raise ArgumentError("Too many arguments: {extra}", extra=" ".join(words[1:]))
    return campaign_card(ctx, campaign_view(ctx.session, campaign_id))


def add(ctx: CommandContext, text: str) -> Message:
    """Create a campaign (managers and ``crm.all`` only)."""
    if not may_create_campaigns(ctx.actor.roles):
        log.warning("refused.campaign_create", member=ctx.actor.handle)
        raise Forbidden(_("Only managers may create campaigns."))
    options = read_line(ctx, CAMPAIGN_FIELDS, text).values
    if "budget" not in options:
        raise ArgumentError("Missing {field}.", field="budget=")
    draft = CampaignDraft(
        name=options.get("name", ""),
        budget=parse_amount(options["budget"]),
        currency=ctx.org.currency,
        goal=options.get("goal", ""),
        channel=options.get("channel", ""),
        starts_on=date.fromisoformat(options["start"]) if "start" in options else None,
        ends_on=date.fromisoformat(options["end"]) if "end" in options else None,
        participants=_participants(ctx, options.get("with", "")),
    )
    created = create_campaign(ctx.session, draft, ctx.actor.id, ctx.now)
    return campaign_card(ctx, created, title=_("✅ Campaign #{id} created: {name}"))


def _participants(ctx: CommandContext, text: str) -> tuple[int, ...]:
    handles = [h for h in text.replace("，", ",").replace("、", ",").split(",") if h.strip()]
    found: list[int] = []
    for handle in handles:
        member = find_member(ctx.session, handle.strip())
        if member is None or not member.active:
            raise DomainError(_("I don't know @{handle}."), handle=handle.strip().lstrip("@"))
        found.append(member.id)
    return tuple(dict.fromkeys(found))


def campaigns(ctx: CommandContext, args: BaseModel) -> Message:
    """The newest campaigns."""
    rows = list_campaigns(ctx.session, LISTED)
    if not rows:
        return Card(title=ctx.t(_("Campaigns")), body=ctx.t(_("There are no campaigns yet.")))
    lines = [f"#{c.id} {c.name} · {money(c.budget, c.currency, ctx.locale)}" for c in rows]
    return Card(title=ctx.t(_("Campaigns")), body="\n".join(lines))


def campaign_card(
    ctx: CommandContext, view: CampaignView, title: str = _("📣 Campaign #{id}: {name}")
) -> Card:
    """A campaign's details."""
    people = member_views(ctx.session, {view.owner_id, *view.participants})
    names = [people[m].name for m in view.participants if m in people]
    dates = " – ".join(str(d) for d in (view.starts_on, view.ends_on) if d) or "—"
    owner = people[view.owner_id].name if view.owner_id in people else "—"
    fields = (
        CardField(ctx.t(_("Budget")), money(view.budget, view.currency, ctx.locale)),
        CardField(ctx.t(_("Goal")), view.goal or "—"),
        CardField(ctx.t(_("Channel")), view.channel or "—"),
        CardField(ctx.t(_("Dates")), dates),
        CardField(ctx.t(_("Run by")), owner),
        CardField(ctx.t(_("Participants")), ", ".join(names) or "—"),
    )
    footer = ctx.t(_("Report: /campaign {id} report"), id=view.id)
    return Card(title=ctx.t(title, id=view.id, name=view.name), fields=fields, footer=footer)


def report_card(ctx: CommandContext, report: CampaignReport) -> Card:
    """A campaign's leads, conversion rate, won revenue, cost per lead and ROI."""
    view = report.campaign
    won = [money(amount, currency, ctx.locale) for currency, amount in sorted(report.won.items())]
    per_lead = report.cost_per_lead
    fields = (
        CardField(ctx.t(_("Budget")), money(view.budget, view.currency, ctx.locale)),
        CardField(ctx.t(_("Leads")), str(report.leads)),
        CardField(ctx.t(_("Converted")), str(report.converted)),
        CardField(ctx.t(_("Conversion rate")), percent(report.conversion_rate, ctx.locale)),
        CardField(
            ctx.t(_("Won revenue")), ", ".join(won) or money(Decimal(0), view.currency, ctx.locale)
        ),
        CardField(
            ctx.t(_("Cost per lead")),
            "—" if per_lead is None else money(per_lead, view.currency, ctx.locale),
        ),
        CardField(ctx.t(_("ROI")), percent(report.roi, ctx.locale)),
    )
    return Card(
        title=ctx.t(_("📊 Campaign #{id} report: {name}"), id=view.id, name=view.name),
        fields=fields,
        status=CardStatus.INFO,
    )


def register(router: Router) -> None:
    """Register /campaign, /campaigns, /lead and /leads."""
    router.add(
        CommandSpec(
            name="campaign",
            summary=_("Create a marketing campaign, show it, or see its report"),
            handler=campaign,
            args=CampaignArgs,
            aliases=("活动",),
            permission=Permission.CRM_USE,
            details=_(
                "Managers create campaigns: /campaign add NAME budget=AMOUNT, optionally "
                "goal=…, channel=…, start=YYYY-MM-DD, end=YYYY-MM-DD and with=@a,@b. Every CRM "
                "user sees every campaign and its report: leads, conversion rate, won revenue, "
                "cost per lead and ROI."
            ),
            examples=(
                _(
                    '/campaign add "Spring Expo" budget=20000 goal="50 leads" channel=expo '
                    "start=2026-03-01 end=2026-03-03 with=@bob,@erin"
                ),
                _("/campaign 3"),
                _("/campaign 3 report"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="campaigns",
            summary=_("List the newest campaigns"),
            handler=campaigns,
            aliases=("活动列表",),
            permission=Permission.CRM_USE,
            examples=(_("/campaigns"),),
        )
    )
    leads.register(router)

"""Marketing campaigns and what they brought: leads, conversions, won revenue, cost per lead, ROI.

Campaigns are not owned records like customers: every CRM user sees every campaign and its
report (numbers only; the leads and deals behind them stay in their owners' scope)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.crm.models import Campaign, Deal, Lead
from domain.directory.roles import Permission, Role, allows
from domain.shared.errors import DomainError, NotFound
from domain.shared.money import minor_digits, quantize

NAME_LIMIT = 200
GOAL_LIMIT = 500
CHANNEL_LIMIT = 64


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """What a new campaign is made of."""

    name: str
    budget: Decimal
    currency: str
    goal: str = ""
    channel: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    participants: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign as commands see it."""

    id: int
    name: str
    goal: str
    budget: Decimal
    currency: str
    channel: str
    starts_on: date | None
    ends_on: date | None
    owner_id: int
    participants: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CampaignReport:
    """A campaign's results. Rates and ratios are None where they are undefined."""

    campaign: CampaignView
    leads: int
    converted: int
    won: dict[str, Decimal]  # won revenue by currency

    @property
    def conversion_rate(self) -> Decimal | None:
        """Converted leads / leads."""
        return Decimal(self.converted) / self.leads if self.leads else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        """Budget / leads, rounded to the currency's minor unit."""
        if not self.leads:
            return None
        digits = minor_digits(self.campaign.currency)
        return quantize(self.campaign.budget / self.leads, digits)

    @property
    def roi(self) -> Decimal | None:
        """(Won revenue in the budget's currency − budget) / budget."""
        budget = self.campaign.budget
        if not budget:
            return None
        return (self.won.get(self.campaign.currency, Decimal(0)) - budget) / budget


def may_create_campaigns(roles: tuple[str, ...]) -> bool:
    """Managers and holders of ``crm.all`` create campaigns."""
    return Role.MANAGER in roles or allows(roles, Permission.CRM_ALL)


def create_campaign(
    session: Session, draft: CampaignDraft, owner_id: int, now: datetime
) -> CampaignView:
    """Create a campaign run by ``owner_id``."""
    name = " ".join(draft.name.split())
    _check(draft, name)
    campaign = Campaign(
        name=name,
        goal=draft.goal.strip(),
        budget=draft.budget,
        currency=draft.currency,
        channel=draft.channel.strip(),
        starts_on=draft.starts_on,
        ends_on=draft.ends_on,
        owner_id=owner_id,
        participants=list(draft.participants),
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    return view_of(campaign)


def _check(draft: CampaignDraft, name: str) -> None:
    if not name:
        raise DomainError("Give the campaign a name.")
    if len(name) > NAME_LIMIT or len(draft.goal) > GOAL_LIMIT or len(draft.channel) > CHANNEL_LIMIT:
        raise DomainError("Keep the name, goal and channel short.")
    if draft.budget < 0:
        raise DomainError("The budget cannot be negative.")
    if draft.starts_on and draft.ends_on and draft.ends_on < draft.starts_on:
        raise DomainError("The campaign cannot end before it starts.")


def campaign_view(session: Session, campaign_id: int) -> CampaignView:
    """One campaign; ``NotFound`` if there is none with this number."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("There is no campaign #{id}.", id=campaign_id)
    return view_of(campaign)


def list_campaigns(session: Session, limit: int) -> list[CampaignView]:
    """The newest campaigns first."""
    rows = session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit))
    return [view_of(c) for c in rows]


def campaign_report(session: Session, campaign_id: int) -> CampaignReport:
    """Leads, conversions and won revenue of a campaign."""
    campaign = campaign_view(session, campaign_id)
    counts: dict[str, int] = {
        status: number
        for status, number in session.execute(
            select(Lead.status, func.count())
            .where(Lead.campaign_id == campaign_id)
            .group_by(Lead.status)
        )
    }
    won: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in session.execute(
        select(Deal.currency, Deal.amount).where(
            Deal.campaign_id == campaign_id, Deal.status == "won"
        )
    ):
        won[currency] += amount
    return CampaignReport(
        campaign=campaign,
        leads=sum(counts.values()),
        converted=counts.get("converted", 0),
        won=dict(won),
    )


def view_of(campaign: Campaign) -> CampaignView:
    """The view of a campaign row."""
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        goal=campaign.goal,
        budget=campaign.budget,
        currency=campaign.currency,
        channel=campaign.channel,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        owner_id=campaign.owner_id,
        participants=tuple(campaign.participants),
    )

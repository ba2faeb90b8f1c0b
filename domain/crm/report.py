"""The CRM report: the pipeline, win rate, sales cycle, top customers and ticket SLA compliance,
over what a member's scope covers and the last 90 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from domain.crm.deals import visible
from domain.crm.forecast import Pipeline, pipeline
from domain.crm.models import Customer, Deal, Ticket
from domain.crm.scope import Scope
from domain.crm.stages import Stages

WINDOW = timedelta(days=90)
TOP = 5
DAY_SECONDS = Decimal(86400)


@dataclass(frozen=True, slots=True)
class CustomerRevenue:
    """What one customer's won deals brought in, in one currency."""

    customer_id: int
    name: str
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Ratio:
    """``part`` of ``whole``; ``share`` is None when there is nothing to count."""

    part: int
    whole: int

    @property
    def share(self) -> Decimal | None:
        """part / whole, exact, or None for 0 / 0."""
        return Decimal(self.part) / Decimal(self.whole) if self.whole else None


@dataclass(frozen=True, slots=True)
class CrmReport:
    """The numbers of one report."""

    pipeline: Pipeline
    win_rate: Ratio  # won of won + lost, closed in the window
    average_cycle_days: Decimal | None  # creation to close of won deals, closed in the window
    top_customers: tuple[CustomerRevenue, ...]  # by won revenue in the window
    sla: Ratio  # tickets within both SLAs, of those created in the window resolved or breached


def crm_report(session: Session, scope: Scope, stages: Stages, now: datetime) -> CrmReport:
    """The report over ``scope`` as of ``now``."""
    since = now - WINDOW
    closed = session.execute(
        visible(
            select(Deal.status, Deal.created_at, Deal.closed_at, Deal.customer_id), scope
        ).where(Deal.status.in_(("won", "lost")), Deal.closed_at >= since)
    ).all()
    won = [(start, end) for status, start, end, _c in closed if status == "won" and end]
    return CrmReport(
        pipeline=pipeline(session, scope, stages),
        win_rate=Ratio(len(won), len(closed)),
        average_cycle_days=_average_days(won),
        top_customers=_top_customers(session, scope, since),
        sla=_sla(session, scope, since),
    )


def _average_days(spans: list[tuple[datetime, datetime]]) -> Decimal | None:
    if not spans:
        return None
    seconds = sum(Decimal(int((end - start).total_seconds())) for start, end in spans)
    return seconds / DAY_SECONDS / len(spans)


def _top_customers(session: Session, scope: Scope, since: datetime) -> tuple[CustomerRevenue, ...]:
    totals: dict[tuple[int, str, str], Decimal] = {}
    for customer_id, name, currency, amount in session.execute(
        visible(select(Deal.customer_id, Customer.name, Deal.currency, Deal.amount), scope).where(
            Deal.status == "won", Deal.closed_at >= since
        )
    ):
        key = (customer_id, name, currency)
        totals[key] = totals.get(key, Decimal(0)) + amount
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0][0], item[0][2]))
    return tuple(CustomerRevenue(c, n, cur, amount) for (c, n, cur), amount in ranked[:TOP])


def _sla(session: Session, scope: Scope, since: datetime) -> Ratio:
    query = (
        select(Ticket.resolved_at, Ticket.response_breached_at, Ticket.resolution_breached_at)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.created_at >= since)
    )
    if not scope.everyone:
        owners = sorted(scope.owner_ids)
        query = query.where(or_(Customer.owner_id.in_(owners), Ticket.assignee_id.in_(owners)))
    counted = kept = 0
    for resolved, response_breached, resolution_breached in session.execute(query):
        breached = response_breached is not None or resolution_breached is not None
        if resolved is None and not breached:
            continue
        counted += 1
        kept += 0 if breached else 1
    return Ratio(kept, counted)

"""Deals: opening one on a customer, moving it through the stages, winning or losing it, and the
nudge its owner gets when it sits idle.

A deal is seen by whoever's scope covers its owner or its customer's owner; any other id answers
like a missing one. Every change is compare-and-set on ``version`` (and ``status = 'open'``), so a
duplicate or concurrent move applies once; each stage change is one ``DealStageChange`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from domain.crm.access import customer_in_scope
from domain.crm.models import Campaign, Customer, Deal, DealStageChange
from domain.crm.scope import Scope
from domain.crm.search import fold
from domain.crm.stages import DEFAULT_STAGES, LOST, WON, Stage, Stages, parse_stages
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.timers.services import cancel_subject, schedule
from domain.worktime.services import work_calendar

Columns = TypeVarTuple("Columns")
IDLE_KIND = "crm.deal_idle"
WON_EVENT = "crm.deal_won"
HUNDRED = Decimal(100)
NAME_LIMIT = 200
TEXT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class DealRules:
    """The operator's settings deals follow: the stages and when an idle deal nudges its owner."""

    stages: Stages
    idle: timedelta


DEFAULT_RULES = DealRules(parse_stages(DEFAULT_STAGES), timedelta(days=7))


@dataclass(frozen=True, slots=True)
class DealTerms:
    """What a new deal is about: its amount, currency, expected close and next step."""

    amount: Decimal
    currency: str
    close: date
    next_step: str = ""
    campaign_id: int | None = None


@dataclass(frozen=True, slots=True)
class DealChanges:
    """An edit: the fields given (None: left as it is)."""

    amount: Decimal | None = None
    close: date | None = None
    next_step: str | None = None


@dataclass(frozen=True, slots=True)
class DealView:
    """A deal as callers see it."""

    id: int
    customer_id: int
    customer_name: str
    name: str
    amount: Decimal
    currency: str
    stage: str
    probability: int
    status: str
    expected_close: date | None
    owner_id: int
    next_step: str
    lost_reason: str
    created_at: datetime
    closed_at: datetime | None
    last_activity_at: datetime

    @property
    def expected_revenue(self) -> Decimal:
        """Amount × probability, exactly."""
        return weighted(self.amount, self.probability)


def weighted(amount: Decimal, probability: int) -> Decimal:
    """An amount at a probability (percent), exact."""
    return amount * probability / HUNDRED


def subject_of(deal_id: int) -> str:
    """The timer subject of a deal."""
    return f"deal:{deal_id}"


def visible(query: Select[*Columns], scope: Scope) -> Select[*Columns]:
    """Restrict a query on deals to those whose owner or customer's owner the scope covers."""
    query = query.join(Customer, Customer.id == Deal.customer_id)
    if scope.everyone:
        return query
    owners = sorted(scope.owner_ids)
    return query.where(or_(Deal.owner_id.in_(owners), Customer.owner_id.in_(owners)))


def deal_in_scope(session: Session, scope: Scope, deal_id: int) -> Deal:
    """The deal, if the scope covers its owner or its customer's owner; ``NotFound`` otherwise."""
    found = session.scalars(visible(select(Deal), scope).where(Deal.id == deal_id)).first()
    if found is None:
        raise NotFound("There is no deal #{id} that you can see.", id=deal_id)
    return found


def find_deals(session: Session, scope: Scope, text: str, *, limit: int) -> list[DealView]:
    """Deals in scope whose name, or whose customer's name, contains ``text`` (any case or
    width), open ones first."""
    needle = fold(text)
    query = visible(select(Deal), scope).where(
        or_(
            func.lower(Deal.name).contains(needle, autoescape=True),
            Customer.search_key.contains(needle, autoescape=True),
        )
    )
    rows = session.scalars(query.order_by(Deal.status != "open", Deal.id).limit(limit))
    return [view_of(session, d) for d in rows]


def show_deal(session: Session, scope: Scope, deal_id: int) -> DealView:
    """One deal in scope."""
    return view_of(session, deal_in_scope(session, scope, deal_id))


def open_deals(session: Session, member_id: int) -> list[DealView]:
    """The open deals a member owns, or that are on customers they own, soonest close first."""
    query = visible(select(Deal), Scope(member_id, frozenset({member_id})))
    rows = session.scalars(
        query.where(Deal.status == "open").order_by(Deal.expected_close, Deal.id)
    )
    return [view_of(session, d) for d in rows]


def add_deal(
    session: Session,
    scope: Scope,
    customer_id: int,
    name: str,
    terms: DealTerms,
    rules: DealRules,
    now: datetime,
    today: date,
) -> DealView:
    """Open a deal on a customer in scope, owned by the one who adds it, at the first stage."""
    customer = customer_in_scope(session, scope, customer_id)
    check_terms(session, name, terms, today)
    actor = scope.member_id
    deal = start_deal(session, customer.id, name, terms, rules, now, owner_id=actor, actor_id=actor)
    return view_of(session, deal)


def start_deal(
    session: Session,
    customer_id: int,
    name: str,
    terms: DealTerms,
    rules: DealRules,
    now: datetime,
    *,
    owner_id: int,
    actor_id: int,
) -> Deal:
    """A new deal at the first stage, with its first stage change and its idle nudge (for any
    caller that has checked the customer and the terms, such as a converted lead)."""
    stage = rules.stages.first
    deal = Deal(
        customer_id=customer_id,
        name=name.strip(),
        amount=terms.amount,
        currency=terms.currency,
        stage=stage.name,
        probability=stage.probability,
        status="open",
        expected_close=terms.close,
        owner_id=owner_id,
        next_step=terms.next_step.strip(),
        campaign_id=terms.campaign_id,
        version=1,
        last_activity_at=now,
        created_at=now,
    )
    session.add(deal)
    session.flush()
    _record_move(session, deal.id, None, stage.name, actor_id, now)
    _schedule_idle(session, deal, now + rules.idle, now)
    return deal


def move_deal(
    session: Session, scope: Scope, deal_id: int, stage_name: str, rules: DealRules, now: datetime
) -> DealView:
    """Move an open deal to another open stage (``won`` wins it; ``lost`` needs a reason)."""
    deal = deal_in_scope(session, scope, deal_id)
    stage = _stage(rules.stages, stage_name)
    if stage.name == LOST:
        raise DomainError("Say why it was lost: /deal lost {id} reason=…", id=deal_id)
    if stage.name == WON:
        return win_deal(session, scope, deal_id, now)
    _check_open(deal)
    if stage.name == deal.stage:
        raise Conflict("Deal #{id} is already at {stage}.", id=deal_id, stage=stage.name)
    _change(session, deal, {"stage": stage.name, "probability": stage.probability}, now)
    _record_move(session, deal.id, deal.stage, stage.name, scope.member_id, now)
    _schedule_idle(session, deal, now + rules.idle, now)
    return _reloaded(session, deal)


def win_deal(session: Session, scope: Scope, deal_id: int, now: datetime) -> DealView:
    """Close a deal as won, and record ``crm.deal_won`` for the contract and the order."""
    deal = _close(session, scope, deal_id, Stage(WON, 100), now, "")
    payload = {
        "deal": deal.id,
        "customer": deal.customer_id,
        "amount": str(deal.amount),
        "currency": deal.currency,
    }
    record_event(session, WON_EVENT, "crm_deal", str(deal.id), payload, now)
    return deal


def lose_deal(session: Session, scope: Scope, deal_id: int, reason: str, now: datetime) -> DealView:
    """Close a deal as lost, saying why."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why it was lost: /deal lost {id} reason=…", id=deal_id)
    _check_length(reason, TEXT_LIMIT)
    return _close(session, scope, deal_id, Stage(LOST, 0), now, reason)


def edit_deal(
    session: Session,
    scope: Scope,
    deal_id: int,
    changes: DealChanges,
    rules: DealRules,
    now: datetime,
    today: date,
) -> DealView:
    """Change an open deal's amount, expected close or next step."""
    deal = deal_in_scope(session, scope, deal_id)
    values = _edited_values(changes, today)
    if not values:
        raise DomainError("Say what to change: amount=…, close=… or next=…")
    _check_open(deal)
    _change(session, deal, values, now)
    _schedule_idle(session, deal, now + rules.idle, now)
    return _reloaded(session, deal)


def idle_check(session: Session, deal_id: int, now: datetime, idle: timedelta) -> DealView | None:
    """An idle-nudge timer fell due: the deal if its owner should be nudged (and the next nudge
    set one idle period on), or None if it is closed or saw activity since (then it waits)."""
    deal = session.get(Deal, deal_id)
    if deal is None or deal.status != "open":
        return None
    quiet_until = deal.last_activity_at + idle
    if quiet_until > now:
        _schedule_idle(session, deal, quiet_until, now, replace=False)
        return None
    _schedule_idle(session, deal, now + idle, now, replace=False)
    return view_of(session, deal)


def view_of(session: Session, deal: Deal) -> DealView:
    """The read model of a deal row."""
    customer = session.get(Customer, deal.customer_id)
    return DealView(
        id=deal.id,
        customer_id=deal.customer_id,
        customer_name=customer.name if customer else "",
        name=deal.name,
        amount=deal.amount,
        currency=deal.currency,
        stage=deal.stage,
        probability=deal.probability,
        status=deal.status,
        expected_close=deal.expected_close,
        owner_id=deal.owner_id,
        next_step=deal.next_step,
        lost_reason=deal.lost_reason,
        created_at=deal.created_at,
        closed_at=deal.closed_at,
        last_activity_at=deal.last_activity_at,
    )


def _close(
    session: Session, scope: Scope, deal_id: int, stage: Stage, now: datetime, reason: str
) -> DealView:
    deal = deal_in_scope(session, scope, deal_id)
    _check_open(deal)
    values: dict[str, Any] = {
        "stage": stage.name,
        "probability": stage.probability,
        "status": stage.name,
        "closed_at": now,
        "lost_reason": reason,
    }
    _change(session, deal, values, now)
    _record_move(session, deal.id, deal.stage, stage.name, scope.member_id, now)
    cancel_subject(session, subject_of(deal.id), IDLE_KIND)
    return _reloaded(session, deal)


def _change(session: Session, deal: Deal, values: dict[str, Any], now: datetime) -> None:
    """Compare-and-set on the version the deal was read at; Conflict if it changed meanwhile."""
    changed = session.execute(
        update(Deal)
        .where(Deal.id == deal.id, Deal.version == deal.version, Deal.status == "open")
        .values(**values, version=deal.version + 1, last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("Deal #{id} changed meanwhile; look again with /deal show {id}.", id=deal.id)


def _reloaded(session: Session, deal: Deal) -> DealView:
    session.refresh(deal)
    return view_of(session, deal)


def _record_move(
    session: Session, deal_id: int, before: str | None, after: str, actor_id: int, now: datetime
) -> None:
    session.add(
        DealStageChange(
            deal_id=deal_id, from_stage=before, to_stage=after, actor_id=actor_id, at=now
        )
    )


def _schedule_idle(
    session: Session, deal: Deal, due: datetime, now: datetime, *, replace: bool = True
) -> None:
    """The deal's one pending idle nudge, at ``due`` or, outside working hours, when work next
    starts (``replace``: cancel the pending one)."""
    subject = subject_of(deal.id)
    if replace:
        cancel_subject(session, subject, IDLE_KIND)
    schedule(
        session,
        kind=IDLE_KIND,
        due_at=work_calendar(session).add_working_hours(due, Decimal(0)),
        now=now,
        subject=subject,
        owner_id=deal.owner_id,
        payload={"deal": deal.id},
    )


def _stage(stages: Stages, name: str) -> Stage:
    stage = stages.find(name)
    if stage is None:
        raise DomainError(
            "There is no stage {stage}. Stages: {stages}",
            stage=name,
            stages=", ".join(stages.names()),
        )
    return stage


def _check_open(deal: Deal) -> None:
    if deal.status == WON:
        raise Conflict("Deal #{id} is already won.", id=deal.id)
    if deal.status == LOST:
        raise Conflict("Deal #{id} is already lost.", id=deal.id)


def check_terms(session: Session, name: str, terms: DealTerms, today: date) -> None:
    """Refuse a deal's name or terms that are not acceptable (``DomainError`` says why)."""
    if not name.strip():
        raise DomainError("Give the deal a name.")
    _check_length(name, NAME_LIMIT)
    _check_length(terms.next_step, TEXT_LIMIT)
    _check_amount(terms.amount)
    _check_close(terms.close, today)
    if len(terms.currency) != 3 or not terms.currency.isalpha():
        raise DomainError("A currency is a three-letter code such as CNY or USD.")
    if terms.campaign_id is not None and session.get(Campaign, terms.campaign_id) is None:
        raise NotFound("There is no campaign #{id}.", id=terms.campaign_id)


def _edited_values(changes: DealChanges, today: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if changes.amount is not None:
        _check_amount(changes.amount)
        values["amount"] = changes.amount
    if changes.close is not None:
        _check_close(changes.close, today)
        values["expected_close"] = changes.close
    if changes.next_step is not None:
        _check_length(changes.next_step, TEXT_LIMIT)
        values["next_step"] = changes.next_step.strip()
    return values


def _check_amount(amount: Decimal) -> None:
    if amount <= 0:
        raise DomainError("The amount must be more than zero.")


def _check_close(close: date, today: date) -> None:
    if close < today:
        raise DomainError("The expected close date {date} has passed.", date=close.isoformat())


def _check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise DomainError("Keep it under {limit} characters.", limit=limit)

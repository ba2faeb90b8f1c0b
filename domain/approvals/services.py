"""Approval services: submit a request and move it on. Each transition reads the request,
lets the engine decide the events, and saves them with a compare-and-set on the request's
version; a lost race reads again and decides anew. Then, in the same transaction, its
consequences: SLA timers, leave days, delegation from leave, and business events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from domain.approvals import engine, leave, moves, sla
from domain.approvals.absence import cancel_absence, record_absence
from domain.approvals.catalog import Versioned, template_version
from domain.approvals.delegation import FROM_LEAVE, cancel_for_request, delegate, deputies_at
from domain.approvals.fields import Inputs
from domain.approvals.form import missing_slots, with_computed
from domain.approvals.labels import _
from domain.approvals.people import manager_at_level, member_id_by_handle, person
from domain.approvals.planning import BudgetFacts, Plan, plan_request
from domain.approvals.state import Event, RequestState, Status, Task, TaskStatus
from domain.approvals.store import Cause, LostRace, load, new_request_id, save
from domain.directory.services import get_org
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import minor_digits
from domain.worktime.services import work_calendar

MAX_ATTEMPTS = 8  # lost compare-and-sets in a row before giving up (only under heavy contention)
# recorded for every request when it is decided, whatever its template names (subscriptions)
DECIDED_EVENTS = {"approved": "approval.approved", "rejected": "approval.rejected"}
EVENT_KEYS = {
    Status.PENDING: "submitted",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A transition: the state before and after, and the events it logged."""

    before: RequestState | None
    after: RequestState
    events: list[Event]
    template: Versioned

    @property
    def kinds(self) -> set[str]:
        """The kinds of the events."""
        return {e.kind for e in self.events}

    def new_tasks(self) -> list[Task]:
        """Tasks this transition created that are waiting for a decision."""
        old = {t.tid for t in self.before.tasks} if self.before else set()
        return [t for t in self.after.tasks if t.tid not in old and t.status == TaskStatus.PENDING]


@dataclass(frozen=True, slots=True)
class Draft:
    """A filled-in form with its computed fields and the route it would take."""

    template: Versioned
    values: dict[str, Any]
    plan: Plan


def money_digits(session: Session) -> int:
    """Decimal places of the org's currency."""
    return minor_digits(get_org(session).currency)


def inputs_for(session: Session, timezone: str, now: datetime) -> Inputs:
    """What reading a member's typed values needs."""
    return Inputs(
        timezone=timezone,
        today=now.astimezone(ZoneInfo(timezone)).date(),
        money_digits=money_digits(session),
        find_member=lambda handle: member_id_by_handle(session, handle),
    )


def prepare(
    session: Session,
    template: Versioned,
    values: dict[str, Any],
    initiator: int,
    facts: BudgetFacts | None = None,
) -> Draft:
    """Work out the computed fields and the route of a form (``facts``: the budgets the
    conditions' ``budget_left`` reads)."""
    computed = with_computed(template.spec, values, work_calendar(session), money_digits(session))
    plan = plan_request(session, template.spec, computed, initiator, facts)
    return Draft(template, computed, plan)


def plan_data(plan: Plan) -> dict[str, Any]:
    """A plan as the event log keeps it."""
    return {
        "cc": {"submit": plan.cc_submit, "finish": plan.cc_finish},
        "route": [c.to_data() for c in plan.choices],
        "steps": [s.to_data() for s in plan.steps],
    }


def submit_request(
    session: Session, draft: Draft, initiator: int, now: datetime, cause: Cause
) -> Outcome:
    """Submit a complete form: the request is created and its first step starts."""
    spec = draft.template.spec
    missing = missing_slots(spec, draft.values)
    if missing:
        raise Conflict(_("{field} is missing."), field=missing[0].field.key)
    template = (spec.key, draft.template.version)
    request_id = new_request_id(session, template, initiator, now)
    events = engine.submit(
        request_id,
        template,
        initiator,
        draft.values,
        plan_data(draft.plan),
        now,
        deputies_at(session, now),
    )
    after = save(session, None, request_id, events, cause)
    outcome = Outcome(None, after, events, draft.template)
    _react(session, outcome, now)
    return outcome


Decision = Callable[[RequestState, Versioned], list[Event]]


def transition(
    session: Session, request_id: int, now: datetime, cause: Cause, decide: Decision
) -> Outcome:
    """Read, decide, compare-and-set; again if another transaction won in between."""
    for _attempt in range(MAX_ATTEMPTS):
        state = load(session, request_id)
        if state is None:
            raise NotFound(_("There is no approval #{id}."), id=request_id)
        template = template_version(session, state.template_key, state.template_version)
        events = decide(state, template)
        if not events:
            return Outcome(state, state, [], template)
        try:
            after = save(session, state, request_id, events, cause)
        except LostRace:
            continue
        outcome = Outcome(state, after, events, template)
        _react(session, outcome, now)
        return outcome
    raise Conflict(_("Approval #{id} is busy; please try again."), id=request_id)


def approve(
    session: Session, request_id: int, actor: int, comment: str, now: datetime, cause: Cause
) -> Outcome:
    """The actor approves their part."""
    deputies = deputies_at(session, now)
    return transition(
        session,
        request_id,
        now,
        cause,
        lambda s, _t: engine.decide(s, actor, "approve", comment, now, deputies),
    )


def reject(
    session: Session, request_id: int, actor: int, reason: str, now: datetime, cause: Cause
) -> Outcome:
    """The actor rejects their part, with a reason."""
    if not reason.strip():
        raise Conflict(_("Say why you reject approval #{id}."), id=request_id)
    deputies = deputies_at(session, now)
    return transition(
        session,
        request_id,
        now,
        cause,
        lambda s, _t: engine.decide(s, actor, "reject", reason, now, deputies),
    )


def transfer(
    session: Session,
    request_id: int,
    actor: int,
    to: int,
    comment: str,
    now: datetime,
    cause: Cause,
) -> Outcome:
    """Hand the actor's part to another member."""
    _active_member(session, to)
    deputies = deputies_at(session, now)
    return transition(
        session,
        request_id,
        now,
        cause,
        lambda s, _t: moves.transfer(s, actor, to, comment, now, deputies),
    )


def add_approver(
    session: Session,
    request_id: int,
    actor: int,
    member: int,
    where: str,
    now: datetime,
    cause: Cause,
) -> Outcome:
    """Add an approver before or after the actor."""
    _active_member(session, member)
    deputies = deputies_at(session, now)
    return transition(
        session,
        request_id,
        now,
        cause,
        lambda s, _t: moves.add_step(s, actor, member, where, "", now, deputies),
    )


def return_request(
    session: Session,
    request_id: int,
    actor: int,
    target: int | None,
    reason: str,
    now: datetime,
    cause: Cause,
) -> Outcome:
    """Send the request back to the initiator (``target`` None) or to an earlier step."""
    if not reason.strip():
        raise Conflict(_("Say why you return approval #{id}."), id=request_id)
    deputies = deputies_at(session, now)
    return transition(
        session,
        request_id,
        now,
        cause,
        lambda s, _t: moves.return_to(s, actor, target, reason, now, deputies),
    )


def withdraw(session: Session, request_id: int, actor: int, now: datetime, cause: Cause) -> Outcome:
    """The initiator withdraws; an approved leave may be withdrawn until it has ended."""

    def decide(state: RequestState, template: Versioned) -> list[Event]:
        return moves.withdraw(
            state, actor, now, after_approval=withdrawable_approved(session, state, template, now)
        )

    return transition(session, request_id, now, cause, decide)


def withdrawable_approved(
    session: Session, state: RequestState, template: Versioned, now: datetime
) -> bool:
    """Whether the request, once approved, may still be withdrawn: a leave until it ended."""
    found = leave.leave_of(template.spec, state)
    if found is None:
        return False
    today = now.astimezone(ZoneInfo(get_org(session).timezone)).date()
    return found.last >= today


def urge(session: Session, request_id: int, actor: int, now: datetime, cause: Cause) -> Outcome:
    """The initiator nudges the approvers (at most once an hour)."""
    return transition(session, request_id, now, cause, lambda s, _t: moves.urge(s, actor, now))


def resubmit(
    session: Session,
    request_id: int,
    actor: int,
    values: dict[str, Any],
    now: datetime,
    cause: Cause,
    facts: BudgetFacts | None = None,
) -> Outcome:
    """Submit a returned request again, with corrected values; it is routed anew."""

    def decide(state: RequestState, template: Versioned) -> list[Event]:
        draft = prepare(session, template, values, state.initiator, facts)
        missing = missing_slots(template.spec, draft.values)
        if missing:
            raise Conflict(_("{field} is missing."), field=missing[0].field.key)
        return engine.resubmit(
            state, actor, draft.values, plan_data(draft.plan), now, deputies_at(session, now)
        )

    return transition(session, request_id, now, cause, decide)


def sla_due(session: Session, payload: dict[str, Any], now: datetime) -> Outcome | None:
    """An SLA timer fired: remind, escalate or decide, if its step is still being decided."""
    request_id = int(payload["request"])
    state = load(session, request_id)
    if state is None or state.status != Status.PENDING or not sla.still_due(state, payload):
        return None
    nid, step = int(payload["nid"]), payload["step"]
    deputies = deputies_at(session, now)

    def decide(current: RequestState, _template: Versioned) -> list[Event]:
        if not sla.still_due(current, payload):
            return []
        if step == "remind":
            return moves.remind(current, nid, now)
        if step == "escalate":
            managers = lambda member: manager_at_level(session, member, 1)  # noqa: E731
            return moves.escalate(current, nid, managers, now, deputies)
        return moves.auto_decide(
            current, nid, str(payload.get("verdict", "approve")), now, deputies
        )

    outcome = transition(session, request_id, now, Cause(source="timer"), decide)
    return outcome if outcome.events else None


def _active_member(session: Session, member_id: int) -> None:
    found = person(session, member_id)
    if found is None or not found.active:
        raise NotFound(_("That member is not active."))


def _react(session: Session, outcome: Outcome, now: datetime) -> None:
    """The consequences of a saved transition, in its transaction."""
    after, before = outcome.after, outcome.before
    calendar = work_calendar(session)
    if after.status != Status.PENDING:
        sla.stop_timers(session, after.id)
    elif "node_started" in outcome.kinds:
        sla.restart_timers(session, after, calendar, now)
    _react_leave(session, outcome, now)
    old_status = before.status if before else None
    key = EVENT_KEYS.get(Status(after.status)) if after.status != old_status else None
    if key is None:
        return
    payload = {
        "request": after.id,
        "template": after.template_key,
        "template_version": after.template_version,
        "initiator": after.initiator,
        "fields": after.fields,
    }
    name = outcome.template.spec.events.get(key)  # type: ignore[call-overload]
    if name:
        record_event(session, name, "approval", str(after.id), payload, now)
    if key in DECIDED_EVENTS:
        record_event(session, DECIDED_EVENTS[key], "approval", str(after.id), payload, now)


def _react_leave(session: Session, outcome: Outcome, now: datetime) -> None:
    found = leave.leave_of(outcome.template.spec, outcome.after)
    if found is None:
        return
    before = outcome.before.status if outcome.before else None
    what = leave.react_to_leave(session, found, before, outcome.after, now)
    request_id = outcome.after.id
    if what == "deducted":
        record_absence(
            session, found.member_id, found.first, found.last, found.leave_type, request_id, now
        )
        if found.deputy_id is not None:
            _delegate_from_leave(session, outcome.after, found, now)
    elif what == "restored":
        cancel_absence(session, request_id, now)
        cancel_for_request(session, request_id, now)


def _delegate_from_leave(
    session: Session, state: RequestState, found: leave.LeaveOf, now: datetime
) -> None:
    assert found.deputy_id is not None
    window = work_calendar(session).day_bounds(found.first, found.last)
    deputy = person(session, found.deputy_id)
    if (
        window[1] <= now
        or deputy is None
        or not deputy.active
        or found.deputy_id == found.member_id
    ):
        return
    try:
        delegate(
            session,
            found.member_id,
            found.deputy_id,
            window,
            now,
            created_by=found.member_id,
            source=FROM_LEAVE,
            request_id=state.id,
        )
    except DomainError:  # an inactive deputy: the leave stands, without a deputy
        return

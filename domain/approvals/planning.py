"""From a template, the form's values and the initiator to the concrete steps of a request:
which route each branch takes and why, who approves each step, and who is copied.

Self-approval: the initiator is taken out of every step. With ``self_approval: skip`` a step
left without approvers is skipped; with ``refuse`` the submission is refused. A step that finds
nobody else (no manager, an empty role) goes to the org's admins; with no other admin either
(the head of the org asking), it is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from domain.approvals import people
from domain.approvals.conditions import evaluate
from domain.approvals.fields import to_python
from domain.approvals.labels import _
from domain.approvals.template import (
    ApproverSpec,
    BranchSpec,
    CcSpec,
    SlaSpec,
    StepSpec,
    TemplateSpec,
)
from domain.directory.roles import Role
from domain.shared.errors import Forbidden

NOTE_SELF = "self"  # the initiator was the only approver: skipped
NOTE_ADMINS = "admins"  # nobody found: the admins approve
NOTE_NOBODY = "nobody"  # nobody found and no other admin (the top of the org): skipped


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """A step as it will run: names, approvers (member ids), decision rule and SLA."""

    name: dict[str, str]
    approvers: tuple[int, ...]
    mode: str
    quorum: int
    veto: tuple[int, ...]
    sla: dict[str, Any]
    note: str = ""

    def to_data(self) -> dict[str, Any]:
        """JSON-safe, for the event log."""
        return {
            "name": self.name,
            "approvers": list(self.approvers),
            "mode": self.mode,
            "quorum": self.quorum,
            "veto": list(self.veto),
            "sla": self.sla,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Choice:
    """One route considered in a branch: its condition, and whether it held (and why not)."""

    route: dict[str, str]
    when: str | None
    holds: bool
    error: str = ""

    def to_data(self) -> dict[str, Any]:
        """JSON-safe, for the request row."""
        return {"route": self.route, "when": self.when, "holds": self.holds, "error": self.error}


class BudgetFacts(Protocol):
    """What is left of a department's budget for an account this month (None: no budget).
    The finance module answers it; the composition side hands it in, since approvals import
    no other business module."""

    def budget_left(self, department: str, account: str) -> Decimal | None:
        """The budget left, negative when overspent; None when there is no budget."""
        ...


@dataclass
class Plan:
    """The steps, the copies at submit and at finish, and the route decisions."""

    steps: list[PlannedStep] = field(default_factory=list)
    cc_submit: list[int] = field(default_factory=list)
    cc_finish: list[int] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)


def condition_values(
    session: Session,
    spec: TemplateSpec,
    values: dict[str, Any],
    initiator_id: int,
    facts: BudgetFacts | None = None,
) -> dict[str, Any]:
    """What conditions see: each field as a Python value, plus the initiator's facts and
    ``budget_left`` (their department's budget left on the template's account, else None)."""
    found: dict[str, Any] = {f.key: to_python(f, values.get(f.key)) for f in spec.fields}
    for f in spec.fields:
        if f.key in values and f.type == "member":
            who = people.person(session, int(values[f.key]))
            found[f.key] = who.handle if who else None
    initiator = people.person(session, initiator_id)
    found["initiator"] = initiator.handle if initiator else None
    found["department"] = people.department_name(session, initiator_id)
    found["roles"] = people.roles_of(session, initiator_id)
    found["budget_left"] = _budget_left(spec, found["department"], facts)
    return found


def _budget_left(
    spec: TemplateSpec, department: str | None, facts: BudgetFacts | None
) -> Decimal | None:
    if facts is None or department is None or spec.budget_account is None:
        return None
    return facts.budget_left(department, spec.budget_account)


def plan_request(
    session: Session,
    spec: TemplateSpec,
    values: dict[str, Any],
    initiator_id: int,
    facts: BudgetFacts | None = None,
) -> Plan:
    """The steps a request of ``spec`` with ``values`` by ``initiator_id`` goes through."""
    plan = Plan()
    names = condition_values(session, spec, values, initiator_id, facts)
    _walk(session, spec, spec.flow, values, names, initiator_id, plan)
    plan.cc_submit = _unique(plan.cc_submit)
    plan.cc_finish = _unique(plan.cc_finish)
    return plan


def _walk(
    session: Session,
    spec: TemplateSpec,
    items: list[Any],
    values: dict[str, Any],
    names: dict[str, Any],
    initiator_id: int,
    plan: Plan,
) -> None:
    for item in items:
        if isinstance(item, BranchSpec):
            route = _choose(item, names, plan)
            _walk(session, spec, route.flow, values, names, initiator_id, plan)
        elif isinstance(item, CcSpec):
            found = [
                m for m in _select(session, item.cc, values, initiator_id) if m != initiator_id
            ]
            if item.at in ("submit", "both"):
                plan.cc_submit += found
            if item.at in ("finish", "both"):
                plan.cc_finish += found
        else:
            plan.steps.append(_step(session, spec, item, values, initiator_id))


def _choose(branch: BranchSpec, names: dict[str, Any], plan: Plan) -> Any:
    for route in branch.branch:
        if route.default:
            plan.choices.append(Choice(route.name, None, True))
            return route
        assert route.when is not None
        verdict = evaluate(route.when, names)
        plan.choices.append(Choice(route.name, route.when, verdict.holds, verdict.error))
        if verdict.holds:
            return route
    raise AssertionError("a branch always has a default route")


def _step(
    session: Session, spec: TemplateSpec, step: StepSpec, values: dict[str, Any], initiator_id: int
) -> PlannedStep:
    found = _select(session, step.approvers, values, initiator_id)
    approvers = [m for m in found if m != initiator_id]
    note = ""
    if found and not approvers:
        if spec.self_approval == "refuse":
            raise Forbidden(
                _(
                    "You would approve your own request at step {step}; "
                    "this template does not allow that."
                ),
                step=step.name.get("en", ""),
            )
        note = NOTE_SELF
    elif not approvers:
        approvers = [m for m in people.holders_of(session, Role.ADMIN) if m != initiator_id]
        note = NOTE_ADMINS if approvers else NOTE_NOBODY
    veto = _veto(session, step, approvers)
    quorum = min(step.quorum or 1, len(approvers)) if approvers else 1
    sla = (step.sla or spec.sla or SlaSpec()).model_dump(mode="json", exclude_none=True)
    return PlannedStep(step.name, tuple(approvers), step.mode, quorum, veto, sla, note)


def _veto(session: Session, step: StepSpec, approvers: list[int]) -> tuple[int, ...]:
    if step.veto == "all":
        return tuple(approvers)
    ids = [people.member_id_by_handle(session, h) for h in step.veto or []]
    return tuple(m for m in ids if m is not None and m in approvers)


def _select(
    session: Session, who: ApproverSpec, values: dict[str, Any], initiator_id: int
) -> list[int]:
    """The active members a selector names, in a stable order."""
    if who.manager is not None:
        found = [people.manager_at_level(session, initiator_id, who.manager)]
    elif who.department_head:
        found = [people.department_head(session, initiator_id)]
    elif who.role is not None:
        found = list(people.holders_of(session, who.role))
    elif who.members is not None:
        found = [people.member_id_by_handle(session, h) for h in who.members]
    else:
        assert who.field is not None
        picked = values.get(who.field)
        found = [int(picked)] if picked is not None else []
    active = people.people(session, [m for m in found if m is not None])
    return _unique([m for m in found if m is not None and m in active and active[m].active])


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))

"""The other ways a request moves: transfer, add-sign, return, withdraw, urge, and what its SLA
does when time runs out (remind, escalate, decide). Pure, like the engine they build on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.approvals.engine import (
    AlreadyDecided,
    Deputies,
    Transition,
    advance,
    decide_task,
    initiator_only,
    settle,
    stand_in,
    your_task,
)
from domain.approvals.labels import _
from domain.approvals.state import OPEN, Event, NodeStatus, RequestState, Status, Task, TaskStatus
from domain.shared.errors import Conflict

URGE_EVERY = timedelta(hours=1)
ADDED_STEP = {"en": "Added approver", "zh_CN": "加签"}


def transfer(
    state: RequestState, actor: int, to: int, comment: str, now: datetime, deputies: Deputies
) -> list[Event]:
    """Hand the actor's task to another member."""
    task = your_task(state, actor)
    _check_newcomer(state, to, actor)
    run = Transition(state, [])
    _hand_over(run, task, to, comment, now, deputies, kind="transferred", actor=actor)
    return run.events


def _hand_over(
    run: Transition,
    task: Task,
    to: int,
    comment: str,
    now: datetime,
    deputies: Deputies,
    *,
    kind: str,
    actor: int | None,
) -> None:
    acting = stand_in(to, run.state.initiator, deputies)
    data: dict[str, Any] = {
        "tid": task.tid,
        "to": acting,
        "new_tid": run.state.next_tid(),
        "comment": comment,
    }
    if acting != to and kind == "transferred":  # the newcomer's deputy stands in for them
        data["new_on_behalf_of"], data["via"] = to, "delegated"
    elif task.principal != acting:  # the newcomer decides for the one whose part it is
        data["new_on_behalf_of"], data["via"] = task.principal, kind
    on_behalf = task.on_behalf_of if actor is not None else None
    run.add(Event(kind, now, actor=actor, on_behalf_of=on_behalf, nid=task.nid, data=data))


def _check_newcomer(state: RequestState, member: int, actor: int) -> None:
    if member == actor:
        raise Conflict(_("Choose someone other than yourself."))
    if member == state.initiator:
        raise Conflict(_("The initiator cannot approve their own request."))
    node = state.active
    if node and any(
        t.status == TaskStatus.PENDING
        and t.approver != actor
        and member in (t.approver, t.principal)
        for t in state.current_tasks(node)
    ):
        raise Conflict(_("They already approve this step."))


def add_step(
    state: RequestState,
    actor: int,
    member: int,
    where: str,
    comment: str,
    now: datetime,
    deputies: Deputies,
) -> list[Event]:
    """Add an approver before the actor (they decide first, then the step comes back) or after
    (the actor approves now; the added approver decides next)."""
    task = your_task(state, actor)
    _check_newcomer(state, member, actor)
    node = state.node(task.nid)
    index = next(i for i, n in enumerate(state.nodes) if n.nid == node.nid)
    step = {
        "name": ADDED_STEP,
        "approvers": [member],
        "mode": "any",
        "quorum": 1,
        "veto": [],
        "sla": node.sla,
    }
    data = {
        "where": where,
        "new_nid": state.next_nid(),
        "index": index if where == "before" else index + 1,
        "step": step,
        "suspended_nid": node.nid,
        "comment": comment,
        "member": member,
        "tid": task.tid,
    }
    run = Transition(state, [])
    run.add(
        Event(
            "step_added", now, actor=actor, on_behalf_of=task.on_behalf_of, nid=node.nid, data=data
        )
    )
    if where == "before":
        advance(run, now, deputies)
    else:
        decide_task(run, task, "approve", comment, now, actor=actor)
        settle(run, now, deputies)
    return run.events


def return_to(
    state: RequestState,
    actor: int,
    target: int | None,
    comment: str,
    now: datetime,
    deputies: Deputies,
) -> list[Event]:
    """Send the request back: to the initiator (``target`` None) or to an earlier step."""
    task = your_task(state, actor)
    if target is not None and target not in returnable(state):
        raise Conflict(_("You can return approval #{id} only to an earlier step."), id=state.id)
    run = Transition(state, [])
    data = {"tid": task.tid, "to": target, "comment": comment}
    run.add(
        Event("returned", now, actor=actor, on_behalf_of=task.on_behalf_of, nid=task.nid, data=data)
    )
    advance(run, now, deputies)
    return run.events


def returnable(state: RequestState) -> list[int]:
    """The earlier steps the active one may be returned to (decided, not skipped)."""
    found: list[int] = []
    for node in state.nodes:
        if node.status == NodeStatus.ACTIVE:
            return found
        if node.status == NodeStatus.APPROVED:
            found.append(node.nid)
    return []


def withdraw(
    state: RequestState, actor: int, now: datetime, *, after_approval: bool
) -> list[Event]:
    """The initiator withdraws: an open request, or (``after_approval``) an approved one."""
    initiator_only(state, actor)
    allowed = OPEN + ((Status.APPROVED,) if after_approval else ())
    if state.status not in allowed:
        raise AlreadyDecided(
            _("Approval #{id} is {status} already."), id=state.id, status=state.status
        )
    data = {"from": state.status}
    return [Event("withdrawn", now, actor=actor, data=data)]


def urge(state: RequestState, actor: int, now: datetime) -> list[Event]:
    """The initiator nudges the approvers, at most once an hour."""
    initiator_only(state, actor)
    node = state.active
    if state.status != Status.PENDING or node is None:
        raise AlreadyDecided(
            _("Approval #{id} is {status} already."), id=state.id, status=state.status
        )
    if state.urged_at is not None and now - state.urged_at < URGE_EVERY:
        raise Conflict(_("You can urge approval #{id} once an hour."), id=state.id)
    return [Event("urged", now, actor=actor, nid=node.nid)]


def escalate(
    state: RequestState,
    nid: int,
    managers: Callable[[int], int | None],
    now: datetime,
    deputies: Deputies,
) -> list[Event]:
    """Give each overdue task of the step to the approver's manager (on the approver's behalf)."""
    node = state.active
    if node is None or node.nid != nid:
        return []
    run = Transition(state, [])
    for task in state.current_tasks(node):
        to = managers(task.approver)
        if task.status != TaskStatus.PENDING or to is None or to == state.initiator:
            continue
        holders = {
            t.approver for t in run.state.current_tasks(node) if t.status == TaskStatus.PENDING
        }
        if to in holders:
            continue
        _hand_over(run, task, to, "", now, deputies, kind="escalated", actor=None)
    return run.events


def auto_decide(
    state: RequestState, nid: int, verdict: str, now: datetime, deputies: Deputies
) -> list[Event]:
    """Bizbot decides the overdue step's open tasks by the SLA's rule."""
    node = state.active
    if node is None or node.nid != nid:
        return []
    run = Transition(state, [])
    for task in state.current_tasks(node):
        if run.state.active is None or run.state.active.nid != nid:
            break
        if run.state.task(task.tid).status == TaskStatus.PENDING:
            decide_task(run, task, verdict, "", now, auto="sla")
            settle(run, now, deputies)
    return run.events


def remind(state: RequestState, nid: int, now: datetime) -> list[Event]:
    """A reminder went to the approvers of the step (logged)."""
    node = state.active
    if node is None or node.nid != nid:
        return []
    return [Event("reminded", now, nid=nid)]

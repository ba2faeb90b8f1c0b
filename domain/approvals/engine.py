"""The flow engine: which events a command causes, given the request's state. Pure.

A step finishes when its decision rule is met: ``any`` (or-sign) on the first decision,
``all`` (countersign) when everyone approved or anyone rejected, ``quorum`` N of M when N
approved, or when a veto member rejected or N can no longer be reached. Then the next step
starts; an approver who approved the step just before approves again by themselves (they
decide once). Tasks go to a member's deputy while a delegation runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.approvals.labels import _
from domain.approvals.state import (
    OPEN,
    Event,
    Node,
    NodeStatus,
    RequestState,
    Status,
    Task,
    TaskStatus,
    fold,
)
from domain.shared.errors import Conflict, Forbidden

Deputies = Callable[[int], int | None]  # the member standing in for a member now, if any
URGE_EVERY = timedelta(hours=1)
ADDED_STEP = {"en": "Added approver", "zh_CN": "加签"}


class NotWaitingForYou(Forbidden):
    """The actor has no task in the step being decided."""


class AlreadyDecided(Conflict):
    """The request or the actor's part of it is decided already."""


@dataclass
class Transition:
    """Events being gathered for one transition, with the state they lead to."""

    state: RequestState
    events: list[Event]

    def add(self, event: Event) -> None:
        """Add an event and move the working state on."""
        self.events.append(event)
        self.state = fold(self.state, [event], self.state.version)


def submit(
    request_id: int,
    template: tuple[str, int],
    initiator: int,
    fields: dict[str, Any],
    plan: dict[str, Any],
    now: datetime,
    deputies: Deputies,
) -> list[Event]:
    """The events of a new request: submitted, then its first steps started (or skipped)."""
    submitted = Event(
        "submitted",
        now,
        actor=initiator,
        data={
            "request": request_id,
            "template": template[0],
            "template_version": template[1],
            "fields": fields,
            **plan,
        },
    )
    run = Transition(fold(None, [submitted], 0), [submitted])
    _advance(run, now, deputies)
    return run.events


def resubmit(
    state: RequestState,
    actor: int,
    fields: dict[str, Any],
    plan: dict[str, Any],
    now: datetime,
    deputies: Deputies,
) -> list[Event]:
    """A returned request submitted again (fields corrected): planned anew, from the start."""
    _initiator_only(state, actor)
    if state.status != Status.RETURNED:
        raise AlreadyDecided(_("Approval #{id} was not returned to you."), id=state.id)
    run = Transition(state, [])
    data = {"fields": fields, "first_nid": state.next_nid(), **plan}
    run.add(Event("resubmitted", now, actor=actor, data=data))
    _advance(run, now, deputies)
    return run.events


def decide(
    state: RequestState,
    actor: int,
    verdict: str,
    comment: str,
    now: datetime,
    deputies: Deputies,
) -> list[Event]:
    """The actor approves or rejects their part of the step being decided."""
    task = your_task(state, actor)
    run = Transition(state, [])
    _decide_task(run, task, verdict, comment, now, actor=actor)
    _settle(run, now, deputies)
    return run.events


def your_task(state: RequestState, actor: int) -> Task:
    """The actor's pending task; AlreadyDecided or NotWaitingForYou when there is none."""
    if state.status != Status.PENDING:
        raise AlreadyDecided(
            _("Approval #{id} is {status} already."), id=state.id, status=state.status
        )
    task = state.pending_for(actor)
    if task is not None:
        return task
    node = state.active
    mine = [t for t in state.tasks if t.approver == actor and node and t.nid == node.nid]
    if mine and mine[-1].status in (TaskStatus.APPROVED, TaskStatus.REJECTED):
        raise AlreadyDecided(
            _("You have already decided your part of approval #{id}."), id=state.id
        )
    raise NotWaitingForYou(_("Approval #{id} is not waiting for you."), id=state.id)


def _decide_task(
    run: Transition, task: Task, verdict: str, comment: str, now: datetime, **who: Any
) -> None:
    kind = "approved" if verdict == "approve" else "rejected"
    data: dict[str, Any] = {"tid": task.tid, "comment": comment}
    if "auto" in who:
        data["auto"] = who["auto"]
    actor = who.get("actor")
    on_behalf = task.on_behalf_of if actor is not None else None
    run.add(Event(kind, now, actor=actor, on_behalf_of=on_behalf, nid=task.nid, data=data))


def _settle(run: Transition, now: datetime, deputies: Deputies) -> None:
    """If the active step is decided now, close it and move on."""
    node = run.state.active
    if node is None:
        return
    outcome = node_outcome(node, run.state.current_tasks(node))
    if outcome is None:
        return
    run.add(Event("node_decided", now, nid=node.nid, data={"outcome": outcome}))
    if outcome == NodeStatus.REJECTED:
        run.add(Event("finished", now, data={"outcome": Status.REJECTED}))
        return
    _advance(run, now, deputies)


def node_outcome(node: Node, tasks: list[Task]) -> str | None:
    """``approved``, ``rejected`` or None (still open) under the step's decision rule."""
    live = [
        t
        for t in tasks
        if t.status in (TaskStatus.PENDING, TaskStatus.APPROVED, TaskStatus.REJECTED)
    ]
    approvers = {t.principal for t in live if t.status == TaskStatus.APPROVED}
    rejected = [t for t in live if t.status == TaskStatus.REJECTED]
    pending = {t.principal for t in live if t.status == TaskStatus.PENDING} - approvers
    if node.mode == "any":
        if approvers:
            return NodeStatus.APPROVED
        return NodeStatus.REJECTED if rejected else None
    if node.mode == "all":
        if rejected:
            return NodeStatus.REJECTED
        return None if pending else NodeStatus.APPROVED
    if len(approvers) >= node.quorum:
        return NodeStatus.APPROVED
    vetoed = any(t.principal in node.veto or t.approver in node.veto for t in rejected)
    if vetoed or len(approvers) + len(pending) < node.quorum:
        return NodeStatus.REJECTED
    return None


def _advance(run: Transition, now: datetime, deputies: Deputies) -> None:
    """Start the next waiting step (skipping self-only steps); finish when none is left."""
    for _round in range(len(run.state.nodes) + 1):
        if run.state.active is not None or run.state.status != Status.PENDING:
            return
        node = next((n for n in run.state.nodes if n.status == NodeStatus.WAITING), None)
        if node is None:
            run.add(Event("finished", now, data={"outcome": Status.APPROVED}))
            return
        if not node.approvers or node.note in ("self", "nobody"):
            run.add(Event("node_skipped", now, nid=node.nid, data={"note": node.note or "empty"}))
            continue
        _start(run, node, now, deputies)
        _repeat_approvals(run, node, now)
        _settle(run, now, deputies)
        return


def _start(run: Transition, node: Node, now: datetime, deputies: Deputies) -> None:
    state = run.state
    tid = state.next_tid()
    tasks = []
    for i, member in enumerate(node.approvers):
        acting = stand_in(member, state.initiator, deputies)
        entry: dict[str, Any] = {"tid": tid + i, "approver": acting}
        if acting != member:
            entry["on_behalf_of"] = member
        tasks.append(entry)
    data = {"round": node.round + 1, "tasks": tasks}
    run.add(Event("node_started", now, nid=node.nid, data=data))


def stand_in(member: int, initiator: int, deputies: Deputies) -> int:
    """Who acts for ``member`` now: their deputy (never the initiator), or themselves."""
    deputy = deputies(member)
    return deputy if deputy is not None and deputy not in (initiator, member) else member


def _repeat_approvals(run: Transition, node: Node, now: datetime) -> None:
    """Approvers who approved the step just before decide once: approve their new tasks."""
    state = run.state
    index = next(i for i, n in enumerate(state.nodes) if n.nid == node.nid)
    previous = next(
        (n for n in reversed(state.nodes[:index]) if n.status != NodeStatus.SKIPPED), None
    )
    if previous is None or previous.status != NodeStatus.APPROVED:
        return
    approved = {
        t.approver for t in state.current_tasks(previous) if t.status == TaskStatus.APPROVED
    }
    active = state.node(node.nid)
    for task in state.current_tasks(active):
        if task.approver in approved and run.state.pending_for(task.approver) is not None:
            _decide_task(run, task, "approve", "", now, actor=task.approver, auto="repeat")


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
    if kind == "escalated":  # the manager decides for the approver who did not
        data["new_on_behalf_of"] = task.principal
    elif acting != to:
        data["new_on_behalf_of"] = to
    on_behalf = task.on_behalf_of if actor is not None else None
    run.add(Event(kind, now, actor=actor, on_behalf_of=on_behalf, nid=task.nid, data=data))


def _check_newcomer(state: RequestState, member: int, actor: int) -> None:
    if member == actor:
        raise Conflict(_("Choose someone other than yourself."))
    if member == state.initiator:
        raise Conflict(_("The initiator cannot approve their own request."))
    node = state.active
    if node and any(
        t.status == TaskStatus.PENDING and member in (t.approver, t.principal)
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
    }
    run = Transition(state, [])
    run.add(
        Event(
            "step_added", now, actor=actor, on_behalf_of=task.on_behalf_of, nid=node.nid, data=data
        )
    )
    if where == "before":
        _advance(run, now, deputies)
    else:
        _decide_task(run, task, "approve", comment, now, actor=actor)
        _settle(run, now, deputies)
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
    _advance(run, now, deputies)
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
    _initiator_only(state, actor)
    allowed = OPEN + ((Status.APPROVED,) if after_approval else ())
    if state.status not in allowed:
        raise AlreadyDecided(
            _("Approval #{id} is {status} already."), id=state.id, status=state.status
        )
    data = {"from": state.status}
    return [Event("withdrawn", now, actor=actor, data=data)]


def urge(state: RequestState, actor: int, now: datetime) -> list[Event]:
    """The initiator nudges the approvers, at most once an hour."""
    _initiator_only(state, actor)
    node = state.active
    if state.status != Status.PENDING or node is None:
        raise AlreadyDecided(
            _("Approval #{id} is {status} already."), id=state.id, status=state.status
        )
    if state.urged_at is not None and now - state.urged_at < URGE_EVERY:
        raise Conflict(_("You can urge approval #{id} once an hour."), id=state.id)
    return [Event("urged", now, actor=actor, nid=node.nid)]


def _initiator_only(state: RequestState, actor: int) -> None:
    if actor != state.initiator:
        raise NotWaitingForYou(
            _("Only the initiator can do that with approval #{id}."), id=state.id
        )


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
            _decide_task(run, task, verdict, "", now, auto="sla")
            _settle(run, now, deputies)
    return run.events


def remind(state: RequestState, nid: int, now: datetime) -> list[Event]:
    """A reminder went to the approvers of the step (logged)."""
    node = state.active
    if node is None or node.nid != nid:
        return []
    return [Event("reminded", now, nid=nid)]

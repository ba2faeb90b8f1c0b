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
from datetime import datetime
from typing import Any

from domain.approvals.labels import _
from domain.approvals.state import (
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
    advance(run, now, deputies)
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
    initiator_only(state, actor)
    if state.status != Status.RETURNED:
        raise AlreadyDecided(_("Approval #{id} was not returned to you."), id=state.id)
    run = Transition(state, [])
    data = {"fields": fields, "first_nid": state.next_nid(), **plan}
    run.add(Event("resubmitted", now, actor=actor, data=data))
    advance(run, now, deputies)
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
    decide_task(run, task, verdict, comment, now, actor=actor)
    settle(run, now, deputies)
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


def decide_task(
    run: Transition, task: Task, verdict: str, comment: str, now: datetime, **who: Any
) -> None:
    """Record one task's decision (by its approver, or by Bizbot with ``auto``)."""
    kind = "approved" if verdict == "approve" else "rejected"
    data: dict[str, Any] = {"tid": task.tid, "comment": comment}
    if "auto" in who:
        data["auto"] = who["auto"]
    actor = who.get("actor")
    on_behalf = task.on_behalf_of if actor is not None else None
    run.add(Event(kind, now, actor=actor, on_behalf_of=on_behalf, nid=task.nid, data=data))


def settle(run: Transition, now: datetime, deputies: Deputies) -> None:
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
    advance(run, now, deputies)


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


def advance(run: Transition, now: datetime, deputies: Deputies) -> None:
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
        settle(run, now, deputies)
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
            decide_task(run, task, "approve", "", now, actor=task.approver, auto="repeat")


def initiator_only(state: RequestState, actor: int) -> None:
    if actor != state.initiator:
        raise NotWaitingForYou(
            _("Only the initiator can do that with approval #{id}."), id=state.id
        )

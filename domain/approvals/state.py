"""A request's state and the events that change it. Pure: the engine decides which events a
command causes; ``fold`` applies them; replaying a request's log folds all of them again.

Every transition is one group of events sharing the version they produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Where a request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    RETURNED = "returned"  # sent back to the initiator for correction


class NodeStatus(StrEnum):
    """Where a step stands."""

    WAITING = "waiting"
    ACTIVE = "active"
    APPROVED = "approved"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    """Where one approver's part stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    RETURNED = "returned"
    CANCELLED = "cancelled"


OPEN = (Status.PENDING, Status.RETURNED)
LIVE_TASKS = (TaskStatus.PENDING, TaskStatus.APPROVED, TaskStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a request: who (``actor``, None for Bizbot itself), on whose
    behalf, to which step, what, and when."""

    kind: str
    at: datetime
    actor: int | None = None
    on_behalf_of: int | None = None
    nid: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Task:
    """One approver's part in one round of a step; ``approver`` acts, for ``on_behalf_of``."""

    tid: int
    nid: int
    round: int
    approver: int
    on_behalf_of: int | None
    status: str
    created_at: datetime
    comment: str = ""
    decided_at: datetime | None = None

    @property
    def principal(self) -> int:
        """Whose part it is: the approver, or the member they stand in for."""
        return self.on_behalf_of if self.on_behalf_of is not None else self.approver


@dataclass(frozen=True, slots=True)
class Node:
    """A step: who may approve it, how they decide, and where it stands."""

    nid: int
    name: dict[str, str]
    mode: str
    quorum: int
    veto: tuple[int, ...]
    approvers: tuple[int, ...]
    sla: dict[str, Any]
    status: str = NodeStatus.WAITING
    round: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class RequestState:
    """Everything about a request that its events determine."""

    id: int
    template_key: str
    template_version: int
    initiator: int
    status: str
    version: int
    fields: dict[str, Any]
    cc: dict[str, list[int]]
    route: list[dict[str, Any]]
    nodes: tuple[Node, ...]
    tasks: tuple[Task, ...]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    urged_at: datetime | None = None

    @property
    def active(self) -> Node | None:
        """The step being decided now."""
        return next((n for n in self.nodes if n.status == NodeStatus.ACTIVE), None)

    @property
    def position(self) -> int:
        """The index of the active step, or -1."""
        return next((i for i, n in enumerate(self.nodes) if n.status == NodeStatus.ACTIVE), -1)

    def node(self, nid: int) -> Node:
        """A step by id."""
        return next(n for n in self.nodes if n.nid == nid)

    def task(self, tid: int) -> Task:
        """A task by id."""
        return next(t for t in self.tasks if t.tid == tid)

    def current_tasks(self, node: Node) -> list[Task]:
        """The tasks of a step's current round."""
        return [t for t in self.tasks if t.nid == node.nid and t.round == node.round]

    def pending_for(self, member_id: int) -> Task | None:
        """The member's pending task in the active step."""
        node = self.active
        if node is None:
            return None
        return next(
            (
                t
                for t in self.current_tasks(node)
                if t.status == TaskStatus.PENDING and t.approver == member_id
            ),
            None,
        )

    def next_tid(self) -> int:
        """An id for a new task."""
        return max((t.tid for t in self.tasks), default=0) + 1

    def next_nid(self) -> int:
        """An id for a new step (ids are never reused, even after a resubmission)."""
        used = [n.nid for n in self.nodes] + [t.nid for t in self.tasks]
        return max(used, default=0) + 1


def fold(state: RequestState | None, events: list[Event], version: int) -> RequestState:
    """Apply one transition's events; the result has ``version`` and was updated at the last."""
    for event in events:
        state = apply(state, event)
    assert state is not None
    return replace(state, version=version, updated_at=events[-1].at)


def apply(state: RequestState | None, event: Event) -> RequestState:
    """The state after one event."""
    if event.kind == "submitted":
        return _submitted(event)
    assert state is not None, f"{event.kind} before submitted"
    handler = _APPLY.get(event.kind)
    return handler(state, event) if handler else state


def _submitted(event: Event) -> RequestState:
    data = event.data
    return RequestState(
        id=int(data["request"]),
        template_key=data["template"],
        template_version=int(data["template_version"]),
        initiator=int(event.actor or 0),
        status=Status.PENDING,
        version=0,
        fields=dict(data["fields"]),
        cc={k: list(v) for k, v in data["cc"].items()},
        route=list(data["route"]),
        nodes=_planned_nodes(data["steps"], first_nid=1),
        tasks=(),
        created_at=event.at,
        updated_at=event.at,
    )


def _planned_nodes(steps: list[dict[str, Any]], first_nid: int) -> tuple[Node, ...]:
    return tuple(_node(first_nid + i, step) for i, step in enumerate(steps))


def _node(nid: int, step: dict[str, Any]) -> Node:
    return Node(
        nid=nid,
        name=dict(step["name"]),
        mode=step["mode"],
        quorum=int(step["quorum"]),
        veto=tuple(step["veto"]),
        approvers=tuple(step["approvers"]),
        sla=dict(step["sla"]),
        note=step.get("note", ""),
    )


def _resubmitted(state: RequestState, event: Event) -> RequestState:
    data = event.data
    first = int(data["first_nid"])
    tasks = tuple(_closed(t, TaskStatus.CANCELLED, event.at) for t in state.tasks)
    return replace(
        state,
        status=Status.PENDING,
        fields=dict(data["fields"]),
        cc={k: list(v) for k, v in data["cc"].items()},
        route=list(data["route"]),
        nodes=_planned_nodes(data["steps"], first_nid=first),
        tasks=tasks,
        finished_at=None,
    )


def _closed(task: Task, status: str, at: datetime) -> Task:
    if task.status != TaskStatus.PENDING:
        return task
    return replace(task, status=status, decided_at=at)


def _with_node(state: RequestState, nid: int, **changes: Any) -> RequestState:
    nodes = tuple(replace(n, **changes) if n.nid == nid else n for n in state.nodes)
    return replace(state, nodes=nodes)


def _with_task(state: RequestState, tid: int, **changes: Any) -> RequestState:
    tasks = tuple(replace(t, **changes) if t.tid == tid else t for t in state.tasks)
    return replace(state, tasks=tasks)


def _node_started(state: RequestState, event: Event) -> RequestState:
    assert event.nid is not None
    round_ = int(event.data["round"])
    new = tuple(
        Task(
            tid=int(t["tid"]),
            nid=event.nid,
            round=round_,
            approver=int(t["approver"]),
            on_behalf_of=t.get("on_behalf_of"),
            status=TaskStatus.PENDING,
            created_at=event.at,
        )
        for t in event.data["tasks"]
    )
    state = _with_node(state, event.nid, status=NodeStatus.ACTIVE, round=round_)
    return replace(state, tasks=state.tasks + new)


def _node_skipped(state: RequestState, event: Event) -> RequestState:
    assert event.nid is not None
    return _with_node(state, event.nid, status=NodeStatus.SKIPPED)


def _decided(status: str) -> Any:
    def apply_decision(state: RequestState, event: Event) -> RequestState:
        return _with_task(
            state,
            int(event.data["tid"]),
            status=status,
            comment=event.data.get("comment", ""),
            decided_at=event.at,
        )

    return apply_decision


def _node_decided(state: RequestState, event: Event) -> RequestState:
    assert event.nid is not None
    node = state.node(event.nid)
    tasks = tuple(
        _closed(t, TaskStatus.CANCELLED, event.at) if t.nid == node.nid else t for t in state.tasks
    )
    return replace(_with_node(state, node.nid, status=event.data["outcome"]), tasks=tasks)


def _finished(state: RequestState, event: Event) -> RequestState:
    tasks = tuple(_closed(t, TaskStatus.CANCELLED, event.at) for t in state.tasks)
    return replace(state, status=event.data["outcome"], finished_at=event.at, tasks=tasks)


def _transferred(state: RequestState, event: Event) -> RequestState:
    old = state.task(int(event.data["tid"]))
    state = _with_task(
        state,
        old.tid,
        status=TaskStatus.TRANSFERRED,
        comment=event.data.get("comment", ""),
        decided_at=event.at,
    )
    new = Task(
        tid=int(event.data["new_tid"]),
        nid=old.nid,
        round=old.round,
        approver=int(event.data["to"]),
        on_behalf_of=event.data.get("new_on_behalf_of"),
        status=TaskStatus.PENDING,
        created_at=event.at,
    )
    return replace(state, tasks=(*state.tasks, new))


def _step_added(state: RequestState, event: Event) -> RequestState:
    data = event.data
    node = _node(int(data["new_nid"]), data["step"])
    nodes = list(state.nodes)
    nodes.insert(int(data["index"]), node)
    state = replace(state, nodes=tuple(nodes))
    if data["where"] != "before":
        return state
    active = next(n for n in state.nodes if n.nid == int(data["suspended_nid"]))
    tasks = tuple(
        _closed(t, TaskStatus.CANCELLED, event.at) if t.nid == active.nid else t
        for t in state.tasks
    )
    return replace(_with_node(state, active.nid, status=NodeStatus.WAITING), tasks=tasks)


def _returned(state: RequestState, event: Event) -> RequestState:
    data = event.data
    state = _with_task(
        state,
        int(data["tid"]),
        status=TaskStatus.RETURNED,
        comment=data.get("comment", ""),
        decided_at=event.at,
    )
    tasks = tuple(_closed(t, TaskStatus.CANCELLED, event.at) for t in state.tasks)
    target = data.get("to")
    first = 0 if target is None else next(i for i, n in enumerate(state.nodes) if n.nid == target)
    nodes = tuple(
        replace(n, status=NodeStatus.WAITING)
        if i >= first and n.status != NodeStatus.SKIPPED
        else n
        for i, n in enumerate(state.nodes)
    )
    status = Status.RETURNED if target is None else state.status
    return replace(state, tasks=tasks, nodes=nodes, status=status)


def _withdrawn(state: RequestState, event: Event) -> RequestState:
    tasks = tuple(_closed(t, TaskStatus.CANCELLED, event.at) for t in state.tasks)
    nodes = tuple(
        replace(n, status=NodeStatus.CANCELLED)
        if n.status in (NodeStatus.WAITING, NodeStatus.ACTIVE)
        else n
        for n in state.nodes
    )
    return replace(state, status=Status.WITHDRAWN, finished_at=event.at, tasks=tasks, nodes=nodes)


def _urged(state: RequestState, event: Event) -> RequestState:
    return replace(state, urged_at=event.at)


_APPLY: dict[str, Any] = {
    "resubmitted": _resubmitted,
    "node_started": _node_started,
    "node_skipped": _node_skipped,
    "approved": _decided(TaskStatus.APPROVED),
    "rejected": _decided(TaskStatus.REJECTED),
    "node_decided": _node_decided,
    "finished": _finished,
    "transferred": _transferred,
    "escalated": _transferred,
    "step_added": _step_added,
    "returned": _returned,
    "withdrawn": _withdrawn,
    "urged": _urged,
}

"""Loading a request's state from its tables and saving a transition: compare-and-set on the
request's version, then the steps, tasks and the transition's events (append-only).

Reads are Core statements, never the ORM's identity map: after a lost compare-and-set the
caller reads again and must see what the winner committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from domain.approvals.models import ApprovalEvent, ApprovalNode, ApprovalRequest, ApprovalTask
from domain.approvals.state import Event, Node, RequestState, Task, fold

REQUESTS = cast(Table, ApprovalRequest.__table__)
NODES = cast(Table, ApprovalNode.__table__)
TASKS = cast(Table, ApprovalTask.__table__)
EVENTS = cast(Table, ApprovalEvent.__table__)


@dataclass(frozen=True, slots=True)
class Cause:
    """The platform event behind a transition: its inbox row and ``channel:event id``."""

    inbox_id: int | None = None
    source: str = ""


class LostRace(Exception):
    """Another transaction changed the request first (the compare-and-set found no row)."""


def new_request_id(
    session: Session, template: tuple[str, int], initiator: int, now: datetime
) -> int:
    """Reserve a request row (version 0) and return its id; the first transition fills it."""
    result = cast(
        CursorResult[Any],
        session.execute(
            insert(REQUESTS).values(
                template_key=template[0],
                template_version=template[1],
                initiator_id=initiator,
                status="new",
                version=0,
                position=-1,
                fields={},
                cc={},
                route=[],
                created_at=now,
                updated_at=now,
            )
        ),
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def load(session: Session, request_id: int) -> RequestState | None:
    """The request's current state, read fresh (None if there is no such request)."""
    row = session.execute(select(REQUESTS).where(REQUESTS.c.id == request_id)).first()
    if row is None or row.status == "new":
        return None
    nodes = session.execute(
        select(NODES).where(NODES.c.request_id == request_id).order_by(NODES.c.position)
    ).all()
    tasks = session.execute(
        select(TASKS).where(TASKS.c.request_id == request_id).order_by(TASKS.c.tid)
    ).all()
    return RequestState(
        id=row.id,
        template_key=row.template_key,
        template_version=row.template_version,
        initiator=row.initiator_id,
        status=row.status,
        version=row.version,
        fields=dict(row.fields),
        cc={k: list(v) for k, v in row.cc.items()},
        route=list(row.route),
        nodes=tuple(_node(n) for n in nodes),
        tasks=tuple(_task(t) for t in tasks),
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        urged_at=row.urged_at,
    )


def _node(row: Any) -> Node:
    return Node(
        nid=row.nid,
        name=dict(row.name),
        mode=row.mode,
        quorum=row.quorum,
        veto=tuple(row.veto),
        approvers=tuple(row.approvers),
        sla=dict(row.sla),
        status=row.status,
        round=row.round,
        note=row.note,
    )


def _task(row: Any) -> Task:
    return Task(
        tid=row.tid,
        nid=row.nid,
        round=row.round,
        approver=row.approver_id,
        on_behalf_of=row.on_behalf_of_id,
        status=row.status,
        created_at=row.created_at,
        comment=row.comment,
        decided_at=row.decided_at,
    )


def save(
    session: Session,
    before: RequestState | None,
    request_id: int,
    events: list[Event],
    cause: Cause,
) -> RequestState:
    """Apply a transition: compare-and-set the request, write steps and tasks, log the events.

    ``LostRace`` when the request is no longer at ``before``'s version (nothing was written).
    """
    version = (before.version if before else 0) + 1
    after = fold(before, events, version)
    claimed = session.execute(
        update(REQUESTS)
        .where(REQUESTS.c.id == request_id, REQUESTS.c.version == version - 1)
        .values(
            status=after.status,
            version=after.version,
            position=after.position,
            fields=after.fields,
            cc=after.cc,
            route=after.route,
            updated_at=after.updated_at,
            finished_at=after.finished_at,
            urged_at=after.urged_at,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LostRace(request_id)
    _save_nodes(session, before, after)
    _save_tasks(session, before, after)
    _append(session, request_id, version, events, cause)
    return after


def _save_nodes(session: Session, before: RequestState | None, after: RequestState) -> None:
    old = {n.nid: (i, n) for i, n in enumerate(before.nodes)} if before else {}
    kept = {n.nid for n in after.nodes}
    gone = [nid for nid in old if nid not in kept]
    if gone:
        session.execute(delete(NODES).where(NODES.c.request_id == after.id, NODES.c.nid.in_(gone)))
    for position, node in enumerate(after.nodes):
        values = {
            "position": position,
            "name": node.name,
            "mode": node.mode,
            "quorum": node.quorum,
            "veto": list(node.veto),
            "approvers": list(node.approvers),
            "status": node.status,
            "round": node.round,
            "sla": node.sla,
            "note": node.note,
        }
        if node.nid not in old:
            session.execute(insert(NODES).values(request_id=after.id, nid=node.nid, **values))
        elif old[node.nid] != (position, node):
            session.execute(
                update(NODES)
                .where(NODES.c.request_id == after.id, NODES.c.nid == node.nid)
                .values(**values)
            )


def _save_tasks(session: Session, before: RequestState | None, after: RequestState) -> None:
    old = {t.tid: t for t in before.tasks} if before else {}
    for task in after.tasks:
        values = {
            "nid": task.nid,
            "round": task.round,
            "approver_id": task.approver,
            "on_behalf_of_id": task.on_behalf_of,
            "status": task.status,
            "comment": task.comment,
            "created_at": task.created_at,
            "decided_at": task.decided_at,
        }
        if task.tid not in old:
            session.execute(insert(TASKS).values(request_id=after.id, tid=task.tid, **values))
        elif old[task.tid] != task:
            session.execute(
                update(TASKS)
                .where(TASKS.c.request_id == after.id, TASKS.c.tid == task.tid)
                .values(**values)
            )


def _append(
    session: Session, request_id: int, version: int, events: list[Event], cause: Cause
) -> None:
    last = session.scalar(select(func.max(EVENTS.c.seq)).where(EVENTS.c.request_id == request_id))
    first = (last or 0) + 1
    session.execute(
        insert(EVENTS),
        [
            {
                "request_id": request_id,
                "seq": first + i,
                "version": version,
                "kind": e.kind,
                "actor_id": e.actor,
                "on_behalf_of_id": e.on_behalf_of,
                "nid": e.nid,
                "data": e.data,
                "cause_id": cause.inbox_id,
                "source": cause.source[:300],
                "at": e.at,
            }
            for i, e in enumerate(events)
        ],
    )


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as stored, with its place in the log and its cause."""

    seq: int
    version: int
    event: Event
    cause_id: int | None
    source: str


def log_of(session: Session, request_id: int) -> list[LoggedEvent]:
    """A request's whole event log, in order."""
    rows = session.execute(
        select(EVENTS).where(EVENTS.c.request_id == request_id).order_by(EVENTS.c.seq)
    )
    return [
        LoggedEvent(
            r.seq,
            r.version,
            Event(r.kind, r.at, r.actor_id, r.on_behalf_of_id, r.nid, dict(r.data)),
            r.cause_id,
            r.source,
        )
        for r in rows
    ]


def replay(logged: list[LoggedEvent]) -> RequestState | None:
    """The state a log leads to, folding it transition by transition."""
    state: RequestState | None = None
    group: list[Event] = []
    version = 0
    for entry in logged:
        if group and entry.version != version:
            state = fold(state, group, version)
            group = []
        version = entry.version
        group.append(entry.event)
    return fold(state, group, version) if group else state

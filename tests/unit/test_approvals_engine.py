"""The flow engine without a database: decision rules, and random walks whose event log, folded
again, gives the same state (and never decides a step twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.approvals import engine, moves
from domain.approvals.state import Event, Node, RequestState, Status, Task, TaskStatus, fold
from domain.shared.errors import DomainError

NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)
INITIATOR = 1
MEMBERS = (2, 3, 4, 5, 6)


def step(
    approvers: list[int], mode: str = "any", quorum: int = 1, veto: list[int] | None = None
) -> dict[str, Any]:
    return {
        "name": {"en": "S"},
        "approvers": approvers,
        "mode": mode,
        "quorum": quorum,
        "veto": veto or [],
        "sla": {},
        "note": "",
    }


def plan(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"cc": {"submit": [], "finish": []}, "route": [], "steps": list(steps)}


def nobody(_member: int) -> int | None:
    return None


def start(*steps: dict[str, Any]) -> tuple[RequestState, list[list[Event]]]:
    events = engine.submit(7, ("t", 1), INITIATOR, {}, plan(*steps), NOW, nobody)
    return fold(None, events, 1), [events]


def node(mode: str, quorum: int = 1, veto: tuple[int, ...] = ()) -> Node:
    return Node(1, {"en": "S"}, mode, quorum, veto, (2, 3, 4), {}, status="active", round=1)


def task(tid: int, approver: int, status: str) -> Task:
    return Task(tid, 1, 1, approver, None, status, NOW)


def test_or_sign_is_decided_by_the_first_decision() -> None:
    assert (
        engine.node_outcome(node("any"), [task(1, 2, "approved"), task(2, 3, "pending")])
        == "approved"
    )
    assert (
        engine.node_outcome(node("any"), [task(1, 2, "rejected"), task(2, 3, "pending")])
        == "rejected"
    )
    assert engine.node_outcome(node("any"), [task(1, 2, "pending")]) is None


def test_countersign_needs_everyone_and_any_reject_ends_it() -> None:
    tasks = [task(1, 2, "approved"), task(2, 3, "approved"), task(3, 4, "pending")]
    assert engine.node_outcome(node("all"), tasks) is None
    assert engine.node_outcome(node("all"), [*tasks[:2], task(3, 4, "approved")]) == "approved"
    assert engine.node_outcome(node("all"), [*tasks[:2], task(3, 4, "rejected")]) == "rejected"


def test_quorum_counts_people_and_ends_on_a_veto_or_when_out_of_reach() -> None:
    two = node("quorum", 2, veto=(4,))
    assert (
        engine.node_outcome(
            two, [task(1, 2, "approved"), task(2, 3, "approved"), task(3, 4, "pending")]
        )
        == "approved"
    )
    assert (
        engine.node_outcome(
            two, [task(1, 2, "approved"), task(2, 3, "pending"), task(3, 4, "rejected")]
        )
        == "rejected"
    )
    assert (
        engine.node_outcome(
            two, [task(1, 2, "rejected"), task(2, 3, "rejected"), task(3, 4, "pending")]
        )
        == "rejected"
    )
    assert (
        engine.node_outcome(
            two, [task(1, 2, "approved"), task(2, 3, "rejected"), task(3, 4, "pending")]
        )
        is None
    )
    transferred = [
        task(1, 2, "transferred"),
        task(4, 5, "approved"),
        task(2, 3, "approved"),
        task(3, 4, "pending"),
    ]
    assert engine.node_outcome(two, transferred) == "approved"


def test_a_deputy_stands_in_but_never_the_initiator() -> None:
    assert engine.stand_in(2, INITIATOR, lambda m: 5 if m == 2 else None) == 5
    assert engine.stand_in(2, INITIATOR, lambda m: INITIATOR) == 2
    assert engine.stand_in(2, INITIATOR, nobody) == 2


ACTIONS = (
    "approve",
    "reject",
    "transfer",
    "before",
    "after",
    "return",
    "withdraw",
    "urge",
    "resubmit",
)


@settings(max_examples=150, deadline=None)
@given(
    modes=st.lists(st.sampled_from(["any", "all", "quorum"]), min_size=1, max_size=3),
    moves=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.sampled_from((INITIATOR, *MEMBERS)),
            st.sampled_from(MEMBERS),
        ),
        max_size=25,
    ),
)
def test_a_random_walk_replays_to_the_same_state_and_decides_once(
    modes: list[str], moves: list[tuple[str, int, int]]
) -> None:
    steps = [
        step(
            [2, 3, 4],
            mode,
            quorum=2 if mode == "quorum" else 1,
            veto=[4] if mode == "quorum" else None,
        )
        for mode in modes
    ]
    state, log = start(*steps)
    at = NOW
    for action, actor, other in moves:
        at += timedelta(minutes=61)
        try:
            events = _move(state, action, actor, other, at, steps)
        except DomainError:
            continue  # refused: nothing changes
        if events:
            state = fold(state, events, state.version + 1)
            log.append(events)
    replayed: RequestState | None = None
    for version, events in enumerate(log, start=1):
        replayed = fold(replayed, events, version)
    assert replayed == state
    finished = [e for group in log for e in group if e.kind == "finished"]
    resubmits = sum(e.kind == "resubmitted" for group in log for e in group)
    assert len(finished) <= 1 + resubmits  # one outcome per submission at most
    if state.status in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
        assert all(t.status != TaskStatus.PENDING for t in state.tasks)
    for n in state.nodes:
        decided = [e for group in log for e in group if e.kind == "node_decided" and e.nid == n.nid]
        assert len(decided) <= n.round  # a step is decided at most once per round


def _move(
    state: RequestState,
    action: str,
    actor: int,
    other: int,
    at: datetime,
    steps: list[dict[str, Any]],
) -> list[Event]:
    if action in ("approve", "reject"):
        return engine.decide(state, actor, action, "why", at, nobody)
    if action == "transfer":
        return moves.transfer(state, actor, other, "", at, nobody)
    if action in ("before", "after"):
        return moves.add_step(state, actor, other, action, "", at, nobody)
    if action == "return":
        target = moves.returnable(state)
        return moves.return_to(
            state, actor, target[0] if target and other % 2 else None, "fix", at, nobody
        )
    if action == "withdraw":
        return moves.withdraw(state, actor, at, after_approval=False)
    if action == "urge":
        return moves.urge(state, actor, at)
    return engine.resubmit(state, actor, {}, plan(*steps), at, nobody)

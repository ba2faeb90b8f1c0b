"""SLAs on durable timers, counted in working hours: remind the approvers after X, escalate to
their managers after Y, and (optionally) decide by themselves after Z."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain.approvals.state import Node, RequestState
from domain.timers.models import LatePolicy
from domain.timers.services import cancel_subject, schedule
from domain.worktime.calendar import WorkCalendar

KIND = "approval.sla"
STEPS = (("remind", "remind_after"), ("escalate", "escalate_after"), ("auto", "auto_after"))


def subject_of(request_id: int) -> str:
    """The timers' (and cards') subject for a request: ``approval:42``."""
    return f"approval:{request_id}"


def restart_timers(
    session: Session, state: RequestState, calendar: WorkCalendar, now: datetime
) -> list[int]:
    """Cancel the request's SLA timers and start those of its active step (if any)."""
    cancel_subject(session, subject_of(state.id), kind=KIND)
    node = state.active
    if node is None:
        return []
    return [
        schedule(
            session,
            kind=KIND,
            due_at=calendar.add_working_hours(now, Decimal(str(node.sla[key]))),
            now=now,
            subject=subject_of(state.id),
            payload=_payload(state, node, step),
            late_policy=LatePolicy.FIRE,
        )
        for step, key in STEPS
        if node.sla.get(key) is not None
    ]


def stop_timers(session: Session, request_id: int) -> int:
    """Cancel every SLA timer of a request (it was decided, returned or withdrawn)."""
    return cancel_subject(session, subject_of(request_id), kind=KIND)


def _payload(state: RequestState, node: Node, step: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "request": state.id,
        "nid": node.nid,
        "round": node.round,
        "step": step,
    }
    if step == "auto":
        payload["verdict"] = node.sla.get("auto", "approve")
    return payload


def still_due(state: RequestState, payload: dict[str, Any]) -> bool:
    """Whether a timer still concerns the step being decided (same step, same round)."""
    node = state.active
    return (
        node is not None and node.nid == payload.get("nid") and node.round == payload.get("round")
    )

"""Leave approved → the member's calendar shows it (``flows.leave.calendar``, issue 16 point 5):
an all-day block titled in the member's language, taken off when the leave is withdrawn. The
logic and its once-only record are in ``domain/flows/leave_flow.py``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.i18n import _, t
from bot.pipeline.flows import FlowConsumer, FlowContext
from domain.flows import leave_flow
from domain.flows.consumers import Consumer
from domain.shared.domain_events import DomainEvent


def on_leave(session: Session, event: DomainEvent, context: FlowContext) -> None:
    """Block the approved leave's days on the member's calendar, or free them when withdrawn."""
    away = leave_flow.leave_to_block(session, event)
    if away is None:
        leave_flow.unblock(session, event, context.now)
        return
    locale = context.member(away.member_id).locale
    title = t(locale, _("🌴 On leave"))
    notes = t(locale, _("Approved leave, request #{id}"), id=away.request_id)
    leave_flow.block(session, away, title, notes, context.now)


FLOW_CONSUMERS: list[FlowConsumer] = [
    Consumer("flows.leave.calendar", leave_flow.EVENTS, on_leave),
]

"""Ticket SLAs: a first-response and a resolution clock per ticket, counted in the org's working
hours (``WorkCalendar.add_working_hours``, the same arithmetic approval SLAs use) and kept as
durable timers. A breach is recorded once, whatever number of times its timer is delivered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.crm.models import Ticket, TicketEvent
from domain.directory.models import Department, Member
from domain.timers.models import LatePolicy
from domain.timers.services import cancel_subject, schedule
from domain.worktime.services import work_calendar

KIND = "crm.ticket_sla"
Clock = Literal["response", "resolution"]
CLOSED = ("resolved", "closed")


@dataclass(frozen=True, slots=True)
class SlaHours:
    """Working hours allowed until the first response and until the resolution."""

    response: Decimal
    resolution: Decimal


DEFAULT_SLA = {
    "urgent": SlaHours(Decimal(1), Decimal(4)),
    "high": SlaHours(Decimal(2), Decimal(8)),
    "normal": SlaHours(Decimal(4), Decimal(24)),
    "low": SlaHours(Decimal(8), Decimal(40)),
}
DEFAULT_SLA_TEXT = "urgent=1/4,high=2/8,normal=4/24,low=8/40"


@dataclass(frozen=True, slots=True)
class TicketPolicy:
    """Operator settings for tickets: SLA hours by priority, and whose head gets escalations
    about unassigned tickets."""

    sla: dict[str, SlaHours] = field(default_factory=lambda: dict(DEFAULT_SLA))
    service_department: str = "Service"


@dataclass(frozen=True, slots=True)
class Breach:
    """A clock that has just run out: which ticket, which clock, and who is told."""

    ticket_id: int
    clock: Clock
    lead_id: int | None


def parse_sla(text: str) -> dict[str, SlaHours]:
    """``urgent=1/4,high=2/8,…`` as SLA hours by priority; priorities left out keep the default."""
    hours = dict(DEFAULT_SLA)
    for part in filter(None, (p.strip() for p in text.split(","))):
        priority, _, pair = part.partition("=")
        response, _, resolution = pair.partition("/")
        if priority.strip() not in DEFAULT_SLA:
            raise ValueError(f"unknown priority {priority!r} in ticket SLA {text!r}")
        try:
            sla = SlaHours(Decimal(response), Decimal(resolution))
        except InvalidOperation as exc:
            raise ValueError(f"ticket SLA {part!r} is not RESPONSE/RESOLUTION hours") from exc
        if not 0 < sla.response <= sla.resolution:
            raise ValueError(f"ticket SLA {part!r}: 0 < response <= resolution")
        hours[priority.strip()] = sla
    return hours


def subject_of(ticket_id: int) -> str:
    """The cards' subject for a ticket: ``ticket:42``."""
    return f"ticket:{ticket_id}"


def clock_subject(ticket_id: int, clock: Clock) -> str:
    """One SLA timer's subject: ``ticket:42:response``."""
    return f"{subject_of(ticket_id)}:{clock}"


def start_clocks(
    session: Session, ticket_id: int, priority: str, policy: TicketPolicy, now: datetime
) -> dict[Clock, datetime]:
    """Schedule the ticket's first-response and resolution timers; returns their deadlines."""
    hours = policy.sla.get(priority, DEFAULT_SLA["normal"])
    calendar = work_calendar(session)
    due: dict[Clock, datetime] = {
        "response": calendar.add_working_hours(now, hours.response),
        "resolution": calendar.add_working_hours(now, hours.resolution),
    }
    for clock, at in due.items():
        schedule(
            session,
            kind=KIND,
            due_at=at,
            now=now,
            subject=clock_subject(ticket_id, clock),
            payload={"ticket": ticket_id, "clock": clock},
            late_policy=LatePolicy.FIRE,
        )
    return due


def stop_clock(session: Session, ticket_id: int, clock: Clock) -> int:
    """Cancel one of the ticket's SLA timers (it was met)."""
    return cancel_subject(session, clock_subject(ticket_id, clock), kind=KIND)


def record_breach(
    session: Session, ticket_id: int, clock: Clock, now: datetime, policy: TicketPolicy
) -> Breach | None:
    """Mark a clock breached, once: None if it was met, stopped or already breached."""
    if clock == "response":
        column, met = Ticket.response_breached_at, Ticket.first_response_at
    else:
        column, met = Ticket.resolution_breached_at, Ticket.resolved_at
    marked = session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            column.is_(None),
            met.is_(None),
            Ticket.status.not_in(CLOSED),
        )
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        return None
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    session.refresh(ticket)
    lead = team_lead(session, ticket.assignee_id, policy.service_department)
    session.add(
        TicketEvent(ticket_id=ticket_id, kind=f"{clock}_breached", body="", actor_id=None,
                    public=False, at=now)
    )  # fmt: skip
    return Breach(ticket_id, clock, lead)


def team_lead(session: Session, assignee_id: int | None, department: str) -> int | None:
    """Who hears of a breach: the assignee's manager, else the head of the service department."""
    if assignee_id is not None:
        manager = session.scalar(select(Member.manager_id).where(Member.id == assignee_id))
        if manager is not None:
            return manager
    return session.scalar(select(Department.head_id).where(Department.name == department))

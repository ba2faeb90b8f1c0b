"""Leave approved → the calendar shows the absence (issue 16 point 5).

The approvals record an approved leave as an absence (``domain.approvals.absence``) and, when
the leave names a deputy, delegate the member's approvals to the deputy for its days, in the
approval's own transaction. This step puts the leave on the member's calendar too, as a block
from the first day's midnight to the day after the last (the org's time zone), so it shows
where calendars show busy time: a colleague's busy-only view of the agenda and the member's
``.ics`` feed. A withdrawn leave (``LeaveCancelled``) takes the block off. One block per
request, kept in ``flow_leave_blocks``: a step applied again finds it and does nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from domain.approvals.absence import AbsenceView, absence_of_request
from domain.calendar.services import block_time, unblock_time
from domain.directory.services import get_org
from domain.flows.models import LeaveBlock
from domain.shared.domain_events import DomainEvent
from domain.shared.recurrence import zone

APPROVED, CANCELLED = "LeaveApproved", "LeaveCancelled"
EVENTS = frozenset({APPROVED, CANCELLED})


def leave_to_block(session: Session, event: DomainEvent) -> AbsenceView | None:
    """The approved leave an event is about, if its block is still to be made."""
    if event.name != APPROVED:
        return None
    request_id = int(event.payload["request"])
    if session.get(LeaveBlock, request_id) is not None:
        return None
    return absence_of_request(session, request_id)


def block(session: Session, away: AbsenceView, title: str, notes: str, now: datetime) -> int:
    """Put the leave on the member's calendar, whole days in the org's time zone."""
    tz = zone(get_org(session).timezone)
    starts = datetime.combine(away.first, time(0), tz)
    ends = datetime.combine(away.last + timedelta(days=1), time(0), tz)
    event_id = block_time(session, away.member_id, title, (starts, ends), now, notes=notes)
    session.add(LeaveBlock(request_id=away.request_id, member_id=away.member_id,
                           event_id=event_id, created_at=now))  # fmt: skip
    session.flush()
    return event_id


def unblock(session: Session, event: DomainEvent, now: datetime) -> None:
    """A withdrawn leave: its block comes off the calendar."""
    if event.name != CANCELLED:
        return
    found = session.get(LeaveBlock, int(event.payload["request"]))
    if found is not None:
        unblock_time(session, found.event_id, now)

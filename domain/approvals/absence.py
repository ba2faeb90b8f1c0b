"""Absence from approved leave: the seam calendars read (``absences_between``) to show a member
as away. Written when a leave is approved, cancelled when it is withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.approvals.models import Absence


@dataclass(frozen=True, slots=True)
class AbsenceView:
    """A member away from ``first`` to ``last`` (whole days, org calendar) on a kind of leave."""

    member_id: int
    first: date
    last: date
    leave_type: str
    request_id: int


def record_absence(
    session: Session,
    member_id: int,
    first: date,
    last: date,
    leave_type: str,
    request_id: int,
    now: datetime,
) -> None:
    """Note an approved leave (once per request)."""
    if session.scalar(select(Absence.id).where(Absence.request_id == request_id)) is not None:
        return
    session.add(
        Absence(
            member_id=member_id,
            first_day=first,
            last_day=last,
            leave_type=leave_type,
            request_id=request_id,
            created_at=now,
        )
    )
    session.flush()


def cancel_absence(session: Session, request_id: int, now: datetime) -> None:
    """The leave was withdrawn: the member is not away after all."""
    session.execute(
        update(Absence)
        .where(Absence.request_id == request_id, Absence.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )


def absences_between(
    session: Session, member_ids: list[int], first: date, last: date
) -> list[AbsenceView]:
    """Members' absences overlapping ``first``..``last``, by start."""
    rows = session.scalars(
        select(Absence)
        .where(
            Absence.member_id.in_(member_ids),
            Absence.cancelled_at.is_(None),
            Absence.first_day <= last,
            Absence.last_day >= first,
        )
        .order_by(Absence.first_day, Absence.id)
    )
    return [
        AbsenceView(r.member_id, r.first_day, r.last_day, r.leave_type, r.request_id) for r in rows
    ]


def absence_of_request(session: Session, request_id: int) -> AbsenceView | None:
    """The absence an approved leave request recorded (None: none, or withdrawn since)."""
    row = session.scalar(
        select(Absence).where(Absence.request_id == request_id, Absence.cancelled_at.is_(None))
    )
    if row is None:
        return None
    return AbsenceView(row.member_id, row.first_day, row.last_day, row.leave_type, row.request_id)

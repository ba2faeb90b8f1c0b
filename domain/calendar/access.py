"""Who may read whose calendar in full: the member, their managers up the chain, members
the calendar was shared with, and those allowed to read every calendar (e.g. HR)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from domain.calendar.models import CalendarShare
from domain.directory.models import Member
from domain.shared.errors import Conflict, NotFound

MAX_CHAIN = 32  # managers looked at above a member; the org file refuses cycles anyway


def manages(session: Session, manager_id: int, member_id: int) -> bool:
    """Whether ``manager_id`` is ``member_id``'s manager, or their manager's, and so on."""
    current: int | None = member_id
    for _ in range(MAX_CHAIN):
        current = session.scalar(select(Member.manager_id).where(Member.id == current))
        if current is None:
            return False
        if current == manager_id:
            return True
    return False


def is_shared_with(session: Session, owner_id: int, viewer_id: int) -> bool:
    """Whether the owner shared their calendar with the viewer."""
    return session.get(CalendarShare, (owner_id, viewer_id)) is not None


def may_read_calendar(
    session: Session, viewer_id: int, owner_id: int, *, reads_every_calendar: bool
) -> bool:
    """Whether the viewer sees the owner's events in full (otherwise only busy and free)."""
    return (
        viewer_id == owner_id
        or reads_every_calendar
        or manages(session, viewer_id, owner_id)
        or is_shared_with(session, owner_id, viewer_id)
    )


def share_calendar(session: Session, owner_id: int, viewer_id: int, now: datetime) -> bool:
    """Let a colleague read the owner's calendar; False if they could already."""
    if owner_id == viewer_id:
        raise Conflict("You can always see your own calendar.")
    viewer = session.get(Member, viewer_id)
    if viewer is None or not viewer.active:
        raise NotFound("No member with id {id}.", id=viewer_id)
    if is_shared_with(session, owner_id, viewer_id):
        return False
    session.add(CalendarShare(owner_id=owner_id, viewer_id=viewer_id, created_at=now))
    session.flush()
    return True


def unshare_calendar(session: Session, owner_id: int, viewer_id: int) -> bool:
    """Stop sharing the owner's calendar with a colleague; False if it was not shared."""
    gone = session.execute(
        delete(CalendarShare).where(
            CalendarShare.owner_id == owner_id, CalendarShare.viewer_id == viewer_id
        )
    )
    return bool(gone.rowcount == 1)  # type: ignore[attr-defined]


def shared_with(session: Session, owner_id: int) -> list[str]:
    """The handles of the members the owner shares their calendar with."""
    return list(
        session.scalars(
            select(Member.handle)
            .join(CalendarShare, CalendarShare.viewer_id == Member.id)
            .where(CalendarShare.owner_id == owner_id)
            .order_by(Member.handle)
        )
    )

"""Delegation: while it runs, approval tasks meant for a member go to their deputy.

Set by hand (``/delegate``) or by an approved leave that names a deputy. A task is given to
the deputy when it is created inside the window; the audit then says the deputy acted on the
member's behalf. Chains are followed (a deputy who is away too), a few links deep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.approvals.engine import Deputies
from domain.approvals.labels import _
from domain.approvals.models import Delegation
from domain.approvals.people import person
from domain.shared.errors import Conflict, Forbidden, NotFound

MAX_LINKS = 3
MANUAL = "manual"
FROM_LEAVE = "leave"


@dataclass(frozen=True, slots=True)
class DelegationView:
    """A delegation as members see it."""

    id: int
    member_id: int
    deputy_id: int
    starts_at: datetime
    ends_at: datetime
    source: str
    request_id: int | None


def _view(row: Delegation) -> DelegationView:
    return DelegationView(
        row.id, row.member_id, row.deputy_id, row.starts_at, row.ends_at, row.source, row.request_id
    )


def delegate(
    session: Session,
    member_id: int,
    deputy_id: int,
    window: tuple[datetime, datetime],
    now: datetime,
    *,
    created_by: int,
    source: str = MANUAL,
    request_id: int | None = None,
) -> DelegationView:
    """Let ``deputy_id`` approve for ``member_id`` from ``window[0]`` until ``window[1]``."""
    starts_at, ends_at = window
    if deputy_id == member_id:
        raise Conflict(_("You cannot be your own deputy."))
    deputy = person(session, deputy_id)
    if deputy is None or not deputy.active:
        raise NotFound(_("That member is not active."))
    if ends_at <= starts_at or ends_at <= now:
        raise Conflict(_("A delegation must end after it starts, and in the future."))
    row = Delegation(
        member_id=member_id,
        deputy_id=deputy_id,
        starts_at=starts_at,
        ends_at=ends_at,
        source=source,
        request_id=request_id,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _view(row)


def cancel_delegation(
    session: Session, member_id: int, delegation_id: int, now: datetime
) -> DelegationView:
    """End one of the member's delegations now."""
    row = session.get(Delegation, delegation_id)
    if row is None or row.cancelled_at is not None or row.ends_at <= now:
        raise NotFound(_("There is no running delegation {id}."), id=delegation_id)
    if row.member_id != member_id:
        raise Forbidden(_("That delegation is not yours."))
    session.execute(
        update(Delegation)
        .where(Delegation.id == delegation_id, Delegation.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )
    return _view(row)


def cancel_for_request(session: Session, request_id: int, now: datetime) -> int:
    """End the delegations a request (an approved leave) set up; how many there were."""
    result = session.execute(
        update(Delegation)
        .where(Delegation.request_id == request_id, Delegation.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delegations_of(session: Session, member_id: int, now: datetime) -> list[DelegationView]:
    """The member's delegations that have not ended, soonest first."""
    rows = session.scalars(
        select(Delegation)
        .where(
            Delegation.member_id == member_id,
            Delegation.cancelled_at.is_(None),
            Delegation.ends_at > now,
        )
        .order_by(Delegation.starts_at, Delegation.id)
    )
    return [_view(r) for r in rows]


def deputies_at(session: Session, now: datetime) -> Deputies:
    """Who stands in for whom at ``now`` (following chains, never back to the member)."""
    cache: dict[int, int | None] = {}

    def direct(member_id: int) -> int | None:
        if member_id not in cache:
            cache[member_id] = session.scalar(
                select(Delegation.deputy_id)
                .where(
                    Delegation.member_id == member_id,
                    Delegation.cancelled_at.is_(None),
                    Delegation.starts_at <= now,
                    Delegation.ends_at > now,
                )
                .order_by(Delegation.created_at.desc(), Delegation.id.desc())
                .limit(1)
            )
        return cache[member_id]

    def deputy_of(member_id: int) -> int | None:
        seen = {member_id}
        current = direct(member_id)
        for _link in range(MAX_LINKS):
            if current is None or current in seen:
                break
            seen.add(current)
            further = direct(current)
            if further is None or further in seen:
                return current
            current = further
        return current if current not in (None, member_id) else None

    return deputy_of

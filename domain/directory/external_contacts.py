"""External contacts: customers' chat accounts and the members who added them (for the CRM).

A platform reports each change (added, removed) with the time it happened; changes may arrive
twice or out of order, so an older change never overwrites a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.directory.models import ExternalContact


@dataclass(frozen=True, slots=True)
class ExternalContactView:
    """One customer account as added by one member's account."""

    channel: str
    workspace: str
    external_user_id: str
    staff_user_id: str
    state: str
    active: bool
    added_at: datetime
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class ContactChange:
    """A customer account added (or removed) by a member's account at a time."""

    channel: str
    workspace: str
    external_user_id: str
    staff_user_id: str
    added: bool
    state: str
    at: datetime


def record_contact_change(session: Session, change: ContactChange) -> ExternalContactView:
    """Store a change; repeating it changes nothing, and an older change is ignored."""
    row = _find(session, change) or _insert(session, change)
    if change.at >= row.changed_at:
        if change.added and not row.active:
            row.added_at = change.at
        row.active = change.added
        row.state = change.state or row.state
        row.changed_at = change.at
    session.flush()
    return _view(row)


def external_contacts(
    session: Session, channel: str, *, active_only: bool = True
) -> list[ExternalContactView]:
    """The external contacts known on a channel, oldest first."""
    query = select(ExternalContact).where(ExternalContact.channel == channel)
    if active_only:
        query = query.where(ExternalContact.active.is_(True))
    return [_view(row) for row in session.scalars(query.order_by(ExternalContact.id))]


def _find(session: Session, change: ContactChange) -> ExternalContact | None:
    return session.scalars(
        select(ExternalContact).where(
            ExternalContact.channel == change.channel,
            ExternalContact.workspace == change.workspace,
            ExternalContact.external_user_id == change.external_user_id,
            ExternalContact.staff_user_id == change.staff_user_id,
        )
    ).one_or_none()


def _insert(session: Session, change: ContactChange) -> ExternalContact:
    """A new row; if a concurrent delivery inserted it first, that row."""
    row = ExternalContact(
        channel=change.channel,
        workspace=change.workspace,
        external_user_id=change.external_user_id,
        staff_user_id=change.staff_user_id,
        state=change.state,
        active=change.added,
        added_at=change.at,
        changed_at=change.at,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = _find(session, change)
        if existing is None:
            raise
        return existing
    return row


def _view(row: ExternalContact) -> ExternalContactView:
    return ExternalContactView(
        channel=row.channel,
        workspace=row.workspace,
        external_user_id=row.external_user_id,
        staff_user_id=row.staff_user_id,
        state=row.state,
        active=row.active,
        added_at=row.added_at,
        changed_at=row.changed_at,
    )

"""External contacts: customers' chat accounts and the members who added them (for the CRM).

A platform reports each change (added, removed) with the time it happened; changes may arrive
twice or out of order, so an older change never overwrites a newer one. An added contact may
come with what the platform tells of them (name, remark, company, phones), kept for matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.directory.models import ExternalContact


@dataclass(frozen=True, slots=True)
class ExternalProfileFields:
    """What the platform tells of a customer: names to match on, their company, noted phones."""

    name: str = ""
    remark: str = ""
    corp_name: str = ""
    phones: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        """The member's remark if they wrote one (often the real name), else the customer's own."""
        return self.remark or self.name


@dataclass(frozen=True, slots=True)
class ExternalContactView:
    """One customer account as added by one member's account."""

    id: int
    channel: str
    workspace: str
    external_user_id: str
    staff_user_id: str
    state: str
    active: bool
    added_at: datetime
    changed_at: datetime
    profile: ExternalProfileFields


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
    profile: ExternalProfileFields | None = None


@dataclass(frozen=True, slots=True)
class RecordedChange:
    """The contact after a change, and whether the change took effect (False: a repeat or an
    older change arriving late)."""

    contact: ExternalContactView
    took_effect: bool


def record_contact_change(session: Session, change: ContactChange) -> RecordedChange:
    """Store a change; repeating it changes nothing, and an older change is ignored."""
    row = _find(session, change)
    if row is None:
        row, inserted = _insert(session, change)
        if inserted:
            session.flush()
            return RecordedChange(_view(row), took_effect=True)
    took_effect = False
    if change.at >= row.changed_at:
        took_effect = row.active != change.added
        if change.added and not row.active:
            row.added_at = change.at
        row.active = change.added
        row.state = change.state or row.state
        row.changed_at = change.at
        if change.profile is not None:
            _set_profile(row, change.profile)
    session.flush()
    return RecordedChange(_view(row), took_effect)


def external_contact(session: Session, contact_id: int) -> ExternalContactView | None:
    """One external contact by its id."""
    row = session.get(ExternalContact, contact_id)
    return _view(row) if row is not None else None


def external_contacts(
    session: Session, channel: str, *, active_only: bool = True
) -> list[ExternalContactView]:
    """The external contacts known on a channel, oldest first."""
    query = select(ExternalContact).where(ExternalContact.channel == channel)
    if active_only:
        query = query.where(ExternalContact.active.is_(True))
    return [_view(row) for row in session.scalars(query.order_by(ExternalContact.id))]


def same_customer(session: Session, contact: ExternalContactView) -> list[ExternalContactView]:
    """The other members' records of the same customer account (on the same platform)."""
    query = select(ExternalContact).where(
        ExternalContact.channel == contact.channel,
        ExternalContact.workspace == contact.workspace,
        ExternalContact.external_user_id == contact.external_user_id,
        ExternalContact.id != contact.id,
    )
    return [_view(row) for row in session.scalars(query.order_by(ExternalContact.id))]


def _set_profile(row: ExternalContact, profile: ExternalProfileFields) -> None:
    row.name, row.remark, row.corp_name = profile.name, profile.remark, profile.corp_name
    row.phones = list(profile.phones)


def _find(session: Session, change: ContactChange) -> ExternalContact | None:
    return session.scalars(
        select(ExternalContact).where(
            ExternalContact.channel == change.channel,
            ExternalContact.workspace == change.workspace,
            ExternalContact.external_user_id == change.external_user_id,
            ExternalContact.staff_user_id == change.staff_user_id,
        )
    ).one_or_none()


def _insert(session: Session, change: ContactChange) -> tuple[ExternalContact, bool]:
    """A new row (True); if a concurrent delivery inserted it first, that row (False)."""
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
    if change.profile is not None:
        _set_profile(row, change.profile)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = _find(session, change)
        if existing is None:
            raise
        return existing, False
    return row, True


def _view(row: ExternalContact) -> ExternalContactView:
    return ExternalContactView(
        id=row.id,
        channel=row.channel,
        workspace=row.workspace,
        external_user_id=row.external_user_id,
        staff_user_id=row.staff_user_id,
        state=row.state,
        active=row.active,
        added_at=row.added_at,
        changed_at=row.changed_at,
        profile=ExternalProfileFields(
            name=row.name,
            remark=row.remark,
            corp_name=row.corp_name,
            phones=tuple(str(p) for p in row.phones),
        ),
    )

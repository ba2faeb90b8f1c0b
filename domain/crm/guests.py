"""Customers' contacts as guests: the chat accounts bound to a contact, who a sender is, and
their messages relayed to the rep who owns the customer (logged as communication records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.approvals.absence import absences_between
from domain.crm.history import log_activity
from domain.crm.models import Activity, Contact, Customer, GuestAccount
from domain.crm.scope import Scope
from domain.directory.models import Member
from domain.shared.errors import DomainError, NotFound
from domain.shared.recurrence import zone
from domain.worktime.services import work_calendar

MESSAGE_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class GuestReach:
    """Where and in which language to write to a contact: their newest active chat account."""

    contact_id: int
    channel: str
    workspace: str
    conversation: str
    locale: str


def reach_of(session: Session, contact_id: int) -> GuestReach | None:
    """How to reach a contact in chat: the account they last wrote from, else the one bound
    last; None if no chat account is bound to them."""
    account = session.scalars(
        select(GuestAccount)
        .where(GuestAccount.contact_id == contact_id, GuestAccount.active.is_(True))
        .order_by(GuestAccount.last_message_at.desc().nulls_last(), GuestAccount.id.desc())
        .limit(1)
    ).first()
    contact = session.get(Contact, contact_id)
    if account is None or contact is None:
        return None
    return GuestReach(
        contact_id=contact_id,
        channel=account.channel,
        workspace=account.workspace,
        conversation=account.conversation_id or account.platform_user_id,
        locale=contact.locale,
    )


@dataclass(frozen=True, slots=True)
class GuestAccountKey:
    """A guest's chat account as a message names it."""

    channel: str
    workspace: str
    platform_user_id: str


@dataclass(frozen=True, slots=True)
class GuestIdentity:
    """The contact a chat account is bound to."""

    contact_id: int
    customer_id: int
    name: str
    locale: str


def guest_of(
    session: Session, channel: str, workspace: str, platform_user_id: str
) -> GuestIdentity | None:
    """The contact behind an active guest account, or None."""
    row = session.execute(
        select(Contact.id, Contact.customer_id, Contact.name, Contact.locale)
        .join(GuestAccount, GuestAccount.contact_id == Contact.id)
        .where(
            GuestAccount.channel == channel,
            GuestAccount.workspace == workspace,
            GuestAccount.platform_user_id == platform_user_id,
            GuestAccount.active.is_(True),
        )
    ).first()
    return GuestIdentity(*row) if row else None


@dataclass(frozen=True, slots=True)
class GuestMessage:
    """A message between a contact and the company, as the rep's card shows it."""

    activity_id: int
    customer_id: int
    customer_name: str
    contact_id: int
    contact_name: str
    owner_id: int
    body: str


def log_message(
    session: Session,
    contact: Contact,
    body: str,
    direction: str,
    author_id: int | None,
    now: datetime,
) -> Activity:
    """Record a chat message with a contact (``in`` from them, ``out`` to them) in the customer's
    history; a chat message is kept to ``MESSAGE_LIMIT`` characters."""
    if len(body.strip()) > MESSAGE_LIMIT:
        raise DomainError("Keep the message under {limit} characters.", limit=MESSAGE_LIMIT)
    activity_id = log_activity(
        session,
        customer_id=contact.customer_id,
        contact_id=contact.id,
        kind="message",
        direction=direction,
        body=body,
        author_id=author_id,
        now=now,
    )
    activity = session.get(Activity, activity_id)
    assert activity is not None
    return activity


def receive_message(
    session: Session, account: GuestAccountKey, text: str, now: datetime
) -> GuestMessage:
    """A guest wrote from a chat account: log it as an incoming message of their customer's,
    and answer them on that account from now on."""
    row = session.scalars(
        select(GuestAccount).where(
            GuestAccount.channel == account.channel,
            GuestAccount.workspace == account.workspace,
            GuestAccount.platform_user_id == account.platform_user_id,
            GuestAccount.active.is_(True),
        )
    ).one_or_none()
    contact = session.get(Contact, row.contact_id) if row is not None else None
    if row is None or contact is None:
        raise NotFound("This chat account is not linked to a customer any more.")
    row.last_message_at = now
    return _view(session, log_message(session, contact, text, "in", None, now))


def incoming_message(session: Session, scope: Scope, activity_id: int) -> GuestMessage:
    """A message a contact sent, if the scope covers their customer; ``NotFound`` otherwise."""
    activity = session.get(Activity, activity_id)
    customer = session.get(Customer, activity.customer_id) if activity else None
    if (
        activity is None
        or customer is None
        or (activity.kind, activity.direction) != ("message", "in")
        or activity.contact_id is None
        or not scope.covers(customer.owner_id)
    ):
        raise NotFound("There is no customer message #{id} that you can see.", id=activity_id)
    return _view(session, activity)


def answer_message(
    session: Session, message: GuestMessage, text: str, author_id: int, now: datetime
) -> Activity:
    """Log a member's answer to a contact's message as an outgoing message."""
    contact = session.get(Contact, message.contact_id)
    assert contact is not None  # a logged message's contact is never deleted
    return log_message(session, contact, text, "out", author_id, now)


def relay_recipient(
    session: Session, owner_id: int, now: datetime, *, after_hours: bool
) -> tuple[int, bool]:
    """Who gets a contact's message: the owning rep, or, while they are on leave (or off hours
    when ``after_hours`` is set), the team's queue, which is the rep's manager. The flag says
    whether it went to the team."""
    manager = session.scalar(select(Member.manager_id).where(Member.id == owner_id))
    if manager is None or not rep_is_away(session, owner_id, now, after_hours=after_hours):
        return owner_id, False
    return manager, True


def rep_is_away(session: Session, member_id: int, now: datetime, *, after_hours: bool) -> bool:
    """Whether a member is on approved leave today, or (``after_hours``) outside working hours."""
    calendar = work_calendar(session)
    local = now.astimezone(zone(calendar.timezone))
    if absences_between(session, [member_id], local.date(), local.date()):
        return True
    if not after_hours:
        return False
    working = calendar.is_working_day(local.date())
    return not (working and calendar.start <= local.time() < calendar.end)


def _view(session: Session, activity: Activity) -> GuestMessage:
    customer = session.get(Customer, activity.customer_id)
    contact = session.get(Contact, activity.contact_id) if activity.contact_id else None
    assert customer is not None
    assert contact is not None
    return GuestMessage(
        activity_id=activity.id,
        customer_id=customer.id,
        customer_name=customer.name,
        contact_id=contact.id,
        contact_name=contact.name,
        owner_id=customer.owner_id,
        body=activity.body,
    )

"""Payment reminders for overdue customer invoices (issue 15 point 3): the rep first, then the
customer's chat-guest contacts, and again no more often than the customer's terms.

When an invoice is booked (``finance_postings.book_delivery``) a timer is set for the day after
it falls due. Firing, it does nothing if the invoice is paid by then; otherwise it tells the
customer's rep (the CRM owner) and sets the next reminder ``GUEST_AFTER`` later, which goes to
the customer's contacts who are chat guests; after that a reminder to the contacts comes once
per ``DEFAULT_TERMS_DAYS`` (customers have no terms of their own yet) while the invoice is
open. Each timer fires once (the timers' own guarantee), and each firing sets the next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.finance.items_models import CUSTOMER, OpenItem
from domain.finance.open_items import DEFAULT_TERMS_DAYS
from domain.timers.services import schedule

KIND = "finance.payment_reminder"
REP, CONTACTS = "rep", "contacts"
GUEST_AFTER = timedelta(days=3)  # the rep's head start before the customer hears from us
AGAIN_AFTER = timedelta(days=DEFAULT_TERMS_DAYS)


@dataclass(frozen=True)
class Due:
    """A reminder that should go out now: the open invoice, its customer, and to whom."""

    item: OpenItem
    customer: Customer
    stage: str
    days_late: int


def first_reminder(session: Session, item: OpenItem, now: datetime) -> None:
    """Set the rep's reminder for the day after a customer invoice falls due."""
    if item.party_kind != CUSTOMER:
        return
    due_at = datetime.combine(item.due_on + timedelta(days=1), time(1, 0), tzinfo=UTC)
    _set(session, item, REP, max(due_at, now), now)


def due_reminder(session: Session, item_id: int, stage: str, now: datetime) -> Due | None:
    """The reminder to send, or None when the invoice is paid (or its customer gone)."""
    item = session.get(OpenItem, item_id)
    if item is None or item.open_amount <= 0:
        return None
    customer = session.get(Customer, item.party_id)
    if customer is None:
        return None
    return Due(item, customer, stage, (now.date() - item.due_on).days)


def next_reminder(session: Session, due: Due, now: datetime) -> None:
    """After the rep, the contacts ``GUEST_AFTER`` later; after the contacts, again a term
    later."""
    delay = GUEST_AFTER if due.stage == REP else AGAIN_AFTER
    _set(session, due.item, CONTACTS, now + delay, now)


def _set(session: Session, item: OpenItem, stage: str, due_at: datetime, now: datetime) -> None:
    schedule(
        session,
        kind=KIND,
        due_at=due_at,
        now=now,
        subject=f"finance:reminder:{item.id}",
        payload={"item": item.id, "stage": stage},
    )

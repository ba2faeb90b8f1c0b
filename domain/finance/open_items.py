"""Receivables and payables: open items, payments matched to them, credits, ageing and
statements of account.

Every customer invoice, supplier bill and expense claim owed to an employee is an **open item**
(``open_amount`` falls as payments are matched to it). A payment names the documents it pays, or
pays the party's oldest items first (by due date); what no item takes is **unapplied**: a credit
on the party, kept on its own account (预收账款 / 预付账款 / 其他应收款), and matched to the
party's next documents when they are booked. So the receivable account's balance is always the
sum of the open customer items, and the payable accounts' the sum of the open payable items.

Payments are recorded once per key (the chat message that recorded one): a redelivered message
or a double tap records one payment."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, func, select, type_coerce
from sqlalchemy.orm import Session

from domain.finance.account_roles import code_for, installed_chart
from domain.finance.items_models import (
    CUSTOMER,
    EMPLOYEE,
    PAYABLE,
    RECEIVABLE,
    Allocation,
    OpenItem,
    Payment,
)
from domain.finance.posting import EntryRequest, LineRequest, Posted, post_entry
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.money import Money
from domain.shared.quantity import is_exact

INVOICE_PAID = "finance.invoice_paid"

ZERO = Decimal(0)
DEFAULT_TERMS_DAYS = 30  # when the party's terms say nothing: due 30 days after the document
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
PAYMENT_SOURCE = "finance.payment"
CREDIT_SOURCE = "finance.credit"
ITEM_ROLE = {CUSTOMER: "receivable", "supplier": "payable", EMPLOYEE: "employee_payable"}
CREDIT_ROLE = {
    CUSTOMER: "customer_credit",
    "supplier": "supplier_credit",
    EMPLOYEE: "employee_credit",
}
_DAYS = re.compile(r"(\d{1,3})")


@dataclass(frozen=True)
class Party:
    """Who an item or a payment is with: a customer, a supplier or an employee (by id)."""

    kind: str
    id: int
    name: str

    @property
    def item_kind(self) -> str:
        """Receivable for a customer, payable for the others."""
        return RECEIVABLE if self.kind == CUSTOMER else PAYABLE


@dataclass(frozen=True)
class ItemRequest:
    """A document to keep open: the entry that booked it and what it comes to."""

    party: Party
    document: str
    reference: str
    issued_on: date
    due_on: date
    currency: str
    amount: Decimal
    entry_id: int


@dataclass(frozen=True)
class Opened:
    """The open item a document became, and whether this call opened it."""

    item: OpenItem
    new: bool


@dataclass(frozen=True)
class PaymentRequest:
    """A payment to record: from a customer (``in``) or to a supplier or employee (``out``)."""

    key: str
    party: Party
    paid_on: date
    amount: Decimal
    documents: Sequence[str] = ()
    reference: str = ""
    actor_id: int | None = None


@dataclass(frozen=True)
class Recorded:
    """The payment a request became, its matches (document, amount), whether this call
    recorded it."""

    payment: Payment
    matched: list[tuple[str, Decimal]]
    new: bool


@dataclass(frozen=True)
class PartyAgeing:
    """One party's open items by how long past due, and its credit."""

    party: Party
    buckets: dict[str, Decimal]
    total: Decimal
    credit: Decimal


@dataclass(frozen=True)
class StatementLine:
    """A line of a statement of account: a document (+) or a payment (−)."""

    on: date
    what: str  # "document" | "payment"
    number: str
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    """A party's documents and payments in date order, with the running balance."""

    party: Party
    lines: list[StatementLine] = field(default_factory=list)
    balance: Decimal = ZERO
    open_items: list[OpenItem] = field(default_factory=list)


def due_date(issued_on: date, terms: str = "") -> date:
    """The due date by the party's terms (the first number in them is the days: "30 days",
    "月结60天", "Net 45"), else ``DEFAULT_TERMS_DAYS``."""
    found = _DAYS.search(terms or "")
    days = int(found.group(1)) if found else DEFAULT_TERMS_DAYS
    return issued_on + timedelta(days=days)


def open_item(session: Session, request: ItemRequest, now: datetime) -> Opened:
    """Keep a document open (once per document) and match the party's credit to it."""
    earlier = session.scalar(select(OpenItem).where(OpenItem.document == request.document))
    if earlier is not None:
        return Opened(earlier, new=False)
    party = request.party
    item = OpenItem(
        kind=party.item_kind,
        party_kind=party.kind,
        party_id=party.id,
        party_name=party.name[:200],
        document=request.document,
        reference=request.reference[:64],
        issued_on=request.issued_on,
        due_on=request.due_on,
        currency=request.currency,
        amount=request.amount,
        open_amount=request.amount,
        entry_id=request.entry_id,
        created_at=now,
    )
    session.add(item)
    session.flush()
    _use_credit(session, item, now)
    return Opened(item, new=True)


def record_payment(session: Session, request: PaymentRequest, now: datetime) -> Recorded:
    """Post a receipt or a payment and match it to the named documents, else to the party's
    oldest open items; the rest stays a credit on the party. Once per key."""
    _check_amount(request.amount)
    party, key = request.party, request.key[:128]
    items = _open_items(session, party, locked=True)  # serialises payments of one party
    earlier = session.scalar(select(Payment).where(Payment.key == key))
    if earlier is not None:
        return Recorded(earlier, _matches(session, earlier.id), new=False)
    chosen = _chosen(items, request.documents, party)
    matched = _spread(chosen, request.amount)
    unapplied = request.amount - sum((m for _i, m in matched), ZERO)
    posted = _post_payment(session, request, matched, unapplied, now)
    if not posted.new:  # the same key recorded by a transaction that committed meanwhile
        earlier = session.scalar(select(Payment).where(Payment.key == key))
        if earlier is None:
            raise Conflict("That payment is being recorded already.")
        return Recorded(earlier, _matches(session, earlier.id), new=False)
    entry = posted.entry.id
    payment = Payment(
        key=key,
        direction="in" if party.kind == CUSTOMER else "out",
        party_kind=party.kind,
        party_id=party.id,
        party_name=party.name[:200],
        paid_on=request.paid_on,
        amount=request.amount,
        unapplied=unapplied,
        reference=request.reference[:64],
        entry_id=entry,
        actor_id=request.actor_id,
        created_at=now,
    )
    session.add(payment)
    session.flush()
    for item, amount in matched:
        item.open_amount -= amount
        session.add(
            Allocation(
                payment_id=payment.id, item_id=item.id, amount=amount, applied_on=request.paid_on
            )
        )
        _settled(session, item, request.paid_on, now)
    session.flush()
    return Recorded(payment, [(i.document, m) for i, m in matched], new=True)


def party_credit(session: Session, party: Party) -> Decimal:
    """What the party paid beyond its documents and no document has taken yet."""
    minor_units = type_coerce(Payment.unapplied, BigInteger())
    total = func.coalesce(func.sum(minor_units), 0, type_=Money())
    return session.scalar(select(total).where(*_of_party(Payment, party))) or ZERO


def find_parties(session: Session, kinds: Sequence[str], text: str) -> list[Party]:
    """The parties of these kinds with a document or a payment whose name contains ``text``
    (an exact name alone when there is one)."""
    wanted = text.strip().casefold()
    seen: dict[tuple[str, int], Party] = {}
    for model in (OpenItem, Payment):
        rows = session.execute(
            select(model.party_kind, model.party_id, model.party_name)
            .where(model.party_kind.in_(kinds))
            .distinct()
        )
        for kind, party_id, name in rows:
            if wanted and wanted in name.casefold():
                seen.setdefault((kind, party_id), Party(kind, party_id, name))
    exact = [p for p in seen.values() if p.name.casefold() == wanted]
    return exact or sorted(seen.values(), key=lambda p: p.name)


def ageing(session: Session, kind: str, as_of: date) -> list[PartyAgeing]:
    """Per party with an open item or a credit, its open amounts by days past due on
    ``as_of`` (current, 1–30, 31–60, 61–90, over 90), in name order."""
    kinds = (CUSTOMER,) if kind == RECEIVABLE else ("supplier", EMPLOYEE)
    items = session.scalars(
        select(OpenItem).where(OpenItem.kind == kind, OpenItem.open_amount > ZERO)
    )
    found: dict[tuple[str, int], tuple[Party, dict[str, Decimal]]] = {}
    for item in items:
        party = Party(item.party_kind, item.party_id, item.party_name)
        buckets = found.setdefault((party.kind, party.id), (party, _empty()))[1]
        buckets[bucket_of((as_of - item.due_on).days)] += item.open_amount
    credits = session.execute(
        select(Payment.party_kind, Payment.party_id, Payment.party_name, Payment.unapplied).where(
            Payment.party_kind.in_(kinds), Payment.unapplied > ZERO
        )
    )
    credit: dict[tuple[str, int], Decimal] = {}
    for party_kind, party_id, name, unapplied in credits:
        found.setdefault((party_kind, party_id), (Party(party_kind, party_id, name), _empty()))
        credit[(party_kind, party_id)] = credit.get((party_kind, party_id), ZERO) + unapplied
    rows = [
        PartyAgeing(party, buckets, sum(buckets.values(), ZERO), credit.get(key, ZERO))
        for key, (party, buckets) in found.items()
    ]
    return sorted(rows, key=lambda r: (r.party.name, r.party.id))


def bucket_of(days_past_due: int) -> str:
    """The ageing bucket of an item so many days past its due date (≤ 0: current)."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def statement(session: Session, party: Party) -> Statement:
    """The party's documents and payments in date order with the running balance (what it
    owes us, or we owe it, less its credit)."""
    items = list(
        session.scalars(
            select(OpenItem).where(*_of_party(OpenItem, party)).order_by(OpenItem.issued_on)
        )
    )
    payments = list(
        session.scalars(select(Payment).where(*_of_party(Payment, party)).order_by(Payment.paid_on))
    )
    moves = [(i.issued_on, 0, i.id, "document", i.document, i.amount) for i in items] + [
        (p.paid_on, 1, p.id, "payment", p.reference or f"#{p.id}", -p.amount) for p in payments
    ]
    lines, balance = [], ZERO
    for on, _order, _id, what, number, amount in sorted(moves):
        balance += amount
        lines.append(StatementLine(on, what, number, amount, balance))
    open_now = [i for i in items if i.open_amount > 0]
    return Statement(party, lines, balance, open_now)


def _empty() -> dict[str, Decimal]:
    return dict.fromkeys(BUCKETS, ZERO)


def _check_amount(amount: Decimal) -> None:
    if amount <= 0 or not is_exact(amount, 2):
        raise DomainError("{amount} is not an amount to pay; say 1200 or 1200.50.", amount=amount)


def _of_party(model: type[OpenItem] | type[Payment], party: Party) -> list[ColumnElement[bool]]:
    return [model.party_kind == party.kind, model.party_id == party.id]


def _open_items(session: Session, party: Party, *, locked: bool) -> list[OpenItem]:
    query = (
        select(OpenItem)
        .where(*_of_party(OpenItem, party), OpenItem.open_amount > ZERO)
        .order_by(OpenItem.due_on, OpenItem.issued_on, OpenItem.id)
        .execution_options(populate_existing=True)
    )
    if locked:
        query = query.with_for_update()
    return list(session.scalars(query))


def _chosen(items: list[OpenItem], documents: Sequence[str], party: Party) -> list[OpenItem]:
    """The named documents in the order named (each must be the party's and open), else all."""
    if not documents:
        return items
    by_number = {i.document.upper(): i for i in items}
    missing = [d for d in documents if d.upper() not in by_number]
    if missing:
        raise NotFound(
            "{documents} is not an open document of {party}.",
            documents=", ".join(missing),
            party=party.name,
        )
    return [by_number[d.upper()] for d in dict.fromkeys(documents)]


def _spread(items: list[OpenItem], amount: Decimal) -> list[tuple[OpenItem, Decimal]]:
    matched, left = [], amount
    for item in items:
        if left <= 0:
            break
        take = min(item.open_amount, left)
        matched.append((item, take))
        left -= take
    return matched


def _post_payment(
    session: Session,
    request: PaymentRequest,
    matched: list[tuple[OpenItem, Decimal]],
    unapplied: Decimal,
    now: datetime,
) -> Posted:
    chart = installed_chart(session)
    party = request.party
    applied = request.amount - unapplied
    incoming = party.kind == CUSTOMER
    bank = _line(code_for(chart, "bank"), incoming, request.amount)
    other = [
        _line(code_for(chart, ITEM_ROLE[party.kind]), not incoming, applied),
        _line(code_for(chart, CREDIT_ROLE[party.kind]), not incoming, unapplied),
    ]
    lines = [bank, *(line for line in other if line.debit or line.credit)]
    names = ", ".join(item.document for item, _m in matched)
    posted = post_entry(
        session,
        EntryRequest(
            journal="CR" if incoming else "CD",
            on=request.paid_on,
            lines=lines,
            memo=f"{party.name}: {names or 'on account'}"[:500],
            source=PAYMENT_SOURCE,
            source_id=hashlib.sha1(request.key[:128].encode()).hexdigest(),  # noqa: S324 - a key
        ),
        now,
    )
    return posted


def _line(code: str, debit: bool, amount: Decimal) -> LineRequest:
    return LineRequest(code, debit=amount) if debit else LineRequest(code, credit=amount)


def _use_credit(session: Session, item: OpenItem, now: datetime) -> None:
    """Match the party's unapplied payments, oldest first, to a new item."""
    party = Party(item.party_kind, item.party_id, item.party_name)
    credits = session.scalars(
        select(Payment)
        .where(*_of_party(Payment, party), Payment.unapplied > ZERO)
        .order_by(Payment.paid_on, Payment.id)
        .with_for_update()
    )
    for payment in credits:
        if item.open_amount <= 0:
            break
        amount = min(payment.unapplied, item.open_amount)
        _post_credit_use(session, payment, item, amount, now)
        payment.unapplied -= amount
        item.open_amount -= amount
        session.add(
            Allocation(
                payment_id=payment.id, item_id=item.id, amount=amount, applied_on=item.issued_on
            )
        )
        _settled(session, item, item.issued_on, now)
    session.flush()


def _settled(session: Session, item: OpenItem, paid_on: date, now: datetime) -> None:
    """Record ``finance.invoice_paid`` once when a customer invoice is paid in full."""
    if item.open_amount > 0 or item.party_kind != CUSTOMER:
        return
    payload = {
        "item": item.id,
        "document": item.document,
        "reference": item.reference,
        "customer_id": item.party_id,
        "customer": item.party_name,
        "amount": str(item.amount),
        "currency": item.currency,
        "paid_on": paid_on.isoformat(),
    }
    record_event(session, INVOICE_PAID, "finance_open_item", str(item.id), payload, now)


def _post_credit_use(
    session: Session, payment: Payment, item: OpenItem, amount: Decimal, now: datetime
) -> None:
    chart = installed_chart(session)
    item_account = code_for(chart, ITEM_ROLE[item.party_kind])
    credit_account = code_for(chart, CREDIT_ROLE[item.party_kind])
    customer = item.party_kind == CUSTOMER
    lines = [
        _line(credit_account, customer, amount),
        _line(item_account, not customer, amount),
    ]
    post_entry(
        session,
        EntryRequest(
            journal="GJ",
            on=max(item.issued_on, payment.paid_on),
            lines=lines,
            memo=f"{item.party_name}: credit to {item.document}"[:500],
            source=CREDIT_SOURCE,
            source_id=f"{payment.id}:{item.id}",
        ),
        now,
    )


def _matches(session: Session, payment_id: int) -> list[tuple[str, Decimal]]:
    rows = session.execute(
        select(OpenItem.document, Allocation.amount)
        .join(OpenItem, OpenItem.id == Allocation.item_id)
        .where(Allocation.payment_id == payment_id)
        .order_by(Allocation.id)
    )
    return [(document, amount) for document, amount in rows]

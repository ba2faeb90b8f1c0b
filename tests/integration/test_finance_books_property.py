"""A property of the books fed by business events (Hypothesis, SQLite, ten examples of 150 to
250 documents, so about 2,000 documents a run): random deliveries, receipts of goods, expense
claims, count adjustments, customer receipts and supplier payments, over three months, in random
order and with duplicates (an event offered again, a payment message redelivered), always leave:
every entry balanced; the trial balance at zero at every month end; assets = liabilities +
equity + (revenue − expenses) at every month end; and the receivable, payable and other-payable
accounts equal to the open items of customers, suppliers and employees (the credit accounts to
the parties' unapplied payments).
Each example runs in a transaction rolled back afterwards."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from domain.directory.models import Member
from domain.finance.account_roles import code_for
from domain.finance.charts import install_chart
from domain.finance.items_models import OpenItem, Payment
from domain.finance.models import EntryLine
from domain.finance.open_items import Party, PaymentRequest, record_payment
from domain.finance.reading import account_balance, trial_balance
from domain.flows import finance_postings
from domain.flows.admin import failed_events
from domain.flows.consumers import Consumer, consume
from domain.shared.domain_events import DomainEvent, record_event
from tests.integration.erp_rig import NOW

MONTHS = ((2026, 10), (2026, 11), (2026, 12))
CHART = "prc_small"
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2)
day = st.tuples(st.sampled_from(MONTHS), st.integers(1, 28))
rate = st.sampled_from([Decimal(0), Decimal("0.06"), Decimal("0.13")])
deliveries = st.tuples(st.just("deliver"), st.integers(1, 2), money, rate, money, day)
receipts_of_goods = st.tuples(st.just("receive"), st.integers(1, 2), money, rate, day)
claims = st.tuples(st.just("expense"), st.integers(0, 1), money, day)
counts = st.tuples(st.just("adjust"), money, st.booleans(), day)
customer_receipts = st.tuples(st.just("receipt"), st.integers(1, 2), money, day)
supplier_payments = st.tuples(st.just("pay"), st.integers(1, 2), money, day)
documents = st.lists(
    st.one_of(deliveries, receipts_of_goods, claims, counts, customer_receipts, supplier_payments),
    min_size=150,
    max_size=250,
)  # ten examples of 150 to 250: about 2,000 documents a run


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """One migrated SQLite database for every example (each rolls back)."""
    made = create_engine(sqlite_url)
    yield made
    made.dispose()


def moment(when: tuple[tuple[int, int], int]) -> datetime:
    (year, month), day_of_month = when
    return datetime(year, month, day_of_month, 4, 0, tzinfo=UTC)


def apply(s: Session, n: int, document: tuple[Any, ...], members: list[int]) -> None:
    """Record one business document (its event, or a payment), numbered ``n``."""
    kind = document[0]
    if kind == "deliver":
        _k, customer, price, tax, cost, when = document
        line = {"product_id": 0, "sku": "X", "quantity": "1", "unit_price": str(price),
                "tax_rate": str(tax), "cost": str(cost)}  # fmt: skip
        payload = {"order": f"SO{n}", "customer_id": customer, "customer": f"C{customer}",
                   "currency": "CNY", "lines": [line]}  # fmt: skip
        record_event(s, "order.delivered", "erp_delivery", str(n), payload, moment(when))
    elif kind == "receive":
        _k, supplier, value, tax, when = document
        line = {"product_id": 0, "sku": "X", "unit_price": str(value), "value": str(value),
                "tax_rate": str(tax), "product_type": "raw"}  # fmt: skip
        (year, month), dom = when
        payload = {"order": f"PO{n}", "supplier_id": supplier, "supplier": f"S{supplier}",
                   "currency": "CNY", "received_on": date(year, month, dom).isoformat(),
                   "payment_terms": "45 days", "lines": [line]}  # fmt: skip
        record_event(s, "goods.received", "erp_receipt", str(n), payload, moment(when))
    elif kind == "expense":
        _k, who, amount, when = document
        fields = {"lines": [{"category": "meals", "amount": str(amount)}], "reason": "r"}
        payload = {"request": n, "initiator": members[who], "fields": fields}
        record_event(s, "ExpenseApproved", "approval", str(n), payload, moment(when))
    elif kind == "adjust":
        _k, value, found, when = document
        line = {"product_id": 0, "sku": "X", "product_type": "finished",
                "value": str(value if found else -value)}  # fmt: skip
        payload = {"take_id": n, "lines": [line]}
        record_event(s, "stock.adjusted", "erp_stock_take", str(n), payload, moment(when))
    else:
        _k, who, amount, when = document
        party = Party("customer", who, f"C{who}") if kind == "receipt" else None
        party = party or Party("supplier", who, f"S{who}")
        (year, month), dom = when
        request = PaymentRequest(f"key-{n}", party, date(year, month, dom), amount)
        record_payment(s, request, NOW)


def book(s: Session) -> None:
    def handle(session: Session, event: DomainEvent, _context: None) -> None:
        finance_postings.book(session, event, NOW)

    consumer = Consumer(finance_postings.CONSUMER, finance_postings.EVENTS, handle)
    for _round in range(10):  # bounded: each pass takes up to a batch of events
        if consume(s, consumer, None, NOW).touched == 0:
            return


def assert_balanced_books(s: Session) -> None:
    per_entry = s.execute(
        select(EntryLine.entry_id, func.count())
        .group_by(EntryLine.entry_id)
        .having(func.sum(EntryLine.debit) != func.sum(EntryLine.credit))
    ).all()
    assert per_entry == []
    for year, month in MONTHS:
        last = date(year, month, calendar.monthrange(year, month)[1])
        books = trial_balance(s, date(year, month, 1), last)
        assert books.net == 0 and books.debits == books.credits
        totals: dict[str, Decimal] = {}
        for row in books.rows:
            natural = row.closing if row.side in ("debit",) else -row.closing  # debit − credit
            totals[row.type] = totals.get(row.type, Decimal(0)) + natural
        assets = totals.get("asset", Decimal(0)) + totals.get("cost", Decimal(0))
        claims_on = -(totals.get("liability", Decimal(0)) + totals.get("equity", Decimal(0)))
        profit = -totals.get("revenue", Decimal(0)) - totals.get("expense", Decimal(0))
        assert assets == claims_on + profit


def assert_items_match_accounts(s: Session) -> None:
    end = date(2026, 12, 31)

    def open_of(party_kind: str) -> Decimal:
        rows = s.scalars(select(OpenItem.open_amount).where(OpenItem.party_kind == party_kind))
        return sum(rows, Decimal(0))

    def credit_of(party_kind: str) -> Decimal:
        rows = s.scalars(select(Payment.unapplied).where(Payment.party_kind == party_kind))
        return sum(rows, Decimal(0))

    def balance(role: str) -> Decimal:
        return account_balance(s, code_for(CHART, role), end)

    assert balance("receivable") == open_of("customer")
    assert balance("payable") == open_of("supplier")
    assert balance("employee_payable") == open_of("employee")
    assert balance("customer_credit") == credit_of("customer")
    assert balance("supplier_credit") == credit_of("supplier")


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(docs=documents, repeats=st.lists(st.integers(0, 249), max_size=25), data=st.data())
def test_books_fed_by_random_documents_always_balance(
    engine: Engine, docs: list[tuple[Any, ...]], repeats: list[int], data: st.DataObject
) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        s = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            install_chart(s, CHART)
            members = []
            for handle in ("erin", "emma"):
                member = Member(handle=handle, name=handle, created_at=NOW, updated_at=NOW)
                s.add(member)
                s.flush()
                members.append(member.id)
            numbered = list(enumerate(docs))
            numbered += [numbered[i % len(numbered)] for i in repeats]  # duplicates
            order = data.draw(st.permutations(numbered))
            for n, document in order:
                apply(s, n, document, members)
                if data.draw(st.booleans()):
                    book(s)
            book(s)
            assert failed_events(s) == []  # every event booked, none failing
            assert_balanced_books(s)
            assert_items_match_accounts(s)
        finally:
            s.close()
            transaction.rollback()

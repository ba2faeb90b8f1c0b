"""Business events become entries and open items once, on both shipped charts (SQLite and
PostgreSQL): a delivery is a customer invoice and its cost of goods sold, a receipt a supplier
bill due by the supplier's terms, an approved expense claim a payable to the employee, a
production report moves value through work in progress, an approved count adjusts inventory
against the count-difference account. No chart: the event is retried, parked with the reason,
and booked after set-up. A zero price is not guessed: finance is told. Payments match documents
(named, else oldest first), over-payments stay a credit used by the next document, a key
records one payment, and ageing puts each open amount in its bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.models import Department, Member
from domain.erp.counting import approve, finish_counting, record_count, start_stock_take
from domain.erp.models import Product, Warehouse
from domain.erp.production import (
    REPORTED,
    create_production,
    release_production,
    report_production,
)
from domain.erp.purchase_models import Supplier
from domain.erp.purchasing import (
    APPROVED_EVENT,
    Wanted,
    link_approval,
    place_order,
    raise_request,
    record_quote,
)
from domain.erp.receiving import Inspected, receive
from domain.erp.sales import LineRequest as SalesLine
from domain.erp.sales import Party as Buyer
from domain.erp.sales import confirm_order, create_document, ship_order
from domain.erp.stock import post_move
from domain.erp.suppliers import add_supplier
from domain.finance.account_roles import ROLES, code_for
from domain.finance.charts import install_chart
from domain.finance.items_models import CUSTOMER, RECEIVABLE, OpenItem
from domain.finance.models import Account, Entry, EntryLine
from domain.finance.open_items import (
    Party,
    PaymentRequest,
    ageing,
    party_credit,
    record_payment,
    statement,
)
from domain.finance.reading import account_balance, trial_balance
from domain.flows import finance_postings
from domain.flows.admin import failed_events, retry_events
from domain.flows.consumers import Backoff, Consumer, consume
from domain.flows.finance_postings import Attention
from domain.shared.db import Database, open_database
from domain.shared.domain_events import DomainEvent, record_event
from domain.shared.errors import NotFound
from tests.integration.erp_rig import NOW, receipt, seeded
from tests.integration.test_erp_production import stool_factory

TODAY = NOW.date()
CHARTS = ("prc_small", "ifrs_basic")
ACME = Buyer(customer_id=7, customer_name="Acme", owner_id=None)


@pytest.fixture
async def books(db_url: str) -> AsyncIterator[Database]:
    """An empty migrated database, SQLite and PostgreSQL; each test runs in one transaction."""
    database = open_database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


def book_all(s: Session, told: list[Attention] | None = None) -> int:
    """Run the finance consumer over what is recorded; how many events it applied."""

    def handle(session: Session, event: DomainEvent, context: list[Attention]) -> None:
        context.extend(finance_postings.book(session, event, NOW))

    consumer = Consumer(finance_postings.CONSUMER, finance_postings.EVENTS, handle)
    done = consume(s, consumer, told if told is not None else [], NOW, backoff=Backoff(2))
    return done.applied


def lines_of(s: Session, source: str) -> list[tuple[str, Decimal, Decimal, str]]:
    entry = s.scalars(select(Entry).where(Entry.source == source)).one()
    rows = s.execute(
        select(Account.code, EntryLine.debit, EntryLine.credit, EntryLine.department)
        .join(Account, Account.id == EntryLine.account_id)
        .where(EntryLine.entry_id == entry.id)
        .order_by(EntryLine.position)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def member(s: Session, handle: str, department: str | None = None) -> int:
    unit = None
    if department is not None:
        unit = Department(name=department)
        s.add(unit)
        s.flush()
    row = Member(handle=handle, name=handle, created_at=NOW, updated_at=NOW)
    row.department_id = unit.id if unit else None
    s.add(row)
    s.flush()
    return row.id


def delivered(s: Session, price: str = "9.5", qty: str = "4") -> Product:
    """10 bolts in at 2.00 each, an order for ``qty`` at ``price`` + 13 % VAT, shipped."""
    product, sh, _bj = seeded(s, tax_rate=Decimal("0.13"))
    post_move(s, receipt(product, sh, "10", "in-1"), None, NOW)
    lines = [SalesLine(product.id, Decimal(qty), Decimal(price), Decimal("0.13"))]
    order = create_document(s, "order", ACME, sh, lines, NOW)
    confirm_order(s, order.id, NOW)
    ship_order(s, order.id, None, "SF1", "chat:web:ship-1", None, NOW)
    return product


@pytest.mark.parametrize("chart", CHARTS)
async def test_every_role_is_a_postable_account_of_both_charts(books: Database, chart: str) -> None:
    await books.run(
        lambda session: _every_role_is_a_postable_account_of_both_charts(session, chart)
    )


def _every_role_is_a_postable_account_of_both_charts(session: Session, chart: str) -> None:
    install_chart(session, chart)
    parents = set(session.scalars(select(Account.parent_code)))
    for role in ROLES:
        account = session.scalars(select(Account).where(Account.code == code_for(chart, role)))
        found = account.one()
        assert found.active and found.code not in parents, role
    kinds = {role: session.scalars(select(Account.type).where(
        Account.code == code_for(chart, role))).one() for role in ROLES}  # fmt: skip
    assert kinds["receivable"] == kinds["bank"] == "asset"
    assert kinds["payable"] == kinds["employee_payable"] == "liability"
    assert kinds["revenue"] == "revenue" and kinds["cost_of_sales"] == "expense"


@pytest.mark.parametrize("chart", CHARTS)
async def test_a_delivery_is_an_invoice_and_its_cost_booked_once(
    books: Database, chart: str
) -> None:
    await books.run(
        lambda session: _a_delivery_is_an_invoice_and_its_cost_booked_once(session, chart)
    )


def _a_delivery_is_an_invoice_and_its_cost_booked_once(session: Session, chart: str) -> None:
    install_chart(session, chart)
    delivered(session)
    assert book_all(session) == 1
    assert book_all(session) == 0  # offered again: nothing more
    code = partial(code_for, chart)
    assert lines_of(session, "order.delivered:invoice") == [
        (code("receivable"), Decimal("42.94"), Decimal(0), ""),
        (code("revenue"), Decimal(0), Decimal("38.00"), ""),
        (code("output_vat"), Decimal(0), Decimal("4.94"), ""),
    ]
    assert lines_of(session, "order.delivered:cogs") == [
        (code("cost_of_sales"), Decimal("8.00"), Decimal(0), ""),
        (code("goods"), Decimal(0), Decimal("8.00"), ""),
    ]
    item = session.scalars(select(OpenItem)).one()
    assert (item.kind, item.party_name, item.amount, item.open_amount) == (
        RECEIVABLE, "Acme", Decimal("42.94"), Decimal("42.94"),
    )  # fmt: skip
    assert item.document.startswith("SJ2026-") and item.due_on == TODAY + timedelta(days=30)
    assert trial_balance(session, TODAY, TODAY).net == 0


async def test_without_a_chart_the_event_is_parked_with_the_reason_and_booked_after_set_up(
    books: Database,
) -> None:
    await books.run(_without_a_chart_the_event_is_parked_with_the_reason_and_booked_after_set_up)


def _without_a_chart_the_event_is_parked_with_the_reason_and_booked_after_set_up(
    session: Session,
) -> None:
    delivered(session)
    assert book_all(session) == 0
    assert book_all_later(session) == 0  # second attempt: parked (two attempts allowed here)
    (parked,) = failed_events(session)
    assert parked.status == "parked" and "books are not set up" in parked.last_error
    install_chart(session, "prc_small")
    assert retry_events(session, [parked.id], NOW) == 1
    assert book_all(session) == 1
    assert account_balance(session, "1122", TODAY) == Decimal("42.94")


def book_all_later(s: Session) -> int:
    """The consumer again once the first retry is due."""

    def handle(session: Session, event: DomainEvent, context: Any) -> None:
        finance_postings.book(session, event, NOW)

    consumer = Consumer(finance_postings.CONSUMER, finance_postings.EVENTS, handle)
    return consume(s, consumer, None, NOW + timedelta(hours=1), backoff=Backoff(2)).applied


async def test_a_zero_price_is_not_guessed_finance_is_told_and_the_cost_is_booked(
    books: Database,
) -> None:
    await books.run(_a_zero_price_is_not_guessed_finance_is_told_and_the_cost_is_booked)


def _a_zero_price_is_not_guessed_finance_is_told_and_the_cost_is_booked(session: Session) -> None:
    install_chart(session, "prc_small")
    delivered(session, price="0")
    told: list[Attention] = []
    assert book_all(session, told) == 1
    assert [a.params["skus"] for a in told] == ["BOLT-M6"]
    assert session.scalars(select(Entry.source)).all() == ["order.delivered:cogs"]
    assert session.scalars(select(OpenItem)).all() == []


def ordered_from(s: Session, terms: str, tax: str = "0.13") -> tuple[Product, Supplier]:
    product, _sh, _bj = seeded(s, tax_rate=Decimal(tax), kind="raw")
    steel = add_supplier(s, "Steel Co", {"lead_days": 3, "payment_terms": terms}, "CNY", NOW)
    buyer = member(s, "buyer")
    request = raise_request(s, buyer, [Wanted(product.id, Decimal(10))], None, "stock", NOW)
    link_approval(s, request, 7)
    record_event(s, APPROVED_EVENT, "approval", "7", {}, NOW)
    record_quote(s, request, steel, None, Decimal("1.5"), 3, NOW)
    warehouse = s.scalars(select(Warehouse)).first()
    assert warehouse is not None
    order, _new = place_order(s, request, steel, warehouse, None, NOW)
    receive(s, order, [Inspected(product.id, Decimal(9), Decimal(1))], "k1", None, NOW, TODAY)
    return product, steel


@pytest.mark.parametrize("chart", CHARTS)
async def test_a_receipt_is_a_supplier_bill_due_by_the_suppliers_terms(
    books: Database, chart: str
) -> None:
    await books.run(
        lambda session: _a_receipt_is_a_supplier_bill_due_by_the_suppliers_terms(session, chart)
    )


def _a_receipt_is_a_supplier_bill_due_by_the_suppliers_terms(session: Session, chart: str) -> None:
    install_chart(session, chart)
    ordered_from(session, "月结60天")
    assert book_all(session) == 1
    code = partial(code_for, chart)
    assert lines_of(session, "goods.received:bill") == [
        (code("materials"), Decimal("13.50"), Decimal(0), ""),
        (code("input_vat"), Decimal("1.76"), Decimal(0), ""),
        (code("payable"), Decimal(0), Decimal("15.26"), ""),
    ]
    item = session.scalars(select(OpenItem)).one()
    assert (item.party_kind, item.amount, item.due_on) == (
        "supplier", Decimal("15.26"), TODAY + timedelta(days=60),
    )  # fmt: skip


@pytest.mark.parametrize("chart", CHARTS)
async def test_an_approved_expense_claim_is_owed_to_the_employee_with_their_department(
    books: Database, chart: str
) -> None:
    await books.run(
        lambda session: _an_approved_expense_claim_is_owed_to_the_employee_with_their_department(
            session, chart
        )
    )


def _an_approved_expense_claim_is_owed_to_the_employee_with_their_department(
    session: Session, chart: str
) -> None:
    install_chart(session, chart)
    claimant = member(session, "erin", department="sales")
    fields = {
        "lines": [{"category": "meals", "amount": "300.00"}, {"category": "travel",
                                                             "amount": "120.50"}],
        "amount": "420.50",
        "reason": "client visit",
    }  # fmt: skip
    payload = {"request": 41, "template": "expense", "initiator": claimant, "fields": fields}
    record_event(session, "ExpenseApproved", "approval", "41", payload, NOW)
    assert book_all(session) == 1
    assert lines_of(session, "ExpenseApproved:claim") == [
        (code_for(chart, "expense"), Decimal("420.50"), Decimal(0), "sales"),
        (code_for(chart, "employee_payable"), Decimal(0), Decimal("420.50"), ""),
    ]
    (owed,) = ageing(session, "payable", TODAY)
    assert (owed.party.kind, owed.party.name, owed.total) == ("employee", "erin", Decimal("420.50"))


@pytest.mark.parametrize("chart", CHARTS)
async def test_production_moves_value_through_work_in_progress(books: Database, chart: str) -> None:
    await books.run(
        lambda session: _production_moves_value_through_work_in_progress(session, chart)
    )


def _production_moves_value_through_work_in_progress(session: Session, chart: str) -> None:
    install_chart(session, chart)
    stool, _sh, _bj = seeded(session, sku="STOOL", kind="finished")
    leg, _sh2, _bj2 = seeded(session, sku="LEG", kind="raw")
    payload = {  # the shape domain.erp.production records
        "order": "MO2026-00001", "product_id": stool.id, "sku": "STOOL", "location_id": 1,
        "good": "9", "scrap": "1",
        "components": [{"product_id": leg.id, "sku": "LEG", "quantity": "40", "value": "80.00"}],
        "component_value": "80.00", "labour_value": "20.00", "output_value": "90.00",
        "scrap_value": "10.00", "currency": "CNY",
    }  # fmt: skip
    record_event(session, REPORTED, "erp_production_report", "1", payload, NOW)
    assert book_all(session) == 1
    code = partial(code_for, chart)
    assert sorted(lines_of(session, REPORTED)) == sorted([
        (code("work_in_progress"), Decimal("100.00"), Decimal(0), ""),
        (code("materials"), Decimal(0), Decimal("80.00"), ""),
        (code("labour"), Decimal(0), Decimal("20.00"), ""),
        (code("goods"), Decimal("90.00"), Decimal(0), ""),
        (code("scrap_loss"), Decimal("10.00"), Decimal(0), ""),
        (code("work_in_progress"), Decimal(0), Decimal("100.00"), ""),
    ])  # fmt: skip
    assert account_balance(session, code("work_in_progress"), TODAY) == 0


@pytest.mark.parametrize("chart", CHARTS)
async def test_an_approved_count_adjusts_inventory_against_the_count_difference(
    books: Database, chart: str
) -> None:
    await books.run(
        lambda session: _an_approved_count_adjusts_inventory_against_the_count_difference(
            session, chart
        )
    )


def _an_approved_count_adjusts_inventory_against_the_count_difference(
    session: Session, chart: str
) -> None:
    install_chart(session, chart)
    product, sh, _bj = seeded(session)
    post_move(session, receipt(product, sh, "10", "in-1"), None, NOW)
    warehouse = session.scalars(select(Warehouse).where(Warehouse.code == "SH")).one()
    counter = member(session, "counter")
    take = start_stock_take(session, warehouse, counter, NOW)
    record_count(session, take, product, counter, Decimal(7), NOW)
    finish_counting(session, take, NOW)
    approve(session, take.id, counter, NOW)
    approve(session, take.id, counter, NOW)  # a double tap: one event
    assert book_all(session) == 1
    assert lines_of(session, "stock.adjusted") == [
        (code_for(chart, "count_difference"), Decimal("6.00"), Decimal(0), ""),
        (code_for(chart, "goods"), Decimal(0), Decimal("6.00"), ""),
    ]


def invoices(s: Session, *amounts: str) -> list[str]:
    """Customer invoices for Acme booked on consecutive days (their document numbers)."""
    numbers = []
    start = len(s.scalars(select(OpenItem.id)).all())
    for n, amount in enumerate(amounts, start=start):
        payload = {
            "order": f"SO-{n}", "customer_id": 7, "customer": "Acme", "currency": "CNY",
            "lines": [{"product_id": 0, "sku": "X", "quantity": "1", "unit_price": amount,
                       "tax_rate": "0", "cost": "0"}],
        }  # fmt: skip
        record_event(s, "order.delivered", "erp_delivery", f"d{n}", payload, NOW)
        book_all(s)
        numbers.append(s.scalars(select(OpenItem.document).order_by(OpenItem.id.desc())).first())
    return [str(n) for n in numbers]


def pay(s: Session, key: str, amount: str, *documents: str, on: date = TODAY) -> list[Any]:
    request = PaymentRequest(key, Party(CUSTOMER, 7, "Acme"), on, Decimal(amount), documents)
    return record_payment(s, request, NOW).matched


def open_amounts(s: Session) -> list[Decimal]:
    return list(s.scalars(select(OpenItem.open_amount).order_by(OpenItem.id)))


async def test_payments_match_named_documents_else_the_oldest_and_keep_the_rest_as_credit(
    books: Database,
) -> None:
    await books.run(_payments_match_named_documents_else_the_oldest_and_keep_the_rest_as_credit)


def _payments_match_named_documents_else_the_oldest_and_keep_the_rest_as_credit(
    session: Session,
) -> None:
    install_chart(session, "prc_small")
    first, second = invoices(session, "100", "50")
    assert pay(session, "k1", "30", second) == [(second, Decimal(30))]
    assert pay(session, "k1", "30", second) == [(second, Decimal(30))]  # redelivered: once
    assert open_amounts(session) == [Decimal(100), Decimal(20)]
    assert pay(session, "k2", "150") == [(first, Decimal(100)), (second, Decimal(20))]
    assert open_amounts(session) == [Decimal(0), Decimal(0)]
    assert party_credit(session, Party(CUSTOMER, 7, "Acme")) == Decimal(30)
    assert account_balance(session, "2203", TODAY) == Decimal(30)
    (third,) = invoices(session, "45")  # the credit pays most of the next invoice
    assert open_amounts(session)[-1] == Decimal(15)
    assert party_credit(session, Party(CUSTOMER, 7, "Acme")) == 0
    assert account_balance(session, "1122", TODAY) == sum(open_amounts(session))
    assert account_balance(session, "1002", TODAY) == Decimal(180)
    with pytest.raises(NotFound):
        pay(session, "k3", "5", "SJ2099-00001")
    found = statement(session, Party(CUSTOMER, 7, "Acme"))
    assert found.balance == Decimal(15) and [i.document for i in found.open_items] == [third]


async def test_ageing_puts_each_open_amount_in_its_bucket(books: Database) -> None:
    await books.run(_ageing_puts_each_open_amount_in_its_bucket)


def _ageing_puts_each_open_amount_in_its_bucket(session: Session) -> None:
    install_chart(session, "prc_small")
    invoices(session, "100", "50")  # due 30 days after today
    due = TODAY + timedelta(days=30)
    buckets = {
        due: "current", due + timedelta(days=1): "1-30", due + timedelta(days=31): "31-60",
        due + timedelta(days=61): "61-90", due + timedelta(days=91): "90+",
    }  # fmt: skip
    for as_of, bucket in buckets.items():
        (row,) = ageing(session, RECEIVABLE, as_of)
        assert row.buckets[bucket] == Decimal(150) and row.total == Decimal(150)


async def test_a_receipt_event_without_a_tax_rate_is_booked_at_the_org_default(
    books: Database,
) -> None:
    await books.run(_receipt_event_without_a_tax_rate)


def _receipt_event_without_a_tax_rate(session: Session) -> None:
    install_chart(session, "prc_small")
    line = {"product_id": 0, "sku": "X", "accepted": "10", "rejected": "0",
            "unit_price": "10.0000", "value": "100.00"}  # fmt: skip
    payload = {"order": "PO2026-00009", "supplier_id": 3, "supplier": "Old Co", "currency": "CNY",
               "received_on": TODAY.isoformat(), "lines": [line]}  # fmt: skip
    record_event(session, "goods.received", "erp_receipt", "9", payload, NOW)
    assert book_all(session) == 1
    assert lines_of(session, "goods.received:bill") == [
        ("1405", Decimal("100.00"), Decimal(0), ""),
        ("22210101", Decimal("13.00"), Decimal(0), ""),
        ("2202", Decimal(0), Decimal("113.00"), ""),
    ]


async def test_a_real_production_report_is_booked_from_the_erps_event(books: Database) -> None:
    await books.run(_real_production_report)


def _real_production_report(session: Session) -> None:
    install_chart(session, "prc_small")
    stool, _legs, _seat, sh = stool_factory(session)
    order = create_production(session, stool.id, Decimal(10), sh, NOW)
    release_production(session, order.id, NOW)
    report_production(session, order.id, Decimal(4), Decimal(1), "chat:r1", None, NOW)
    assert book_all(session) == 1
    # 20 legs at 2 and 5 seats at 3 (raw materials) = 55, labour 175; 184 out, 46 scrapped
    assert sorted(lines_of(session, REPORTED)) == sorted([
        ("4001", Decimal("230.00"), Decimal(0), ""),
        ("1403", Decimal(0), Decimal("55.00"), ""),
        ("2211", Decimal(0), Decimal("175.00"), ""),
        ("1405", Decimal("184.00"), Decimal(0), ""),
        ("5711", Decimal("46.00"), Decimal(0), ""),
        ("4001", Decimal(0), Decimal("230.00"), ""),
    ])  # fmt: skip

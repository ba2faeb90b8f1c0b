"""The statements on both databases and both charts, on a month of a small trading company whose
figures are worked out by hand below: the owner puts in 500,000, goods are bought for 100,000
(+13 % VAT) on credit and half sold for 80,000 (+13 % VAT), the supplier is paid 60,000, the
customer pays 50,000, office costs 3,000, a machine for 24,000 is depreciated by 400, and the
bank lends 30,000. Also: each account of each chart lands on exactly one line of each statement;
the previous period stands beside; one department's figures; the balance summary equals the
lines after random postings and reversals."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.finance.balances import rebuild_balances
from domain.finance.charts import CHARTS, install_chart, load_chart
from domain.finance.models import Balance, Entry, EntryLine, Period
from domain.finance.posting import EntryRequest, LineRequest, post_entry, reverse_entry
from domain.finance.statement_lines import LAYOUTS, matches
from domain.finance.statements import (
    Month,
    Span,
    Statement,
    account_detail,
    general_ledger,
    statement,
)
from domain.shared.db import Database, open_database
from tests.integration.erp_rig import NOW

NOV = Span.month(Month(2026, 11))
D = Decimal

# The month's entries as (day, [(prc code, ifrs code, debit, credit, department)]).
MONTH = [
    (1, [("1002", "1010", "500000", "0", ""), ("3001", "3000", "0", "500000", "")]),
    (
        3,
        [
            ("1405", "1230", "100000", "0", ""),
            ("22210101", "1170", "13000", "0", ""),
            ("2202", "2000", "0", "113000", ""),
        ],
    ),
    (
        10,
        [
            ("1122", "1100", "90400", "0", "sales"),
            ("5001", "4000", "0", "80000", "sales"),
            ("22210102", "2100", "0", "10400", "sales"),
        ],
    ),
    (10, [("5401", "5000", "50000", "0", "sales"), ("1405", "1230", "0", "50000", "sales")]),
    (15, [("2202", "2000", "60000", "0", ""), ("1002", "1010", "0", "60000", "")]),
    (20, [("1002", "1010", "50000", "0", ""), ("1122", "1100", "0", "50000", "")]),
    (25, [("5602", "6100", "3000", "0", "admin"), ("1002", "1010", "0", "3000", "admin")]),
    (30, [("1601", "1500", "24000", "0", ""), ("1002", "1010", "0", "24000", "")]),
    (30, [("5602", "6100", "400", "0", "admin"), ("1602", "1510", "0", "400", "admin")]),
    (30, [("1002", "1010", "30000", "0", ""), ("2001", "2500", "0", "30000", "")]),
]


def entries(chart: str) -> list[EntryRequest]:
    column = 0 if chart == "prc_small" else 1
    return [
        EntryRequest(
            "GJ",
            date(2026, 11, day),
            [
                LineRequest(line[column], debit=D(line[2]), credit=D(line[3]), department=line[4])
                for line in lines
            ],
        )
        for day, lines in MONTH
    ]


@pytest.fixture(params=CHARTS)
async def books(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[Database]:
    """The month posted in books of each chart."""
    database = open_database(db_url)
    chart = request.param

    def setting_up(session: Session) -> None:
        install_chart(session, chart)
        for entry in entries(chart):
            post_entry(session, entry, NOW)

    await database.run(setting_up)
    try:
        yield database
    finally:
        await database.dispose()


async def read(
    db: Database, kind: str, span: Span = NOV, department: str | None = None
) -> Statement:
    return await db.run(lambda s: statement(s, kind, span, department))


async def test_balance_sheet_balances_with_the_months_profit_in_equity(books: Database) -> None:
    bs = await read(books, "bs")
    vat_receivable = 13000 if bs.chart == "ifrs_basic" else 0  # IFRS shows input VAT apart
    assert bs.figure("cash") == 493000
    assert bs.figure("receivables") == 40400
    assert bs.figure("inventories") == 50000
    assert bs.figure("total_current_assets") == 583400 + vat_receivable
    assert bs.figure("total_assets") == 607000 + vat_receivable
    assert bs.figure("payables") == 53000
    assert bs.figure("retained_earnings") == 26600  # not closed into 本年利润: still shown
    assert bs.figure("total_equity") == 526600
    assert bs.figure("total_liabilities") == 80400 + vat_receivable
    assert bs.figure("total_liabilities_and_equity") == bs.figure("total_assets")
    if bs.chart == "prc_small":
        assert bs.figure("fixed_assets") == 23600
        assert bs.figure("taxes_payable") == -2600  # input VAT above output: a debit balance
    else:
        assert bs.figure("ppe") == 23600
        assert bs.figure("vat_payable") == 10400
    assert all(row.values[1] == 0 for row in bs.rows if row.values)  # October: nothing yet


async def test_income_statement(books: Database) -> None:
    pl = await read(books, "pl")
    assert pl.figure("revenue") == 80000
    assert pl.figure("cost_of_sales") == 50000
    assert pl.figure("admin_expenses") == 3400
    assert pl.figure("operating_profit") == 26600
    assert pl.figure("net_profit") == 26600


async def test_cash_flow_explains_the_change_in_cash(books: Database) -> None:
    cf = await read(books, "cf")
    assert cf.figure("net_profit") == 26600
    assert cf.figure("depreciation") == 400
    assert cf.figure("inventories") == -50000
    assert cf.figure("operating_receivables") == -40400 - (13000 if cf.chart == "ifrs_basic" else 0)
    assert cf.figure("net_operating") == -13000
    assert cf.figure("net_investing") == -24000
    assert cf.figure("net_financing") == 530000
    assert cf.figure("net_change") == 493000
    assert cf.figure("cash_opening") == 0
    assert cf.figure("cash_closing") == 493000


async def test_trial_balance(books: Database) -> None:
    tb = await read(books, "tb")
    total = tb.rows[-1]
    assert (
        total.values[1] == total.values[2] == 920800
    )  # 500,000 + 113,000 + 90,400 + 50,000 + 60,000 + 50,000 + 3,000 + 24,000 + 400 + 30,000
    closing = {row.key: row.values[3] for row in tb.rows[:-1]}
    bank, payables = ("1002", "2202") if tb.chart == "prc_small" else ("1010", "2000")
    assert closing[bank] == 493000
    assert closing[payables] == 53000


async def test_the_next_month_has_this_one_beside_it(books: Database) -> None:
    bank, revenue = (
        ("1002", "5001") if (await read(books, "bs")).chart == "prc_small" else ("1010", "4000")
    )
    sale = EntryRequest(
        "GJ",
        date(2026, 12, 5),
        [LineRequest(bank, debit=D(10000)), LineRequest(revenue, credit=D(10000))],
    )
    await books.run(lambda s: post_entry(s, sale, NOW))
    dec = Span.month(Month(2026, 12))
    bs, pl = await read(books, "bs", dec), await read(books, "pl", dec)
    assert bs.figure("cash", 0) == 503000
    assert bs.figure("cash", 1) == 493000
    assert pl.figure("revenue", 0) == 10000
    assert pl.figure("revenue", 1) == 80000
    both = await read(books, "pl", Span(Month(2026, 11), Month(2026, 12)))
    assert both.figure("net_profit") == 36600
    assert both.previous == Span(Month(2026, 9), Month(2026, 10))
    cf = await read(books, "cf", dec)
    assert (cf.figure("cash_opening"), cf.figure("cash_closing")) == (D(493000), D(503000))


async def test_one_department(books: Database) -> None:
    sales = await read(books, "pl", department="sales")
    admin = await read(books, "pl", department="admin")
    assert (sales.figure("revenue"), sales.figure("net_profit")) == (D(80000), D(30000))
    assert (admin.figure("revenue"), admin.figure("net_profit")) == (D(0), D(-3400))


async def test_general_ledger_and_account_detail(books: Database) -> None:
    chart = (await read(books, "bs")).chart
    bank = "1002" if chart == "prc_small" else "1010"
    ledgers = await books.run(lambda s: general_ledger(s, NOV))
    ledger = next(item for item in ledgers if item.code == bank)
    figures = (ledger.opening, ledger.debits, ledger.credits, ledger.closing)
    assert figures == (D(0), D(580000), D(87000), D(493000))
    assert [m.closing for m in ledger.months] == [493000]
    detail = await books.run(lambda s: account_detail(s, bank, NOV))
    assert [line.balance for line in detail.lines] == [
        500000,
        440000,
        490000,
        487000,
        463000,
        493000,
    ]
    if chart == "prc_small":
        taxes = await books.run(lambda s: account_detail(s, "2221", NOV))
        assert taxes.closing == -2600 and len(taxes.lines) == 2


@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("kind", ["bs", "pl", "cf"])
def test_each_account_lands_on_exactly_one_line(chart: str, kind: str) -> None:
    items = [line for line in LAYOUTS[chart][kind] if line.kind == "item"]
    cash = {"cash_opening"}
    accounts = load_chart(chart).accounts
    parents = {a.parent for a in accounts}
    for account in accounts:
        if account.code in parents:
            continue
        if kind == "pl" and account.type not in ("revenue", "expense"):
            continue
        hits = [
            line.key
            for line in items
            if line.key not in cash and matches(line, account.code, account.type)
        ]
        is_cash = any(
            matches(line, account.code, account.type) for line in items if line.key in cash
        )
        expected = 0 if kind == "cf" and is_cash else 1
        assert len(hits) == expected, (account.code, hits)


async def test_the_summary_equals_the_lines_after_random_postings(db_url: str) -> None:
    rng = random.Random(15)
    database = open_database(db_url)
    leaves = [a.code for a in load_chart("prc_small").accounts if a.code not in ("2221", "222101")]

    def posting(session: Session) -> None:
        install_chart(session, "prc_small")
        posted = []
        for _ in range(150):
            amount = D(rng.randint(1, 10**7)).scaleb(-2)
            first, second = rng.sample(leaves, 2)
            on = date(2026, rng.randint(1, 12), rng.randint(1, 28))
            department = rng.choice(["", "sales", "admin"])
            lines = [
                LineRequest(first, debit=amount, department=department),
                LineRequest(second, credit=amount, department=rng.choice(["", department])),
            ]
            posted.append(post_entry(session, EntryRequest("GJ", on, lines), NOW).entry.id)
            if rng.random() < 0.2:
                reverse_entry(session, rng.choice(posted), date(2026, 12, 31), NOW)

    try:
        await database.run(posting)
        kept = await database.run(summary_rows)
        assert kept == await database.run(sums_of_lines)
        await database.run(rebuild_balances)
        assert await database.run(summary_rows) == kept
        assert len(kept) > 100
    finally:
        await database.dispose()


def summary_rows(session: Session) -> set[tuple[object, ...]]:
    rows = session.execute(
        select(
            Balance.account_id,
            Balance.year,
            Balance.month,
            Balance.department,
            Balance.debit,
            Balance.credit,
        )
    )
    return {tuple(row) for row in rows}


def sums_of_lines(session: Session) -> set[tuple[object, ...]]:
    rows = session.execute(
        select(
            EntryLine.account_id,
            Period.year,
            Period.month,
            EntryLine.department,
            func.sum(EntryLine.debit),
            func.sum(EntryLine.credit),
        )
        .join(Entry, Entry.id == EntryLine.entry_id)
        .join(Period, Period.id == Entry.period_id)
        .group_by(EntryLine.account_id, Period.year, Period.month, EntryLine.department)
    )
    return {tuple(row) for row in rows}


@pytest.mark.parametrize("chart", CHARTS)
async def test_random_books_balance_at_every_month_end(db_url: str, chart: str) -> None:
    """Random balanced entries on any leaf accounts (contra, cost and profit accounts too),
    some in departments, some reversed: at every month end the balance sheet balances, the
    cash flow ends at the sheet's cash and starts at the month before's, and the trial balance
    nets to zero; the year's income statement is the sum of its months'."""
    rng = random.Random(7)
    database = open_database(db_url)
    accounts = load_chart(chart).accounts
    parents = {a.parent for a in accounts}
    leaves = [a.code for a in accounts if a.code not in parents]

    def posting(session: Session) -> None:
        install_chart(session, chart)
        posted = []
        for _ in range(120):
            on = date(2026, rng.randint(1, 12), rng.randint(1, 28))
            codes = rng.sample(leaves, 3)
            first, second = (D(rng.randint(1, 10**6)).scaleb(-2) for _ in range(2))
            lines = [
                LineRequest(codes[0], debit=first + second, department=rng.choice(["", "x"])),
                LineRequest(codes[1], credit=first),
                LineRequest(codes[2], credit=second),
            ]
            posted.append(post_entry(session, EntryRequest("GJ", on, lines), NOW).entry.id)
            if rng.random() < 0.1:
                reverse_entry(session, rng.choice(posted), date(2026, 12, 28), NOW)

    def checking(session: Session) -> None:
        previous_cash = D(0)
        months_profit = D(0)
        for number in range(1, 13):
            span = Span.month(Month(2026, number))
            bs, cf = statement(session, "bs", span), statement(session, "cf", span)
            assert bs.figure("total_assets") == bs.figure("total_liabilities_and_equity")
            assert cf.figure("cash_opening") == previous_cash
            assert cf.figure("cash_closing") == bs.figure("cash")
            assert statement(session, "tb", span).out_of_balance() == 0
            previous_cash = bs.figure("cash")
            months_profit += statement(session, "pl", span).figure("net_profit")
        year = statement(session, "pl", Span(Month(2026, 1), Month(2026, 12)))
        assert year.figure("net_profit") == months_profit

    try:
        await database.run(posting)
        await database.run(checking)
    finally:
        await database.dispose()

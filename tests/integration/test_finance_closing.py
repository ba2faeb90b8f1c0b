"""Year-end closing on both databases and both charts, on the hand-checked month of
test_finance_statements (net profit 26,600: sales +30,000, admin −3,400): the income and expense
accounts end the year at zero, the profit lands in 3104 利润分配 through 3103 本年利润 (prc_small)
or in 3100 retained earnings (ifrs_basic), per department; the income statement and the cash
flow's profit still show the year's profit, not the closed-to-zero figures; the balance sheet
still balances; closing twice posts once; every month of the year is closed after; a year not
over or a closed December is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.finance.charts import CHARTS, install_chart
from domain.finance.closing import YearClosed, close_year
from domain.finance.models import Account, Period
from domain.finance.periods import close_period, reopen_period
from domain.finance.posting import EntryRefused, entry_lines, post_entry
from domain.finance.reading import account_balance
from domain.finance.statements import Month, Span, statement
from domain.shared.db import Database, open_database
from domain.shared.errors import DomainError
from tests.integration.erp_rig import NOW
from tests.integration.test_finance_statements import entries

YEAR_END = date(2026, 12, 31)
YEAR = Span(Month(2026, 1), Month(2026, 12))
NOV_DEC = Span(Month(2026, 11), Month(2026, 12))


@pytest.fixture(params=CHARTS)
async def books(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[Database]:
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


async def close(db: Database, today: date = YEAR_END) -> YearClosed:
    return await db.run(lambda s: close_year(s, 2026, None, NOW, today))


async def test_closing_a_year_keeps_the_statements_right(books: Database) -> None:
    with pytest.raises(DomainError, match="not over"):
        await close(books, date(2026, 12, 30))
    await books.run(lambda s: close_period(s, 2026, 12, None, NOW))
    with pytest.raises(DomainError, match="2026-12 is closed"):
        await close(books)
    await books.run(lambda s: reopen_period(s, 2026, 12))

    closed = await close(books)
    chart = await books.run(lambda s: s.scalars(select(Account.chart).limit(1)).one())
    prc = chart == "prc_small"
    assert closed.new and closed.profit == Decimal(26600)
    assert len(closed.entries) == (2 if prc else 1)

    def balances(s: Session) -> dict[str, Decimal]:
        codes = ("5001", "5401", "5602", "3103", "3104") if prc else ("4000", "5000", "3100")
        return {code: account_balance(s, code, YEAR_END) for code in codes}

    found = await books.run(balances)
    if prc:
        assert found == {"5001": 0, "5401": 0, "5602": 0, "3103": 0, "3104": Decimal(26600)}
    else:
        assert found == {"4000": 0, "5000": 0, "3100": Decimal(26600)}

    def profit_lines(s: Session) -> set[tuple[str, Decimal, Decimal]]:
        profit_code = "3103" if prc else "3100"
        return {
            (line.department, line.debit, line.credit)
            for line in entry_lines(s, closed.entries[0].id)
            if s.get_one(Account, line.account_id).code == profit_code
        }

    assert await books.run(profit_lines) == {
        ("sales", Decimal(0), Decimal(30000)),
        ("admin", Decimal(3400), Decimal(0)),
    }

    async def read(kind: str, span: Span, department: str | None = None) -> Decimal:
        return await books.run(lambda s: statement(s, kind, span, department).figure("net_profit"))

    assert await read("pl", YEAR) == 26600  # not the closed amounts netted to zero
    assert await read("pl", Span.month(Month(2026, 12))) == 0
    assert await read("pl", YEAR, "sales") == 30000
    assert await read("cf", NOV_DEC) == 26600
    cf = await books.run(lambda s: statement(s, "cf", NOV_DEC))
    assert cf.figure("distributions") == 0 and cf.figure("cash_closing") == 493000
    bs = await books.run(lambda s: statement(s, "bs", Span.month(Month(2026, 12))))
    assert bs.figure("retained_earnings") == 26600
    assert bs.figure("total_liabilities_and_equity") == bs.figure("total_assets")

    again = await close(books)
    assert not again.new and again.profit == Decimal(26600)
    assert [e.number for e in again.entries] == [e.number for e in closed.entries]
    closed_months = await books.run(
        lambda s: s.scalar(
            select(func.count()).select_from(Period).where(Period.year == 2026, Period.closed)
        )
    )
    assert closed_months == 12
    with pytest.raises(EntryRefused, match="closed"):
        await books.run(lambda s: post_entry(s, entries(chart)[0], NOW))

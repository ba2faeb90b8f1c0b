"""The finance ledger on both databases: charts install once; a balanced entry posts with the
next gapless number of its journal and year, an unbalanced or malformed one is refused with
every problem and nothing written; the same source posts once; a reversal mirrors an entry
once; a closed period takes nothing; the database itself refuses edits and deletes of posted
entries; and the trial balance, on random balanced entries, balances account by account."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from domain.finance.charts import install_chart, load_chart
from domain.finance.models import Account, Entry, EntryLine
from domain.finance.periods import close_period, reopen_period
from domain.finance.posting import (
    EntryRefused,
    EntryRequest,
    LineRequest,
    Posted,
    post_entry,
    reverse_entry,
)
from domain.finance.reading import TrialBalance, account_balance, trial_balance
from domain.shared.db import Database, open_database
from domain.shared.errors import Conflict, DomainError
from tests.integration.erp_rig import NOW, erp_session

DAY = date(2026, 12, 7)


def sale(amount: str, source_id: str | None = None, on: date = DAY) -> EntryRequest:
    """A sale on credit: receivable against revenue and output VAT (13 %)."""
    net = Decimal(amount)
    vat = net * Decimal("0.13")
    return EntryRequest(
        "SJ",
        on,
        [
            LineRequest("1122", debit=net + vat, department="sales"),
            LineRequest("5001", credit=net, project="p1"),
            LineRequest("22210102", credit=vat),
        ],
        memo="sale",
        source="erp.delivery" if source_id else None,
        source_id=source_id,
    )


@pytest.fixture
async def books(db_url: str) -> AsyncIterator[Database]:
    """A database with the PRC small-enterprise chart and the standard journals."""
    database = open_database(db_url)
    await database.run(lambda s: install_chart(s, "prc_small"))
    try:
        yield database
    finally:
        await database.dispose()


async def post(db: Database, request: EntryRequest) -> Posted:
    return await db.run(lambda s: post_entry(s, request, NOW))


async def number(db: Database, request: EntryRequest) -> str:
    return (await post(db, request)).entry.number


async def counts(db: Database) -> tuple[int, int]:
    def counting(s: Session) -> tuple[int, int]:
        entries = s.scalar(select(func.count()).select_from(Entry)) or 0
        return entries, s.scalar(select(func.count()).select_from(EntryLine)) or 0

    return await db.run(counting)


async def balance(db: Database, code: str, on: date = DAY) -> Decimal:
    return await db.run(lambda s: account_balance(s, code, on))


def test_the_charts_install_once_and_the_books_keep_one_chart(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        assert install_chart(s, "prc_small") == len(load_chart("prc_small").accounts) == 69
    with erp_session(sqlite_url) as s:
        assert install_chart(s, "prc_small") == 0
        output_vat = s.scalars(select(Account).where(Account.code == "22210102")).one()
        depreciation = s.scalars(select(Account).where(Account.code == "1602")).one()
        assert (output_vat.name_zh, output_vat.parent_code, output_vat.side) == (
            "销项税额",
            "222101",
            "credit",
        )
        assert (depreciation.type, depreciation.side) == ("asset", "credit")
        with pytest.raises(DomainError, match="already use the chart prc_small"):
            install_chart(s, "ifrs_basic")
    types = {a.type for a in load_chart("ifrs_basic").accounts}
    assert types == {"asset", "liability", "equity", "revenue", "expense"}


async def test_a_balanced_entry_posts_and_a_bad_one_is_refused_with_every_problem(
    books: Database,
) -> None:
    assert await number(books, sale("100")) == "SJ2026-00001"
    await books.run(
        lambda s: s.execute(text("UPDATE finance_accounts SET active = false WHERE code = '5603'"))
    )
    bad = EntryRequest(
        "SJ",
        DAY,
        [
            LineRequest("1122", debit=Decimal("10"), credit=Decimal("10")),
            LineRequest("9999", credit=Decimal("5")),
            LineRequest("2221", credit=Decimal("1")),
            LineRequest("5603", debit=Decimal("0.001")),
            LineRequest("1001"),
        ],
    )
    with pytest.raises(EntryRefused) as refused:
        await post(books, bad)
    assert [p.text() for p in refused.value.problems] == [
        "line 1 needs a debit or a credit, not both",
        "line 2: there is no account 9999",
        "line 3: account 2221 has sub-accounts; post to one of them",
        "line 4: 0.001 is not an amount",
        "line 4: account 5603 is inactive",
        "line 5 needs a debit or a credit, not both",
        "debits 10.001 and credits 16 differ",
    ]
    assert await counts(books) == (1, 3)
    assert await number(books, sale("50")) == "SJ2026-00002"
    assert await number(books, sale("1", on=date(2027, 1, 2))) == "SJ2027-00001"


async def test_the_same_source_posts_once(books: Database) -> None:
    first = await post(books, sale("100", "D-1"))
    again = await post(books, sale("999", "D-1"))
    assert (first.new, again.new, again.entry.number) == (True, False, first.entry.number)
    assert await balance(books, "5001") == Decimal("100")
    assert await counts(books) == (1, 3)


async def test_a_reversal_mirrors_the_entry_once(books: Database) -> None:
    original = (await post(books, sale("100", "D-7"))).entry.id
    ninth = date(2026, 12, 9)
    mirror = await books.run(lambda s: reverse_entry(s, original, ninth, NOW))
    assert (mirror.new, mirror.entry.number) == (True, "SJ2026-00002")
    assert mirror.entry.reversal_of == original

    def sides(s: Session) -> tuple[str, list[tuple[Decimal, Decimal]]]:
        lines = s.scalars(select(EntryLine).where(EntryLine.entry_id == mirror.entry.id))
        return s.get_one(Entry, original).status, sorted((x.debit, x.credit) for x in lines)

    assert await books.run(sides) == (
        "reversed",
        [(Decimal(0), Decimal("113")), (Decimal("13"), Decimal(0)), (Decimal("100"), 0)],
    )
    again = await books.run(lambda s: reverse_entry(s, original, ninth, NOW))
    assert (again.new, again.entry.id) == (False, mirror.entry.id)
    with pytest.raises(Conflict, match="is a reversal"):
        await books.run(lambda s: reverse_entry(s, mirror.entry.id, DAY, NOW))
    assert await balance(books, "1122", date(2026, 12, 8)) == Decimal("113")
    assert await balance(books, "1122", ninth) == 0
    assert await counts(books) == (2, 6)


async def test_a_closed_period_takes_no_entry_until_it_is_reopened(books: Database) -> None:
    november = date(2026, 11, 30)
    closed = await books.run(lambda s: close_period(s, 2026, 11, None, NOW))
    later = NOW.replace(hour=9)
    again = await books.run(lambda s: close_period(s, 2026, 11, None, later))
    assert again.closed and again.closed_at == closed.closed_at == NOW
    with pytest.raises(EntryRefused, match="period 2026-11 is closed"):
        await post(books, sale("100", on=november))
    assert await number(books, sale("100")) == "SJ2026-00001"
    await books.run(lambda s: reopen_period(s, 2026, 11))
    assert await number(books, sale("100", on=november)) == "SJ2026-00002"


def raw(statement: str, entry: int) -> Callable[[Session], object]:
    """Run a statement by SQL, past the domain."""
    return lambda s: s.execute(text(statement), {"entry": entry})


async def test_the_database_refuses_to_change_or_delete_a_posted_entry(books: Database) -> None:
    entry = (await post(books, sale("100"))).entry.id
    refused = (
        "UPDATE finance_entry_lines SET debit = 1 WHERE entry_id = :entry",
        "UPDATE finance_entry_lines SET account_id = 1 WHERE entry_id = :entry",
        "DELETE FROM finance_entry_lines WHERE entry_id = :entry",
        "DELETE FROM finance_entries WHERE id = :entry",
        "UPDATE finance_entries SET memo = 'edited' WHERE id = :entry",
        "UPDATE finance_entries SET status = 'draft' WHERE id = :entry",
    )
    for statement in refused:
        with pytest.raises(DBAPIError, match="immutable"):
            await books.run(raw(statement, entry))
    reversing = "UPDATE finance_entries SET status = 'reversed' WHERE id = :entry"
    await books.run(raw(reversing, entry))
    assert await counts(books) == (1, 3)
    assert await balance(books, "1122") == Decimal("113")


async def test_the_trial_balance_shows_each_account_and_sums_to_zero(books: Database) -> None:
    await post(books, sale("100", on=date(2026, 11, 20)))
    await post(books, sale("200"))
    paid = [LineRequest("1002", debit=Decimal("113")), LineRequest("1122", credit=Decimal("113"))]
    await post(books, EntryRequest("CR", DAY, paid))
    december = await books.run(lambda s: trial_balance(s, date(2026, 12, 1), date(2026, 12, 31)))
    rows = {r.code: (r.opening, r.debits, r.credits, r.closing) for r in december.rows}
    assert rows == {
        "1002": (0, Decimal("113"), 0, Decimal("113")),
        "1122": (Decimal("113"), Decimal("226"), Decimal("113"), Decimal("226")),
        "22210102": (Decimal("13"), 0, Decimal("26"), Decimal("39")),
        "5001": (Decimal("100"), 0, Decimal("200"), Decimal("300")),
    }
    assert december.debits == december.credits == Decimal(339)
    assert december.net == 0


ACCOUNTS = ("1001", "1002", "1122", "1405", "1602", "2202", "3001", "4001", "5001", "5602")
CREDIT_NORMAL = {"1602", "2202", "3001", "5001"}
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
entries = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), amounts, st.integers(1, 12)),
    min_size=1,
    max_size=6,
)
YEARS = itertools.count(2001)  # each example books a year of its own


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=entries, first_month=st.integers(1, 12))
async def test_random_balanced_entries_balance_account_by_account(
    books: Database, entries: list[tuple[str, str, Decimal, int]], first_month: int
) -> None:
    year = next(YEARS)

    def booking(s: Session) -> TrialBalance:
        for debit, credit, amount, month in entries:
            lines = [LineRequest(debit, debit=amount), LineRequest(credit, credit=amount)]
            post_entry(s, EntryRequest("GJ", date(year, month, 28), lines), NOW)
        return trial_balance(s, date(year, first_month, 1), date(year, 12, 31))

    booked = await books.run(booking)
    assert booked.debits == booked.credits and booked.net == 0
    moved = {code: [Decimal(0), Decimal(0)] for code in ACCOUNTS}
    for debit, credit, amount, month in entries:
        if month >= first_month:
            moved[debit][0] += amount
            moved[credit][1] += amount
    for row in booked.rows:
        movement = row.debits - row.credits
        normal = -movement if row.code in CREDIT_NORMAL else movement
        assert row.closing == row.opening + normal
        assert [row.debits, row.credits] == moved[row.code]

"""Year-end closing (结转损益): the income and expense accounts closed into the profit of the
year, and that into retained earnings, as entries dated 31 December; then every month of the
year is closed.

In ``prc_small`` the first entry closes each 损益类 account's balance for the year into 3103
本年利润 and the second moves 3103's balance into 3104 利润分配 (未分配利润); ``ifrs_basic``
closes straight into 3100 retained earnings (one entry). Each line keeps its department, and
each department's profit goes to the profit account under that department, so a department's
books stay whole. The entries carry the source ``finance.year_close`` (the statements leave
them out of the income statement and the cash flow's profit, which would otherwise show the
year netted to zero) and are posted once per year: closing a closed year again posts nothing.
Closing needs December open (its entries are dated in it) and the year over."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, func, select, type_coerce
from sqlalchemy.orm import Session

from domain.finance.account_roles import code_for, installed_chart
from domain.finance.models import Account, Balance, Entry, Period
from domain.finance.periods import close_period
from domain.finance.posting import EntryRequest, LineRequest, entry_lines, post_entry
from domain.shared.errors import DomainError
from domain.shared.money import DEFAULT_DIGITS

CLOSING_SOURCE = "finance.year_close"
PROFIT_TYPES = ("revenue", "expense")
ZERO = Decimal(0)


@dataclass(frozen=True)
class YearClosed:
    """The closing entries of a year (found or posted), whether this call posted them, whether
    the year had been closed before, and the year's net profit closed."""

    year: int
    entries: tuple[Entry, ...]
    new: bool
    profit: Decimal
    again: bool = False


def close_year(
    session: Session, year: int, actor_id: int | None, now: datetime, today: date
) -> YearClosed:
    """Close ``year``: post its closing entries (once) and close its twelve months."""
    chart = installed_chart(session)
    if today < date(year, 12, 31):
        raise DomainError("The year {year} is not over yet.", year=year)
    earlier = _closing_entries(session, year)
    if earlier:
        _close_months(session, year, actor_id, now)
        profit = _profit_closed(session, year, chart)
        return YearClosed(year, earlier, new=False, profit=profit, again=True)
    if _december_closed(session, year):
        if any(_profit_balances(session, year).values()):
            raise DomainError("{year}-12 is closed: reopen it to close the year.", year=year)
        _close_months(session, year, actor_id, now)  # a year with nothing to close, closed before
        return YearClosed(year, (), new=False, profit=ZERO, again=True)
    profit_code = code_for(chart, "profit_for_year")
    retained_code = code_for(chart, "retained_earnings")
    posted = []
    by_department = _profit_balances(session, year)
    lines = _closing_lines(by_department, profit_code)
    if lines:
        posted.append(_post(session, year, "profit", lines, now))
    if lines and retained_code != profit_code:
        moved = _transfer_lines(
            _year_profit(session, year, profit_code), profit_code, retained_code
        )
        if moved:
            posted.append(_post(session, year, "retained", moved, now))
    _close_months(session, year, actor_id, now)
    profit = -sum((net for net in by_department.values()), ZERO)
    return YearClosed(year, tuple(posted), new=bool(posted), profit=profit)


def _post(session: Session, year: int, step: str, lines: list[LineRequest], now: datetime) -> Entry:
    request = EntryRequest(
        journal="GJ",
        on=date(year, 12, 31),
        lines=lines,
        memo=f"{year} 结转损益 / year-end closing",
        source=CLOSING_SOURCE,
        source_id=f"{year}:{step}",
    )
    return post_entry(session, request, now).entry


def _closing_entries(session: Session, year: int) -> tuple[Entry, ...]:
    query = (
        select(Entry)
        .where(
            Entry.source == CLOSING_SOURCE,
            Entry.source_id.in_([f"{year}:profit", f"{year}:retained"]),
        )
        .order_by(Entry.id)
    )
    return tuple(session.scalars(query))


def _december_closed(session: Session, year: int) -> bool:
    query = select(Period.closed).where(Period.year == year, Period.month == 12)
    return bool(session.scalar(query))


def _close_months(session: Session, year: int, actor_id: int | None, now: datetime) -> None:
    for month in range(1, 13):
        close_period(session, year, month, actor_id, now)


def _sums(session: Session, *conditions: ColumnElement[bool]) -> dict[tuple[str, str], Decimal]:
    """Per (account code, department), debit − credit of the balance summary's rows."""
    debit = type_coerce(Balance.debit, BigInteger())
    credit = type_coerce(Balance.credit, BigInteger())
    query = (
        select(Account.code, Balance.department, func.sum(debit - credit))
        .join(Balance, Balance.account_id == Account.id)
        .where(*conditions)
        .group_by(Account.code, Balance.department)
        .order_by(Account.code, Balance.department)
    )
    return {
        (code, department): Decimal(int(total)).scaleb(-DEFAULT_DIGITS)
        for code, department, total in session.execute(query)
        if total
    }


def _profit_balances(session: Session, year: int) -> dict[tuple[str, str], Decimal]:
    """The income and expense accounts' debit − credit for the year, per department."""
    return _sums(session, Balance.year == year, Account.type.in_(PROFIT_TYPES))


def _closing_lines(balances: dict[tuple[str, str], Decimal], profit_code: str) -> list[LineRequest]:
    """Each income and expense balance taken out, and each department's net into profit."""
    lines = [_line(code, -net, department) for (code, department), net in balances.items()]
    profit: dict[str, Decimal] = defaultdict(Decimal)
    for (_code, department), net in balances.items():
        profit[department] += net
    lines += [_line(profit_code, net, dep) for dep, net in sorted(profit.items()) if net]
    return lines


def _year_profit(session: Session, year: int, profit_code: str) -> dict[str, Decimal]:
    """The profit account's debit − credit at the year's end, per department."""
    sums = _sums(session, Balance.year <= year, Account.code == profit_code)
    return {department: net for (_code, department), net in sums.items()}


def _transfer_lines(
    balances: dict[str, Decimal], profit_code: str, retained_code: str
) -> list[LineRequest]:
    """The profit account's balance moved into retained earnings, per department."""
    lines = []
    for department, net in sorted(balances.items()):
        if net:
            lines += [_line(profit_code, -net, department), _line(retained_code, net, department)]
    return lines


def _line(code: str, debit_minus_credit: Decimal, department: str) -> LineRequest:
    """A line that debits a positive amount and credits a negative one."""
    if debit_minus_credit > 0:
        return LineRequest(code, debit=debit_minus_credit, department=department)
    return LineRequest(code, credit=-debit_minus_credit, department=department)


def _profit_closed(session: Session, year: int, chart: str) -> Decimal:
    """The profit the year's first closing entry put into the profit account."""
    profit_code = code_for(chart, "profit_for_year")
    entry = session.scalar(
        select(Entry).where(Entry.source == CLOSING_SOURCE, Entry.source_id == f"{year}:profit")
    )
    if entry is None:
        return ZERO
    total = ZERO
    for line in entry_lines(session, entry.id):
        if session.get_one(Account, line.account_id).code == profit_code:
            total += line.credit - line.debit
    return total

"""The financial statements: trial balance, balance sheet, income statement, cash-flow statement
(indirect method), general ledger and account detail, for a month or a range of months,
optionally for one department, each with the span just before it beside it.

Everything but the account detail reads the balance summary (``finance_balances``, kept by
posting), one ``GROUP BY`` over a few rows per account and month instead of every line. The
line items come from ``statement_lines`` for the chart the books use."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, cast

from sqlalchemy import BigInteger, ColumnElement, case, func, select, type_coerce
from sqlalchemy.orm import Session

from domain.finance.closing import CLOSING_SOURCE
from domain.finance.models import Account, Balance, Entry, EntryLine
from domain.finance.statement_lines import LAYOUTS, LineDef, matches
from domain.shared.errors import DomainError, NotFound
from domain.shared.money import DEFAULT_DIGITS

ZERO = Decimal(0)
StatementKind = Literal["bs", "pl", "cf", "tb"]
KINDS: tuple[StatementKind, ...] = ("pl", "bs", "cf", "tb")
TITLES = {
    "bs": ("资产负债表", "Balance sheet"),
    "pl": ("利润表", "Income statement"),
    "cf": ("现金流量表", "Cash-flow statement"),
    "tb": ("试算平衡表", "Trial balance"),
}
COLUMNS = {
    "current": ("本期", "This period"),
    "previous": ("上期", "Previous period"),
    "opening": ("期初余额", "Opening balance"),
    "debits": ("本期借方", "Debits"),
    "credits": ("本期贷方", "Credits"),
    "closing": ("期末余额", "Closing balance"),
    "previous_debits": ("上期借方", "Previous debits"),
    "previous_credits": ("上期贷方", "Previous credits"),
}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month of the books."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``2026-11`` (or ``2026-1``); ``DomainError`` if it is not a month."""
        found = _MONTH.match(text.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12:
            raise DomainError("{text} is not a month (YYYY-MM).", text=text)
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a day is in."""
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months differ by one."""
        return self.year * 12 + self.month - 1

    def shift(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        index = self.index + months
        return Month(index // 12, index % 12 + 1)

    def first_day(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    def last_day(self) -> date:
        """The last day of the month."""
        following = self.shift(1)
        return date.fromordinal(date(following.year, following.month, 1).toordinal() - 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class Span:
    """The months from ``first`` to ``last``, both included."""

    first: Month
    last: Month

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise DomainError("{last} is before {first}.", first=self.first, last=self.last)

    @classmethod
    def month(cls, month: Month) -> Span:
        """One month."""
        return cls(month, month)

    @property
    def months(self) -> int:
        """How many months the span has."""
        return self.last.index - self.first.index + 1

    def previous(self) -> Span:
        """The span of the same length just before this one."""
        return Span(self.first.shift(-self.months), self.first.shift(-1))

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}..{self.last}"


@dataclass(frozen=True)
class Row:
    """One line of a statement: its key, labels in both languages, and a figure per column
    (none for a heading)."""

    key: str
    zh: str
    en: str
    kind: str  # item | total | heading | account
    values: tuple[Decimal, ...]
    side: str = ""  # an account's normal side (trial balance rows)

    def label(self, locale: str) -> str:
        """The label in the reader's language."""
        return self.zh if locale.startswith("zh") else self.en


@dataclass(frozen=True)
class Statement:
    """A statement ready to show: its rows and the columns of their figures."""

    kind: StatementKind
    chart: str
    span: Span
    previous: Span
    department: str | None
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def figure(self, key: str, column: int = 0) -> Decimal:
        """A row's figure by key; ``KeyError`` if the statement has no such row."""
        for row in self.rows:
            if row.key == key and row.values:
                return row.values[column]
        raise KeyError(key)

    def out_of_balance(self) -> Decimal:
        """Σ debit-normal closings − Σ credit-normal closings of a trial balance: zero in
        balanced books."""
        return sum(
            (r.values[3] if r.side == "debit" else -r.values[3] for r in self.rows if r.side),
            ZERO,
        )

    def title(self, locale: str) -> str:
        """The statement's name in the reader's language."""
        zh, en = TITLES[self.kind]
        return zh if locale.startswith("zh") else en


@dataclass(frozen=True)
class _Figures:
    """One account's debit − credit sums: before the previous span, in it, and in this one."""

    account: Account
    before: Decimal
    previous_debits: Decimal
    previous_credits: Decimal
    debits: Decimal
    credits: Decimal

    @property
    def previous_movement(self) -> Decimal:
        return self.previous_debits - self.previous_credits

    @property
    def movement(self) -> Decimal:
        return self.debits - self.credits

    def raw(self, basis: str, previous: bool) -> Decimal:
        """Debit − credit for a line's basis, in this span or the previous one."""
        opening_previous = self.before
        opening = self.before + self.previous_movement
        if basis == "movement":
            return self.previous_movement if previous else self.movement
        if basis == "opening":
            return opening_previous if previous else opening
        return opening if previous else opening + self.movement


def statement(session: Session, kind: str, span: Span, department: str | None = None) -> Statement:
    """A statement of the books (``bs``, ``pl``, ``cf`` or ``tb``) over ``span``."""
    if kind not in KINDS:
        raise DomainError("There is no statement {kind}.", kind=kind)
    chart = books_chart(session)
    figures = _figures(session, span, department)
    if kind in ("pl", "cf"):  # the year's profit, not the year closed into equity
        figures = _without_closing(session, span, department, figures)
    if kind == "tb":
        return _trial_balance(chart, span, department, figures)
    rows = _lay_out(LAYOUTS[chart][kind], figures)
    columns = ("current", "previous")
    return Statement(
        cast(StatementKind, kind), chart, span, span.previous(), department, columns, rows
    )


def books_chart(session: Session) -> str:
    """The chart the books use; ``DomainError`` when none is set up."""
    chart = session.scalar(select(Account.chart).limit(1))
    if chart is None:
        raise DomainError("The books are not set up yet: choose a chart of accounts first.")
    return chart


def _figures(session: Session, span: Span, department: str | None) -> list[_Figures]:
    """Per account with a balance up to the span's end, its sums, by one ``GROUP BY``."""
    previous = span.previous()
    index = Balance.year * 12 + Balance.month - 1
    debit = type_coerce(Balance.debit, BigInteger())
    credit = type_coerce(Balance.credit, BigInteger())

    def total(condition: ColumnElement[bool], amount: ColumnElement[int]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)

    in_previous = index >= previous.first.index
    in_span = index >= span.first.index
    query = (
        select(
            Account,
            total(index < previous.first.index, debit - credit),
            total(in_previous & (index < span.first.index), debit),
            total(in_previous & (index < span.first.index), credit),
            total(in_span, debit),
            total(in_span, credit),
        )
        .join(Balance, Balance.account_id == Account.id)
        .where(index <= span.last.index)
        .group_by(Account.id)
        .order_by(Account.code)
    )
    if department is not None:
        query = query.where(Balance.department == department)
    return [
        _Figures(account, *(_from_minor(value) for value in sums))
        for account, *sums in session.execute(query)
    ]


def _without_closing(
    session: Session, span: Span, department: str | None, figures: list[_Figures]
) -> list[_Figures]:
    """The figures with the year-end closing entries' lines taken out (they are few: one
    query over their lines)."""
    previous = span.previous()
    starts = previous.first.first_day(), span.first.first_day()
    query = (
        select(Entry.entry_date, EntryLine.account_id, EntryLine.debit, EntryLine.credit)
        .join(Entry, Entry.id == EntryLine.entry_id)
        .where(Entry.source == CLOSING_SOURCE, Entry.entry_date <= span.last.last_day())
    )
    if department is not None:
        query = query.where(EntryLine.department == department)
    closing: dict[int, list[Decimal]] = {}
    for on, account_id, debit, credit in session.execute(query):
        sums = closing.setdefault(account_id, [ZERO] * 5)
        if on < starts[0]:
            sums[0] += debit - credit
        else:
            column = 1 if on < starts[1] else 3
            sums[column] += debit
            sums[column + 1] += credit
    if not closing:
        return figures
    return [_less(f, closing.get(f.account.id)) for f in figures]


def _less(figures: _Figures, closing: list[Decimal] | None) -> _Figures:
    if closing is None:
        return figures
    before, previous_debits, previous_credits, debits, credits = closing
    return _Figures(
        figures.account,
        figures.before - before,
        figures.previous_debits - previous_debits,
        figures.previous_credits - previous_credits,
        figures.debits - debits,
        figures.credits - credits,
    )


def _from_minor(minor_units: int) -> Decimal:
    """A sum of stored minor units (fen) as money."""
    return Decimal(int(minor_units)).scaleb(-DEFAULT_DIGITS)


def _lay_out(lines: Sequence[LineDef], figures: list[_Figures]) -> tuple[Row, ...]:
    values: dict[str, tuple[Decimal, Decimal]] = {}
    rows = []
    for line in lines:
        if line.kind == "heading":
            rows.append(Row(line.key, line.zh, line.en, "heading", ()))
            continue
        pair = _totalled(line, values) if line.kind == "total" else _summed(line, figures)
        values[line.key] = pair
        rows.append(Row(line.key, line.zh, line.en, line.kind, pair))
    return tuple(rows)


def _summed(line: LineDef, figures: Iterable[_Figures]) -> tuple[Decimal, Decimal]:
    chosen = [f for f in figures if matches(line, f.account.code, f.account.type)]
    current = sum((f.raw(line.basis, previous=False) for f in chosen), ZERO)
    previous = sum((f.raw(line.basis, previous=True) for f in chosen), ZERO)
    return ZERO + line.sign * current, ZERO + line.sign * previous  # ZERO +: no -0.00


def _totalled(line: LineDef, values: dict[str, tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    current = previous = ZERO
    for part in line.total_of:
        sign = -1 if part.startswith("-") else 1
        now, before = values[part.lstrip("-")]
        current += sign * now
        previous += sign * before
    return current, previous


def _on_side(account: Account, amount: Decimal) -> Decimal:
    """Debit − credit shown on the account's normal side."""
    return amount if account.side == "debit" else -amount


def _trial_balance(
    chart: str, span: Span, department: str | None, figures: list[_Figures]
) -> Statement:
    rows = []
    totals = [ZERO] * 4
    for f in figures:
        if not any((f.before, f.previous_debits, f.previous_credits, f.debits, f.credits)):
            continue
        opening = f.raw("opening", previous=False)
        values = (
            _on_side(f.account, opening),
            f.debits,
            f.credits,
            _on_side(f.account, opening + f.movement),
            f.previous_debits,
            f.previous_credits,
        )
        account = f.account
        rows.append(
            Row(account.code, account.name_zh, account.name_en, "account", values, account.side)
        )
        totals = [
            t + v
            for t, v in zip(
                totals, (f.debits, f.credits, f.previous_debits, f.previous_credits), strict=True
            )
        ]
    total = Row(
        "total",
        "合计",
        "Total",
        "total",
        (ZERO, totals[0], totals[1], ZERO, totals[2], totals[3]),
    )
    columns = ("opening", "debits", "credits", "closing", "previous_debits", "previous_credits")
    return Statement("tb", chart, span, span.previous(), department, columns, (*rows, total))


@dataclass(frozen=True)
class LedgerMonth:
    """One month of an account in the general ledger."""

    month: Month
    debits: Decimal
    credits: Decimal
    closing: Decimal


@dataclass(frozen=True)
class AccountLedger:
    """An account over a span: opening and closing balances on its normal side, the debits and
    credits, and either its months (general ledger) or its lines (account detail)."""

    code: str
    name_zh: str
    name_en: str
    side: str
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal
    months: tuple[LedgerMonth, ...] = ()
    lines: tuple[DetailLine, ...] = ()


@dataclass(frozen=True)
class DetailLine:
    """One posted line of an account, with the balance after it."""

    on: date
    number: str
    memo: str
    department: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


def general_ledger(
    session: Session, span: Span, department: str | None = None
) -> list[AccountLedger]:
    """总账: per account with a balance, its opening, each month's debits, credits and closing,
    and its closing, read from the balance summary (two queries, whatever the accounts)."""
    monthly = _monthly(session, span, department)
    ledgers = []
    for f in _figures(session, span, department):
        opening = _on_side(f.account, f.raw("opening", previous=False))
        balance, months = opening, []
        for month, debits, credits in monthly.get(f.account.id, []):
            balance += _on_side(f.account, debits - credits)
            months.append(LedgerMonth(month, debits, credits, balance))
        ledgers.append(
            AccountLedger(
                f.account.code,
                f.account.name_zh,
                f.account.name_en,
                f.account.side,
                opening,
                f.debits,
                f.credits,
                balance,
                months=tuple(months),
            )
        )
    return ledgers


def _monthly(
    session: Session, span: Span, department: str | None
) -> dict[int, list[tuple[Month, Decimal, Decimal]]]:
    """Per account id, its debits and credits of each month of the span, in month order."""
    index = Balance.year * 12 + Balance.month - 1
    query = (
        select(
            Balance.account_id,
            Balance.year,
            Balance.month,
            func.sum(type_coerce(Balance.debit, BigInteger())),
            func.sum(type_coerce(Balance.credit, BigInteger())),
        )
        .where(index >= span.first.index, index <= span.last.index)
        .group_by(Balance.account_id, Balance.year, Balance.month)
        .order_by(Balance.account_id, Balance.year, Balance.month)
    )
    if department is not None:
        query = query.where(Balance.department == department)
    found: dict[int, list[tuple[Month, Decimal, Decimal]]] = {}
    for account_id, year, month, debits, credits in session.execute(query):
        found.setdefault(account_id, []).append(
            (Month(year, month), _from_minor(debits), _from_minor(credits))
        )
    return found


def account_detail(
    session: Session, code: str, span: Span, department: str | None = None
) -> AccountLedger:
    """明细账: one account's lines in the span, in date and number order, with the running
    balance on its normal side (sub-accounts included: ``2221`` shows its children's lines)."""
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound("There is no account {account}.", account=code)
    figures = [f for f in _figures(session, span, department) if f.account.code.startswith(code)]
    opening = _on_side(account, sum((f.raw("opening", previous=False) for f in figures), ZERO))
    query = (
        select(Entry.entry_date, Entry.number, Entry.memo, EntryLine)
        .join(Entry, Entry.id == EntryLine.entry_id)
        .join(Account, Account.id == EntryLine.account_id)
        .where(
            Account.code.startswith(code),
            Entry.entry_date >= span.first.first_day(),
            Entry.entry_date <= span.last.last_day(),
        )
        .order_by(Entry.entry_date, Entry.number, EntryLine.position)
    )
    if department is not None:
        query = query.where(EntryLine.department == department)
    balance, lines = opening, []
    debits = credits = ZERO
    for on, number, memo, line in session.execute(query):
        balance += _on_side(account, line.debit - line.credit)
        debits, credits = debits + line.debit, credits + line.credit
        lines.append(
            DetailLine(
                on, number, line.memo or memo, line.department, line.debit, line.credit, balance
            )
        )
    return AccountLedger(
        account.code,
        account.name_zh,
        account.name_en,
        account.side,
        opening,
        debits,
        credits,
        balance,
        lines=tuple(lines),
    )


def money(value: Decimal) -> str:
    """An amount as the statements show it: thousands separated, two decimals."""
    return f"{value:,.2f}"

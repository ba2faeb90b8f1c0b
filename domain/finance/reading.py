"""Reading the books: the trial balance over a range of days and one account's balance, each by
one SQL ``GROUP BY`` over the entry lines.

Balances are on the account's normal side: debit − credit for a debit-normal account (assets,
cost, expenses), credit − debit for a credit-normal one (liabilities, equity, revenue, and the
contra accounts such as 累计折旧). So every account's closing = opening + debits − credits
(debit-normal) or opening + credits − debits (credit-normal). Reversed entries and their
mirrors are both counted: they cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, case, func, select, type_coerce
from sqlalchemy.orm import Session

from domain.finance.models import Account, Entry, EntryLine
from domain.shared.errors import NotFound
from domain.shared.money import Money

ZERO = Decimal(0)


@dataclass(frozen=True)
class TrialBalanceRow:
    """One account's movement over the range, balances on its normal side."""

    code: str
    name_zh: str
    name_en: str
    type: str
    side: str
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal


@dataclass(frozen=True)
class TrialBalance:
    """Every account with a line up to the last day, in code order, and the column totals.
    ``net`` is Σ debit-normal closings − Σ credit-normal closings: zero in balanced books."""

    rows: list[TrialBalanceRow]
    debits: Decimal
    credits: Decimal
    net: Decimal


def trial_balance(session: Session, first_day: date, last_day: date) -> TrialBalance:
    """The trial balance from ``first_day`` to ``last_day``, both included."""
    before = Entry.entry_date < first_day
    debit, credit = _minor_units()
    opening = _sum(case((before, debit - credit), else_=0))
    debits = _sum(case((before, 0), else_=debit))
    credits = _sum(case((before, 0), else_=credit))
    query = (
        select(Account, opening, debits, credits)
        .join(EntryLine, EntryLine.account_id == Account.id)
        .join(Entry, Entry.id == EntryLine.entry_id)
        .where(Entry.entry_date <= last_day)
        .group_by(Account.id)
        .order_by(Account.code)
    )
    rows = [_row(*row) for row in session.execute(query)]
    net = sum((_signed(r.side, r.closing) for r in rows), ZERO)
    total_debits = sum((r.debits for r in rows), ZERO)
    total_credits = sum((r.credits for r in rows), ZERO)
    return TrialBalance(rows, total_debits, total_credits, net)


def account_balance(session: Session, code: str, as_of: date) -> Decimal:
    """An account's balance at the end of ``as_of``, on its normal side."""
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound("There is no account {account}.", account=code)
    debit, credit = _minor_units()
    query = (
        select(_sum(debit - credit))
        .join(Entry, Entry.id == EntryLine.entry_id)
        .where(EntryLine.account_id == account.id, Entry.entry_date <= as_of)
    )
    return _signed(account.side, session.scalar(query) or ZERO)


def _minor_units() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """The debit and credit columns as the integers they are stored as, to add in SQL."""
    return (
        type_coerce(EntryLine.debit, BigInteger()),
        type_coerce(EntryLine.credit, BigInteger()),
    )


def _sum(minor_units: ColumnElement[int]) -> ColumnElement[Decimal]:
    """The sum of a column of minor units, read back as money (0 when there are no rows)."""
    return func.coalesce(func.sum(minor_units), 0, type_=Money())


def _signed(side: str, amount: Decimal) -> Decimal:
    """A debit − credit amount on ``side`` (and back: the sign flip is its own inverse)."""
    return amount if side == "debit" else -amount


def _row(account: Account, opening: Decimal, debits: Decimal, credits: Decimal) -> TrialBalanceRow:
    movement = debits - credits
    return TrialBalanceRow(
        code=account.code,
        name_zh=account.name_zh,
        name_en=account.name_en,
        type=account.type,
        side=account.side,
        opening=_signed(account.side, opening),
        debits=debits,
        credits=credits,
        closing=_signed(account.side, opening + movement),
    )

"""Budgets: how much a department may spend on an account (and its sub-accounts) in a month,
what it has spent, and the spending alerts its owner gets at 80 % and 100 %.

A budget is set per calendar month (a year's budget is twelve of them); setting one again
changes its amount or owner. Spent is the posted debits minus credits on the account and its
sub-accounts, on lines of the budget's department (the lines' ``department`` dimension, the
directory's department name), dated in that month; reversals and their originals both count,
so they cancel.

Alerts: each posting may cross a threshold; ``crossings`` raises a budget's ``alerted`` level
by compare-and-set (``UPDATE … WHERE alerted = old``), so each threshold is told once however
often the spending crosses back and forth and however many transactions see it at once.
Changing the amount re-arms the thresholds the spending no longer reaches under the new amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, func, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.directory.models import Department, Member
from domain.finance.budget_models import Budget
from domain.finance.models import Account, Entry, EntryLine
from domain.shared.errors import DomainError, NotFound
from domain.shared.money import Money
from domain.shared.quantity import is_exact

ZERO = Decimal(0)
THRESHOLDS = (80, 100)  # per cent of the budget; the owner is told once of each
MAX_ANCESTORS = 16  # accounts nest a few levels deep; a bound against a parent cycle


@dataclass(frozen=True, slots=True)
class BudgetRequest:
    """A month's budget to set: department name, account code, month, amount, owner."""

    department: str
    account: str
    year: int
    month: int
    amount: Decimal
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget beside its spending: spent, left (negative when over) and per cent used."""

    budget: Budget
    spent: Decimal

    @property
    def left(self) -> Decimal:
        """What may still be spent (below zero: how far over)."""
        return self.budget.amount - self.spent

    @property
    def used_percent(self) -> Decimal:
        """Spent as a whole per cent of the budget, rounded half up."""
        share = self.spent * 100 / self.budget.amount
        return share.quantize(Decimal(1), rounding=ROUND_HALF_UP)

    @property
    def level(self) -> int:
        """The highest threshold the spending reached (0 for none)."""
        return level_of(self.spent, self.budget.amount)


@dataclass(frozen=True, slots=True)
class Crossing:
    """A budget whose spending reached ``threshold`` just now: its owner is to be told."""

    status: BudgetStatus
    threshold: int


def level_of(spent: Decimal, amount: Decimal) -> int:
    """The highest of ``THRESHOLDS`` that ``spent`` reaches of ``amount`` (0 for none)."""
    reached = [t for t in THRESHOLDS if spent * 100 >= amount * t and spent > 0]
    return max(reached, default=0)


def set_budget(
    session: Session, request: BudgetRequest, actor_id: int | None, now: datetime
) -> Budget:
    """Set (or change) a month's budget; a new amount re-arms the alerts it no longer reaches."""
    _check(session, request)
    budget = _budget_for_update(session, request)
    if budget is None:
        budget = _insert(session, request, actor_id, now)
        if budget is not None:
            return budget
        budget = _budget_for_update(session, request)  # another transaction made it first
        assert budget is not None
    spent = spent_on(session, budget.department, budget.account_code, budget.year, budget.month)
    budget.alerted = min(budget.alerted, level_of(spent, request.amount))
    budget.amount = request.amount
    budget.owner_id = request.owner_id if request.owner_id is not None else budget.owner_id
    budget.updated_at, budget.updated_by = now, actor_id
    session.flush()
    return budget


def budget_statuses(
    session: Session, department: str | None, year: int, month: int
) -> list[BudgetStatus]:
    """The month's budgets (of one department, or all), each with its spending."""
    query = select(Budget).where(Budget.year == year, Budget.month == month)
    if department is not None:
        query = query.where(Budget.department == department)
    budgets = session.scalars(query.order_by(Budget.department, Budget.account_code))
    return [status_of(session, b) for b in budgets]


def status_of(session: Session, budget: Budget) -> BudgetStatus:
    """One budget with what its department spent on its account that month."""
    spent = spent_on(session, budget.department, budget.account_code, budget.year, budget.month)
    return BudgetStatus(budget, spent)


def budget_left(session: Session, department: str, account: str, on: date) -> Decimal | None:
    """What is left of the department's budget for ``account`` in the month of ``on``: the
    account's own budget, else its nearest parent's; None when there is none."""
    for code in ancestors(session, account):
        budget = _find(session, department, code, on.year, on.month)
        if budget is not None:
            return status_of(session, budget).left
    return None


def spent_on(session: Session, department: str, account: str, year: int, month: int) -> Decimal:
    """Debits minus credits on ``account`` and its sub-accounts for the department in a month."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    debit = type_coerce(EntryLine.debit, BigInteger())
    credit = type_coerce(EntryLine.credit, BigInteger())
    query = (
        select(func.coalesce(func.sum(debit - credit), 0, type_=Money()))
        .join(Entry, Entry.id == EntryLine.entry_id)
        .where(
            EntryLine.department == department,
            EntryLine.account_id.in_(subtree(session, account)),
            Entry.entry_date >= first,
            Entry.entry_date < after,
        )
    )
    return session.scalar(query) or ZERO


def crossings(session: Session, entry_id: int) -> list[Crossing]:
    """The thresholds an entry's posting took its budgets across, each claimed once: a budget's
    ``alerted`` rises by compare-and-set, so a concurrent or repeated call claims nothing more."""
    entry = session.get(Entry, entry_id)
    if entry is None:
        return []
    found = []
    for budget in _budgets_touched(session, entry):
        status = status_of(session, budget)
        if status.level > budget.alerted and _claim(session, budget, status.level):
            found.append(Crossing(status, status.level))
    return found


def ancestors(session: Session, code: str) -> list[str]:
    """The account's code and its parents' codes, nearest first (empty for no such account)."""
    return _chain(_parents(session), code)


def _parents(session: Session) -> dict[str, str | None]:
    """Every account's parent code, by code (the chart is small: one read)."""
    return {
        row.code: row.parent_code
        for row in session.execute(select(Account.code, Account.parent_code))
    }


def _chain(parents: dict[str, str | None], code: str) -> list[str]:
    chain: list[str] = []
    current: str | None = code if code in parents else None
    while current is not None and len(chain) < MAX_ANCESTORS:
        chain.append(current)
        current = parents.get(current)
    return chain


def subtree(session: Session, code: str) -> list[int]:
    """The ids of the account and every account below it."""
    rows = session.execute(select(Account.id, Account.code, Account.parent_code)).all()
    children: dict[str | None, list[tuple[int, str]]] = {}
    for row_id, row_code, parent in rows:
        children.setdefault(parent, []).append((row_id, row_code))
    ids = [row_id for row_id, row_code, _parent in rows if row_code == code]
    waiting = [code] if ids else []
    while waiting and len(ids) <= len(rows):
        for row_id, row_code in children.get(waiting.pop(), []):
            ids.append(row_id)
            waiting.append(row_code)
    return ids


def _budgets_touched(session: Session, entry: Entry) -> list[Budget]:
    """The budgets of the entry's month for the departments and accounts (or their parents)
    its lines post to."""
    lines = session.execute(
        select(EntryLine.department, Account.code)
        .join(Account, Account.id == EntryLine.account_id)
        .where(EntryLine.entry_id == entry.id, EntryLine.department != "")
    ).all()
    if not lines:
        return []  # no department on any line: no budget can be touched
    parents = _parents(session)
    keys = {(dep, code) for dep, account in lines for code in _chain(parents, account)}
    year, month = entry.entry_date.year, entry.entry_date.month
    touched = {}
    for department, code in sorted(keys):
        budget = _find(session, department, code, year, month)
        if budget is not None:
            touched[budget.id] = budget
    return list(touched.values())


def _claim(session: Session, budget: Budget, level: int) -> bool:
    """Raise the budget's alerted level from what was read to ``level``; False if another
    transaction raised it first (or a new amount re-armed it meanwhile: read again next time)."""
    result = session.execute(
        update(Budget)
        .where(Budget.id == budget.id, Budget.alerted == budget.alerted)
        .values(alerted=level)
        .execution_options(synchronize_session=False)
    )
    claimed = bool(getattr(result, "rowcount", 0) == 1)
    session.expire(budget)
    return claimed


def _find(session: Session, department: str, code: str, year: int, month: int) -> Budget | None:
    return session.scalar(
        select(Budget).where(
            Budget.department == department,
            Budget.account_code == code,
            Budget.year == year,
            Budget.month == month,
        )
    )


def _budget_for_update(session: Session, request: BudgetRequest) -> Budget | None:
    return session.scalar(
        select(Budget)
        .where(
            Budget.department == request.department,
            Budget.account_code == request.account,
            Budget.year == request.year,
            Budget.month == request.month,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _insert(
    session: Session, request: BudgetRequest, actor_id: int | None, now: datetime
) -> Budget | None:
    """A new budget row, or None when a concurrent transaction inserted the same key first."""
    budget = Budget(
        department=request.department,
        account_code=request.account,
        year=request.year,
        month=request.month,
        amount=request.amount,
        owner_id=request.owner_id,
        alerted=0,
        updated_at=now,
        updated_by=actor_id,
    )
    try:
        with session.begin_nested():
            session.add(budget)
            session.flush()
    except IntegrityError:
        if _budget_for_update(session, request) is None:
            raise  # not the unique key: a real fault
        return None
    return budget


def _check(session: Session, request: BudgetRequest) -> None:
    """Refuse a budget for an unknown department, account or owner, a month that is not one,
    or an amount that is not above zero to the cent."""
    if session.scalar(select(Department.id).where(Department.name == request.department)) is None:
        raise NotFound("There is no department {department}.", department=request.department)
    if session.scalar(select(Account.id).where(Account.code == request.account)) is None:
        raise NotFound("There is no account {account}.", account=request.account)
    if not 1 <= request.month <= 12 or not 2000 <= request.year <= 2999:
        raise DomainError("{year}-{month} is not a month.", year=request.year, month=request.month)
    if request.amount <= 0 or not is_exact(request.amount, 2):
        raise DomainError("A budget is an amount above 0, not {amount}.", amount=request.amount)
    if request.owner_id is not None:
        owner = session.get(Member, request.owner_id)
        if owner is None or not owner.active:
            raise NotFound("There is no such member to own the budget.")

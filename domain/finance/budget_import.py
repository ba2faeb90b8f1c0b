"""Budgets from a CSV file (``bizbot finance import budgets.csv``): one budget a row, with the
columns ``department, account, month, amount[, owner]`` (or 部门, 科目, 月份, 金额, 负责人). Every
row is checked first and every problem listed; one problem means nothing is written. Importing the
same file again changes nothing (a budget whose amount and owner are as in the file is left as
it is, its alerts untouched)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.models import Department, Member
from domain.directory.orgfile import Problem
from domain.finance.budget_models import Budget
from domain.finance.budgets import BudgetRequest, set_budget
from domain.finance.models import Account
from domain.shared.csvfile import ImportRefused, Row, read_csv
from domain.shared.money import parse_amount

COLUMNS = {
    "department": ("department", "部门"),
    "account": ("account", "科目"),
    "month": ("month", "月份", "period", "期间"),
    "amount": ("amount", "金额", "budget", "预算"),
    "owner": ("owner", "负责人"),
}
REQUIRED = ("department", "account", "month", "amount")
MONTH_COLUMNS = COLUMNS["month"]  # a CSV header with one of these is a budgets file
MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")


@dataclass(frozen=True, slots=True)
class BudgetFile:
    """The file's rows as budgets to set, and what is wrong with it (empty: it may be saved)."""

    budgets: list[tuple[int, BudgetRequest]]
    problems: list[Problem]


def read_budget_file(session: Session, data: bytes) -> BudgetFile:
    """Read and check every row; ``ImportRefused`` if the file cannot be read at all."""
    header, rows = read_csv(data)
    names = budget_columns(header)
    budgets, problems = [], []
    seen: dict[tuple[str, str, int, int], int] = {}
    for row in rows:
        request, found = _read_row(session, row, names)
        problems += found
        if request is None:
            continue
        key = (request.department, request.account, request.year, request.month)
        if key in seen:
            message = f"the same budget as line {seen[key]}"
            problems.append(Problem(row.line, "department", message))
            continue
        seen[key] = row.line
        budgets.append((row.line, request))
    return BudgetFile(budgets, problems)


def save_budget_file(session: Session, file: BudgetFile, now: datetime) -> Counter[str]:
    """Set every budget of a checked file; how many were created, changed and unchanged."""
    tally: Counter[str] = Counter()
    for _line, request in file.budgets:
        current = _current(session, request)
        if current is None:
            tally["created"] += 1
        elif current.amount == request.amount and request.owner_id in (None, current.owner_id):
            tally["unchanged"] += 1
            continue
        else:
            tally["changed"] += 1
        set_budget(session, request, None, now)
    return tally


def budget_columns(header: list[str]) -> dict[str, str]:
    """Each column's key by the name the file gives it; ``ImportRefused`` if one is missing."""
    found = {}
    for key, names in COLUMNS.items():
        name = next((h for h in header if h in names), None)
        if name is not None:
            found[key] = name
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise ImportRefused(f"the header needs the columns {', '.join(missing)}")
    return found


def _read_row(
    session: Session, row: Row, names: dict[str, str]
) -> tuple[BudgetRequest | None, list[Problem]]:
    cell = {key: row.cells.get(name, "") for key, name in names.items()}
    problems = [Problem(row.line, key, "is missing") for key in REQUIRED if not cell.get(key)]
    if problems:
        return None, problems
    named = cell["department"]
    if session.scalar(select(Department.name).where(Department.name == named)) is None:
        problems.append(Problem(row.line, "department", f"there is no department {named}"))
    if session.scalar(select(Account.id).where(Account.code == cell["account"])) is None:
        problems.append(Problem(row.line, "account", f"there is no account {cell['account']}"))
    month = MONTH.match(cell["month"])
    if month is None or not 1 <= int(month[2]) <= 12:
        problems.append(Problem(row.line, "month", f"{cell['month']} is not a month (2026-12)"))
    amount = _amount(cell["amount"])
    if amount is None:
        problems.append(Problem(row.line, "amount", f"{cell['amount']} is not an amount above 0"))
    known, owner = _owner(session, cell.get("owner", ""))
    if not known:
        problems.append(Problem(row.line, "owner", f"there is no member {cell['owner']}"))
    if problems or month is None or amount is None:
        return None, problems
    request = BudgetRequest(
        cell["department"], cell["account"], int(month[1]), int(month[2]), amount, owner
    )
    return request, []


def _amount(text: str) -> Decimal | None:
    try:
        amount = parse_amount(text)
    except ValueError:
        return None
    return amount if amount > 0 else None


def _owner(session: Session, text: str) -> tuple[bool, int | None]:
    """Whether the owner cell is usable (empty, or an active member's handle), and the id."""
    handle = text.removeprefix("@").strip()
    if not handle:
        return True, None
    found = session.scalar(select(Member.id).where(Member.handle == handle, Member.active))
    return found is not None, found


def _current(session: Session, request: BudgetRequest) -> Budget | None:
    return session.scalar(
        select(Budget).where(
            Budget.department == request.department,
            Budget.account_code == request.account,
            Budget.year == request.year,
            Budget.month == request.month,
        )
    )

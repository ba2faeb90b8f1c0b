"""``bizbot finance import FILE…``: accounts, journal entries and budgets from CSV files, in one
transaction.

Each file's header says what it holds: a ``code`` column (科目编码) accounts
(``domain.finance.account_import``), a ``month`` column (月份) budgets
(``domain.finance.budget_import``), anything else journal entries (``domain.finance.importer``).
They are applied in that order whatever the order given (the entries and budgets may name the
accounts the same import adds), optionally after installing a shipped chart, so one command
sets up the books. The first file with problems stops the import: its problems are listed with
their lines, and nothing of any file is written. Each kind is idempotent, so the same files
again change nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from domain.finance.account_import import import_accounts, is_account_file, read_accounts
from domain.finance.budget_import import (
    MONTH_COLUMNS,
    budget_columns,
    read_budget_file,
    save_budget_file,
)
from domain.finance.charts import install_chart
from domain.finance.importer import import_entries, read_entries
from domain.shared.csvfile import read_csv

FileKind = Literal["accounts", "entries", "budgets"]
ORDER: tuple[FileKind, ...] = ("accounts", "entries", "budgets")


@dataclass(frozen=True)
class FinanceFile:
    """A file to import: its name (to say where a problem is), what it holds, its bytes."""

    name: str
    kind: FileKind
    data: bytes


@dataclass
class Outcome:
    """What the import did per file, or the problems of the file that stopped it."""

    said: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stopped_at: str = ""


def finance_file(name: str, data: bytes) -> FinanceFile:
    """The file with its kind, read from its header; ``ImportRefused`` if it cannot be read or
    its header lacks a column its kind needs."""
    header, _rows = read_csv(data)
    if is_account_file(header):
        read_accounts(data)
        return FinanceFile(name, "accounts", data)
    if any(column in MONTH_COLUMNS for column in header):
        budget_columns(header)
        return FinanceFile(name, "budgets", data)
    read_entries(data)
    return FinanceFile(name, "entries", data)


def import_files(
    session: Session, files: list[FinanceFile], now: datetime, chart: str | None = None
) -> Outcome:
    """Install ``chart`` if given, then import the files, accounts first, in one savepoint:
    undone whole when a file has problems. ``DomainError`` if the chart cannot be installed
    (the books use another) or accounts are imported into books not set up."""
    outcome = Outcome()
    savepoint = session.begin_nested()
    if chart is not None:
        added = install_chart(session, chart)
        outcome.said.append(f"chart {chart}: {added} accounts added")
    for file in sorted(files, key=lambda f: ORDER.index(f.kind)):
        problems, said = _import(session, file, now)
        if problems:
            savepoint.rollback()
            return Outcome(problems=problems, stopped_at=file.name)
        outcome.said.append(f"{file.name}: {said}")
    savepoint.commit()
    return outcome


def _import(session: Session, file: FinanceFile, now: datetime) -> tuple[list[str], str]:
    if file.kind == "accounts":
        problems, added = import_accounts(session, read_accounts(file.data))
        said = f"{added.added} accounts added, {added.unchanged} already there"
    elif file.kind == "entries":
        problems, tally = import_entries(session, read_entries(file.data), now)
        said = f"{tally.posted} entries posted, {tally.unchanged} already there"
    else:
        budgets = read_budget_file(session, file.data)
        problems = budgets.problems
        counts = save_budget_file(session, budgets, now) if not problems else {}
        listed = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        said = f"budgets: {listed or 'the file is empty'}"
    return [str(problem) for problem in problems], said

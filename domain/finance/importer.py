"""``bizbot finance import``: journal entries, and opening balances as one of them, from CSV.

One row a line: ``entry,date,journal,account,debit,credit,department,project,memo``. Rows with
the same ``entry`` (the sender's reference, such as ``OPENING`` or ``V2026-11-001``) are one
entry; its date and journal come from its first row (``journal`` may be left empty: ``GJ``).
Opening balances are an entry like any other, dated the day before the books start, each
account's balance on its side, balanced against nothing else (Σ debit = Σ credit holds for an
honest trial balance).

Every row is checked, and every entry is tried through ``post_entry`` (so an import follows the
same rules as a posting: balanced, leaf accounts, open periods …) inside a savepoint; one
problem anywhere and the savepoint is undone: nothing is written, and each problem is listed
with its line. An entry is posted once per reference (``source`` ``finance.import``):
importing the same file again changes nothing; a reference imported before with other lines is
a problem, not a second entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.orgfile import Problem
from domain.finance.models import Account, Entry
from domain.finance.posting import (
    EntryRefused,
    EntryRequest,
    LineRequest,
    entry_lines,
    post_entry,
)
from domain.shared.csvfile import ImportRefused, Row, read_csv

SOURCE = "finance.import"
COLUMNS = ("entry", "date", "journal", "account", "debit", "credit")
OPTIONAL = ("department", "project", "memo")
ZERO = Decimal(0)


@dataclass
class Draft:
    """An entry as the file gives it: its reference and its rows."""

    reference: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Tally:
    """What an import did: entries posted, and entries already there (unchanged)."""

    posted: int = 0
    unchanged: int = 0


def read_entries(data: bytes) -> list[Draft]:
    """The file's entries in file order; ``ImportRefused`` if the header lacks a column."""
    header, rows = read_csv(data)
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ImportRefused(f"the header lacks the column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if unknown:
        raise ImportRefused(f"the header has unknown column(s) {', '.join(unknown)}")
    drafts: dict[str, Draft] = {}
    for row in rows:
        reference = row.cells.get("entry", "")
        drafts.setdefault(reference, Draft(reference)).rows.append(row)
    return list(drafts.values())


def import_entries(
    session: Session, drafts: list[Draft], now: datetime
) -> tuple[list[Problem], Tally]:
    """Post the drafts in one savepoint; with any problem, undo it all and list them."""
    tally = Tally()
    problems: list[Problem] = []
    savepoint = session.begin_nested()
    for draft in drafts:
        problems += _import_one(session, draft, now, tally)
    if problems:
        savepoint.rollback()
        return problems, Tally()
    savepoint.commit()
    return [], tally


def _import_one(session: Session, draft: Draft, now: datetime, tally: Tally) -> list[Problem]:
    request, problems = _request(draft)
    if request is None:
        return problems
    earlier = session.scalar(
        select(Entry).where(Entry.source == SOURCE, Entry.source_id == draft.reference)
    )
    if earlier is not None:
        if _same_lines(session, earlier, request):
            tally.unchanged += 1
            return []
        first = draft.rows[0]
        return [
            _problem(
                first,
                "entry",
                "imported before as {number}, with other lines",
                number=earlier.number,
            )
        ]
    try:
        with session.begin_nested():
            post_entry(session, request, now)
    except EntryRefused as refused:
        return [_where(draft, p.message, p.params) for p in refused.problems]
    tally.posted += 1
    return []


def _request(draft: Draft) -> tuple[EntryRequest | None, list[Problem]]:
    first = draft.rows[0]
    problems = []
    if not draft.reference:
        problems.append(_problem(first, "entry", "every row needs the reference of its entry"))
    try:
        on = date.fromisoformat(first.cells.get("date", ""))
    except ValueError:
        problems.append(_problem(first, "date", "not a date (YYYY-MM-DD)"))
        on = date.min
    lines = []
    for row in draft.rows:
        other_date = row.cells.get("date", "") not in ("", first.cells.get("date"))
        if other_date:
            problems.append(_problem(row, "date", "an entry's rows share one date"))
        amounts = [_amount(row, column, problems) for column in ("debit", "credit")]
        if not row.cells.get("account"):
            problems.append(_problem(row, "account", "missing"))
        lines.append(
            LineRequest(
                account=row.cells.get("account", ""),
                debit=amounts[0],
                credit=amounts[1],
                department=row.cells.get("department", ""),
                project=row.cells.get("project", ""),
                memo=row.cells.get("memo", "")[:200],
            )
        )
    if problems:
        return None, problems
    request = EntryRequest(
        journal=first.cells.get("journal") or "GJ",
        on=on,
        lines=lines,
        memo=first.cells.get("memo", "")[:500],
        source=SOURCE,
        source_id=draft.reference[:64],
    )
    return request, []


def _amount(row: Row, column: str, problems: list[Problem]) -> Decimal:
    text = row.cells.get(column, "").replace(",", "")
    if not text:
        return ZERO
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        problems.append(_problem(row, column, "not an amount: {text}", text=text))
        return ZERO
    return value


def _same_lines(session: Session, entry: Entry, request: EntryRequest) -> bool:
    codes: dict[int, str] = {
        row[0]: row[1] for row in session.execute(select(Account.id, Account.code))
    }
    stored = [
        (codes[line.account_id], line.debit, line.credit) for line in entry_lines(session, entry.id)
    ]
    wanted = [(line.account, line.debit, line.credit) for line in request.lines]
    return stored == wanted and entry.entry_date == request.on


def _where(draft: Draft, message: str, params: dict[str, object]) -> Problem:
    """A posting problem at its row: ``line {line}`` in a problem is the entry's line number."""
    number = params.get("line")
    rows = draft.rows
    row = rows[number - 1] if isinstance(number, int) and 0 < number <= len(rows) else rows[0]
    text = message.format(**params)
    return Problem(row.line, f"entry {draft.reference}", text)


def _problem(row: Row, column: str, message: str, **params: object) -> Problem:
    return Problem(row.line, column, message.format(**params))

"""Posting journal entries and reversing them.

An entry is refused whole, with every problem listed, unless: its journal exists; it has at
least two lines, each a debit or a credit (one, not both, above zero, to the cent); every
account exists, is active and has no sub-accounts; Σ debit = Σ credit; and its period is open.
The same ``source`` and ``source_id`` post once: a second call gets the first entry back.
Nothing here edits or deletes a posted entry; ``reverse_entry`` posts its mirror instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.finance.balances import add_to_balances
from domain.finance.models import (
    POSTED,
    RATE_DIGITS,
    REVERSED,
    Account,
    Entry,
    EntryLine,
    Journal,
    Period,
)
from domain.finance.numbering import next_entry_number
from domain.finance.periods import period_for_posting
from domain.shared.domain_events import record_event
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.quantity import is_exact

ZERO = Decimal(0)
AMOUNT_DIGITS = 2  # the books' base currency, to the cent (fen)
REVERSAL_SOURCE = "finance.reversal"
ENTRY_POSTED = "finance.entry_posted"  # recorded with each new entry: budgets' alerts react
ENTRY_SOURCE = "finance.entry"


@dataclass(frozen=True)
class LineRequest:
    """One line to post: an account code and a debit or a credit, with its dimensions."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    department: str = ""
    project: str = ""
    memo: str = ""


@dataclass(frozen=True)
class EntryRequest:
    """An entry to post. Amounts are in the books' base currency; ``currency`` and ``rate``
    record the document's currency and the rate it was converted at. ``source`` and
    ``source_id`` name the business event it records (posted once)."""

    journal: str
    on: date
    lines: Sequence[LineRequest]
    memo: str = ""
    source: str | None = None
    source_id: str | None = None
    currency: str = "CNY"
    rate: Decimal = Decimal(1)


@dataclass(frozen=True)
class EntryProblem:
    """One reason an entry is refused: an English msgid and what fills it."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The problem in English."""
        return self.message.format(**self.params)


class EntryRefused(DomainError):
    """An entry was not posted; ``problems`` lists every reason. Nothing was written."""

    def __init__(self, problems: list[EntryProblem]) -> None:
        super().__init__(
            "The entry cannot be posted: {problems}",
            problems="; ".join(p.text() for p in problems),
        )
        self.problems = problems


@dataclass(frozen=True)
class Posted:
    """The entry a request became, and whether this call posted it (False: posted before)."""

    entry: Entry
    new: bool


def post_entry(session: Session, request: EntryRequest, now: datetime) -> Posted:
    """Post a balanced entry into an open period, numbered next in its journal and year."""
    return _post(session, request, now, reversal_of=None)


def reverse_entry(
    session: Session, entry_id: int, on: date, now: datetime, memo: str = ""
) -> Posted:
    """Post the mirror of an entry (debits and credits swapped) dated ``on`` and mark the
    original reversed. Reversing it again gets the same mirror back."""
    entry = session.get(Entry, entry_id, with_for_update=True)
    if entry is None:
        raise NotFound("There is no entry {entry}.", entry=entry_id)
    earlier = _earlier(session, REVERSAL_SOURCE, str(entry.id))
    if earlier is not None:
        return Posted(earlier, new=False)
    if entry.reversal_of is not None:
        raise Conflict("{number} is a reversal; post the entry again instead.", number=entry.number)
    request = EntryRequest(
        journal=session.get_one(Journal, entry.journal_id).code,
        on=on,
        lines=[_mirror(line, session) for line in entry_lines(session, entry.id)],
        memo=memo or f"Reversal of {entry.number}",
        source=REVERSAL_SOURCE,
        source_id=str(entry.id),
        currency=entry.currency,
        rate=entry.rate,
    )
    posted = _post(session, request, now, reversal_of=entry.id)
    entry.status = REVERSED
    session.flush()
    return posted


def entry_lines(session: Session, entry_id: int) -> list[EntryLine]:
    """The lines of an entry, in order."""
    query = select(EntryLine).where(EntryLine.entry_id == entry_id).order_by(EntryLine.position)
    return list(session.scalars(query))


def _post(
    session: Session, request: EntryRequest, now: datetime, reversal_of: int | None
) -> Posted:
    earlier = _earlier(session, request.source, request.source_id)
    if earlier is not None:
        return Posted(earlier, new=False)
    journal = session.scalar(select(Journal).where(Journal.code == request.journal))
    accounts = _accounts(session, [line.account for line in request.lines])
    period = period_for_posting(session, request.on)
    problems = _problems(request, journal, accounts, period)
    if problems or journal is None:
        raise EntryRefused(problems)
    try:
        with session.begin_nested():  # a duplicate source racing this one: only this is undone
            entry = _write(session, request, journal, period, accounts, now, reversal_of)
    except IntegrityError:
        earlier = _earlier(session, request.source, request.source_id)
        if earlier is None:
            raise
        return Posted(earlier, new=False)
    record_event(session, ENTRY_POSTED, ENTRY_SOURCE, str(entry.id), {"entry_id": entry.id}, now)
    return Posted(entry, new=True)


def _earlier(session: Session, source: str | None, source_id: str | None) -> Entry | None:
    if source is None or source_id is None:
        return None
    query = select(Entry).where(Entry.source == source, Entry.source_id == source_id)
    return session.scalar(query)


def _accounts(session: Session, codes: list[str]) -> dict[str, tuple[Account, bool]]:
    """The accounts by code, each with whether it has sub-accounts."""
    found = session.scalars(select(Account).where(Account.code.in_(codes)))
    parents = set(
        session.scalars(select(Account.parent_code).where(Account.parent_code.in_(codes)))
    )
    return {a.code: (a, a.code in parents) for a in found}


def _problems(
    request: EntryRequest,
    journal: Journal | None,
    accounts: dict[str, tuple[Account, bool]],
    period: Period,
) -> list[EntryProblem]:
    problems = _header_problems(request, journal, period)
    for number, line in enumerate(request.lines, start=1):
        problems += _line_problems(number, line, accounts)
    debits = sum((line.debit for line in request.lines), ZERO)
    credits = sum((line.credit for line in request.lines), ZERO)
    if debits != credits:
        problems.append(
            EntryProblem(
                "debits {debits} and credits {credits} differ",
                {"debits": debits, "credits": credits},
            )
        )
    return problems


def _header_problems(
    request: EntryRequest, journal: Journal | None, period: Period
) -> list[EntryProblem]:
    problems = []
    if journal is None:
        problems.append(EntryProblem("there is no journal {journal}", {"journal": request.journal}))
    if period.closed:
        problems.append(
            EntryProblem(
                "the period {period} is closed", {"period": f"{period.year}-{period.month:02d}"}
            )
        )
    if len(request.lines) < 2:
        problems.append(EntryProblem("an entry needs at least two lines"))
    if (request.source is None) != (request.source_id is None):
        problems.append(EntryProblem("a source needs its id, and an id its source"))
    if not (
        len(request.currency) == 3 and request.currency.isascii() and request.currency.isupper()
    ):
        problems.append(
            EntryProblem("{currency} is not a currency", {"currency": request.currency})
        )
    if not is_exact(request.rate, RATE_DIGITS) or request.rate <= 0:
        problems.append(EntryProblem("{rate} is not an exchange rate", {"rate": request.rate}))
    return problems


def _line_problems(
    number: int, line: LineRequest, accounts: dict[str, tuple[Account, bool]]
) -> list[EntryProblem]:
    where = {"line": number, "account": line.account}
    problems = [
        EntryProblem("line {line}: {amount} is not an amount", where | {"amount": amount})
        for amount in (line.debit, line.credit)
        if not is_exact(amount, AMOUNT_DIGITS) or amount < 0
    ]
    if not problems and (line.debit > 0) == (line.credit > 0):
        problems.append(EntryProblem("line {line} needs a debit or a credit, not both", where))
    account, has_children = accounts.get(line.account, (None, False))
    if account is None:
        problems.append(EntryProblem("line {line}: there is no account {account}", where))
    elif not account.active:
        problems.append(EntryProblem("line {line}: account {account} is inactive", where))
    elif has_children:
        problems.append(
            EntryProblem(
                "line {line}: account {account} has sub-accounts; post to one of them", where
            )
        )
    return problems


def _write(
    session: Session,
    request: EntryRequest,
    journal: Journal,
    period: Period,
    accounts: dict[str, tuple[Account, bool]],
    now: datetime,
    reversal_of: int | None,
) -> Entry:
    entry = Entry(
        journal_id=journal.id,
        number=next_entry_number(session, journal.code, request.on.year),
        entry_date=request.on,
        period_id=period.id,
        memo=request.memo,
        source=request.source,
        source_id=request.source_id,
        currency=request.currency,
        rate=request.rate,
        status=POSTED,
        reversal_of=reversal_of,
        posted_at=now,
    )
    session.add(entry)
    session.flush()
    lines = [
        _line(entry.id, position, line, accounts[line.account][0])
        for position, line in enumerate(request.lines, start=1)
    ]
    session.add_all(lines)
    session.flush()
    add_to_balances(session, period.year, period.month, lines)
    return entry


def _line(entry_id: int, position: int, line: LineRequest, account: Account) -> EntryLine:
    return EntryLine(
        entry_id=entry_id,
        position=position,
        account_id=account.id,
        debit=line.debit,
        credit=line.credit,
        department=line.department,
        project=line.project,
        memo=line.memo,
    )


def _mirror(line: EntryLine, session: Session) -> LineRequest:
    return LineRequest(
        account=session.get_one(Account, line.account_id).code,
        debit=line.credit,
        credit=line.debit,
        department=line.department,
        project=line.project,
        memo=line.memo,
    )

"""The balance summary: per account, month and department, the debits and credits posted.

``post_entry`` and ``reverse_entry`` add each entry's lines here in the transaction that writes
them (an upsert that adds to the row), so the summary never drifts from the lines it sums
(Odoo's quants and ERPNext's bins did, under concurrency: erp-finance.md). The keys are added in
one sorted order, so two postings touching the same rows lock them in the same order and cannot
deadlock each other. ``rebuild_balances`` makes the whole table again from the lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.finance.models import Balance, Entry, EntryLine, Period

ZERO = Decimal(0)
Key = tuple[int, int, int, str]  # account id, year, month, department


def add_to_balances(session: Session, year: int, month: int, lines: Iterable[EntryLine]) -> None:
    """Add an entry's lines (already flushed) to the summary of their month: one upsert of
    a row per account and department, in key order."""
    sums: dict[Key, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        amounts = sums[(line.account_id, year, month, line.department)]
        amounts[0] += line.debit
        amounts[1] += line.credit
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "account_id": account_id,
            "year": year_,
            "month": month_,
            "department": department,
            "debit": sums[(account_id, year_, month_, department)][0],
            "credit": sums[(account_id, year_, month_, department)][1],
        }
        for account_id, year_, month_, department in sorted(sums)
    ]
    statement = insert_(Balance).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["account_id", "year", "month", "department"],
            set_={
                "debit": Balance.debit + statement.excluded.debit,
                "credit": Balance.credit + statement.excluded.credit,
            },
        )
    )


def rebuild_balances(session: Session) -> None:
    """Make the summary again from every line (a repair; and how bulk loads fill it)."""
    session.execute(delete(Balance))
    query = (
        select(
            EntryLine.account_id,
            Period.year,
            Period.month,
            EntryLine.department,
            func.sum(EntryLine.debit),
            func.sum(EntryLine.credit),
        )
        .join(Entry, Entry.id == EntryLine.entry_id)
        .join(Period, Period.id == Entry.period_id)
        .group_by(EntryLine.account_id, Period.year, Period.month, EntryLine.department)
    )
    columns = ["account_id", "year", "month", "department", "debit", "credit"]
    session.execute(insert(Balance).from_select(columns, query))

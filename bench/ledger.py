"""The ledger at scale: the balance sheet and the income statement over 1,000,000 journal lines,
read from the balance summary, against the plain ``GROUP BY`` over every line measured in the
same run.

``python -m bench.ledger [--db sqlite|postgresql] [--lines N] [--repeat R]``

1. A fresh database (SQLite in a temporary directory, or PostgreSQL made on BIZBOT_TEST_PG_URL
   and dropped afterwards), migrated by ``bot.migrate.upgrade``; the prc_small chart installed.
2. ``--lines`` lines (four an entry) over 24 months (2025-01 to 2026-12) and five departments,
   generated with a fixed seed (sales on credit with VAT and their cost, purchases, receipts,
   payments and expenses), written **in bulk** with Core ``INSERT``s of many rows (not the
   domain's ``post_entry`` one by one). The summary is then made by ``rebuild_balances`` (one
   ``INSERT … SELECT … GROUP BY``), and checked equal to the lines' sums.
3. Measured, best of ``--repeat``, each in its own transaction: ``statement(bs)`` and
   ``statement(pl)`` for 2026-12 (previous month beside), the way ``/report`` reads them.
4. The baseline, in the same run: ``reading.trial_balance`` over the same range, one
   ``GROUP BY`` over every line joined to its entry (what the statements cost without the
   summary). Its closing balances must equal the summary's (checked).

Prints one markdown table and writes the JSON to bench/results/. Loopback/local only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from bot import migrate
from domain.finance.balances import rebuild_balances
from domain.finance.charts import install_chart
from domain.finance.models import Account, Balance, Entry, EntryLine, Journal, Period
from domain.finance.reading import trial_balance
from domain.finance.statements import Month, Span, statement
from domain.shared.db import Database, open_database
from tests.support import create_pg_database, drop_pg_database

RESULTS = Path(__file__).parent / "results"
T = TypeVar("T")
SEED = 15
FIRST = Month(2025, 1)
MONTHS = 24
DEPARTMENTS = ("", "sales", "admin", "plant", "east")
CHUNK = 20_000
NOW = datetime(2027, 1, 4, tzinfo=UTC)
# (debit, debit, credit, credit) accounts of the four-line entries the bench posts.
SHAPES = (
    ("1122", "5401", "5001", "1405"),  # a sale on credit and its cost (VAT below)
    ("1405", "22210101", "2202", "1002"),  # a purchase, part paid
    ("1002", "5602", "1122", "1001"),  # a receipt and petty expenses
    ("2202", "5601", "1002", "2211"),  # a payment and selling costs accrued
)


def _entries(lines: int) -> Iterator[tuple[int, date, list[tuple[str, int, int, str]]]]:
    """Seeded entries of four balanced lines in minor units: (id, day, lines)."""
    rng = random.Random(SEED)
    for entry_id in range(1, lines // 4 + 1):
        month = FIRST.shift(rng.randrange(MONTHS))
        day = date(month.year, month.month, rng.randint(1, 28))
        first, second = rng.randint(100, 10_000_000), rng.randint(100, 1_000_000)
        debit_a, debit_b, credit_a, credit_b = rng.choice(SHAPES)
        department = rng.choice(DEPARTMENTS)
        yield (
            entry_id,
            day,
            [
                (debit_a, first, 0, department),
                (debit_b, second, 0, department),
                (credit_a, 0, first, department),
                (credit_b, 0, second, ""),
            ],
        )


async def seed(db: Database, lines: int) -> dict[str, float]:
    """Install the chart, then write the entries and lines in bulk; returns the timings."""
    started = time.perf_counter()
    journal, accounts, periods = await db.run(_chart)
    entry_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for entry_id, day, entry_lines in _entries(lines):
        entry_rows.append(_entry_row(entry_id, day, journal, periods[Month.of(day)]))
        for position, (code, debit, credit, department) in enumerate(entry_lines, start=1):
            line_rows.append(
                {
                    "entry_id": entry_id,
                    "position": position,
                    "account_id": accounts[code],
                    "debit": Decimal(debit).scaleb(-2),
                    "credit": Decimal(credit).scaleb(-2),
                    "department": department,
                    "project": "",
                    "memo": "",
                }
            )
        if len(line_rows) >= CHUNK:
            await db.run(_writing(entry_rows, line_rows))
            entry_rows, line_rows = [], []
    await db.run(_writing(entry_rows, line_rows))
    loaded = time.perf_counter()
    await db.run(rebuild_balances)
    summarised = time.perf_counter()
    return {"load_s": loaded - started, "summary_s": summarised - loaded}


def _chart(session: Session) -> tuple[int, dict[str, int], dict[Month, int]]:
    """Install the chart and open the months; the ids the rows need."""
    install_chart(session, "prc_small")
    session.flush()
    accounts = {a.code: a.id for a in session.scalars(select(Account))}
    journal = session.scalars(select(Journal).where(Journal.code == "GJ")).one().id
    periods = {}
    for offset in range(MONTHS):
        month = FIRST.shift(offset)
        period = Period(year=month.year, month=month.month, closed=False)
        session.add(period)
        session.flush()
        periods[month] = period.id
    return journal, accounts, periods


def _entry_row(entry_id: int, day: date, journal: int, period: int) -> dict[str, Any]:
    return {
        "id": entry_id,
        "journal_id": journal,
        "number": f"GJ{day.year}-{entry_id:07d}",
        "entry_date": day,
        "period_id": period,
        "memo": "",
        "source": None,
        "source_id": None,
        "currency": "CNY",
        "rate": Decimal(1),
        "status": "posted",
        "reversal_of": None,
        "posted_at": NOW,
    }


def _writing(
    entries: list[dict[str, Any]], lines: list[dict[str, Any]]
) -> Callable[[Session], None]:
    """A transaction writing a chunk of entries and their lines with two bulk INSERTs."""

    def write(session: Session) -> None:
        if entries:
            session.execute(insert(Entry), entries)
        if lines:
            session.execute(insert(EntryLine), lines)

    return write


def check_summary(session: Session) -> int:
    """The summary's totals per account equal the lines' (a mismatch stops the run)."""
    kept = dict(
        session.execute(
            select(Balance.account_id, func.sum(Balance.debit - Balance.credit)).group_by(
                Balance.account_id
            )
        ).all()
    )
    summed = dict(
        session.execute(
            select(EntryLine.account_id, func.sum(EntryLine.debit - EntryLine.credit)).group_by(
                EntryLine.account_id
            )
        ).all()
    )
    count = session.scalar(select(func.count()).select_from(EntryLine)) or 0
    if kept != summed:
        raise SystemExit("the balance summary differs from the lines")
    return count


async def _timed(db: Database, work: Callable[[Session], T], repeat: int) -> tuple[float, T]:
    """Best wall time of ``repeat`` runs, each its own transaction, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await db.run(work)
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


async def measure(db: Database, repeat: int) -> dict[str, Any]:
    """The two statements from the summary, and the plain GROUP BY, in the same run."""
    span = Span.month(FIRST.shift(MONTHS - 1))

    def statements(session: Session) -> tuple[Decimal, Decimal, Decimal]:
        bs = statement(session, "bs", span)
        pl = statement(session, "pl", span)
        return (
            bs.figure("total_assets"),
            bs.figure("total_liabilities_and_equity"),
            pl.figure("net_profit"),
        )

    def tb_closings(session: Session) -> dict[str, Decimal]:
        tb = statement(session, "tb", span)
        return {row.key: row.values[3] for row in tb.rows if row.kind == "account"}

    statements_s, (assets, claims, profit) = await _timed(db, statements, repeat)
    first, last = span.first.first_day(), span.last.last_day()
    baseline_s, plain = await _timed(db, lambda s: trial_balance(s, first, last), repeat)
    closings = await db.run(tb_closings)
    same = closings == {row.code: row.closing for row in plain.rows}
    if not same or assets != claims:
        raise SystemExit("the statements disagree with the plain GROUP BY or do not balance")
    return {
        "repeat": repeat,
        "statements_s": round(statements_s, 4),
        "group_by_s": round(baseline_s, 4),
        "ratio": round(baseline_s / statements_s, 1),
        "total_assets": str(assets),
        "net_profit_month": str(profit),
        "same_as_group_by": same,
    }


async def run(db_kind: str, lines: int, repeat: int) -> dict[str, Any]:
    """Make a database, seed it, measure, drop it; every figure in one dict."""
    with tempfile.TemporaryDirectory(prefix="bizbot-bench-ledger-") as workdir:
        url = f"sqlite:///{workdir}/bench.db" if db_kind == "sqlite" else await create_pg_database()
        try:
            await migrate.upgrade(url)
            db = open_database(url)
            try:
                seeded = await seed(db, lines)
                counted = await db.run(check_summary)
                if db_kind == "postgresql":
                    await db.run(lambda s: s.execute(text("ANALYZE")))
                summary_rows = await db.run(_count)
                figures = await measure(db, repeat)
            finally:
                await db.dispose()
        finally:
            if db_kind == "postgresql":
                await drop_pg_database(url)
    return {
        "db": db_kind,
        "lines": counted,
        "summary_rows": summary_rows,
        "load_s": round(seeded["load_s"], 1),
        "summary_s": round(seeded["summary_s"], 1),
        **figures,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
    }


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Balance)) or 0


def table(result: dict[str, Any]) -> str:
    """One markdown table with every figure."""
    rows = [
        ("database", result["db"]),
        ("journal lines / summary rows", f"{result['lines']:,} / {result['summary_rows']:,}"),
        (
            "bulk load (Core inserts) / summary rebuilt",
            f"{result['load_s']} / {result['summary_s']} s",
        ),
        (
            f"balance sheet + income statement, best of {result['repeat']}",
            f"{result['statements_s']} s",
        ),
        ("baseline: plain GROUP BY over every line", f"{result['group_by_s']} s"),
        ("GROUP BY / statements", f"{result['ratio']}×"),
        (
            "same closings as the GROUP BY; sheet balances (checked)",
            "yes" if result["same_as_group_by"] else "NO",
        ),
    ]
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(run(args.db, args.lines, args.repeat))
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"ledger-{args.db}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\n{out}")


if __name__ == "__main__":
    main()

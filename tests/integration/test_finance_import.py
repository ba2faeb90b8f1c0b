"""``bizbot finance import`` (SQLite and PostgreSQL): opening balances and journal entries from
CSV are posted as entries; the same file again changes nothing; a file with problems writes
nothing and lists each problem with its line; a header without the needed columns is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.finance.charts import install_chart
from domain.finance.models import Entry
from domain.finance.periods import close_period
from domain.finance.statements import Month, Span, statement
from domain.shared.db import open_database
from tests.integration.erp_rig import NOW
from tests.processes import bot_env, run_cli

T = TypeVar("T")

GOOD = """entry,date,journal,account,debit,credit,department,memo
OPENING,2026-10-31,GJ,1002,"500,000.00",,,opening balances
OPENING,2026-10-31,GJ,1405,100000,,,
OPENING,2026-10-31,GJ,3001,,600000,,
V-001,2026-11-10,SJ,1122,90400,,sales,sale to Acme
V-001,2026-11-10,SJ,5001,,80000,sales,
V-001,2026-11-10,SJ,22210102,,10400,sales,
V-002,2026-11-10,,5401,50000,,sales,cost of the sale
V-002,2026-11-10,,1405,,50000,sales,
"""
BAD = """entry,date,journal,account,debit,credit
B-1,2026-11-01,GJ,1002,100,
B-1,2026-11-01,GJ,9999,,100
B-2,2026-11-31,GJ,1002,100,
B-2,2026-11-31,GJ,3001,,100
B-3,2026-11-02,GJ,1002,abc,
B-3,2026-11-02,GJ,3001,,100
B-4,2026-11-02,GJ,1002,100,
B-4,2026-11-02,GJ,3001,,90
B-5,2026-09-15,GJ,1002,100,
B-5,2026-09-15,GJ,3001,,100
"""


async def books(url: str) -> None:
    database = open_database(url)

    def setting_up(session: Session) -> None:
        install_chart(session, "prc_small")
        close_period(session, 2026, 9, None, NOW)

    try:
        await database.run(setting_up)
    finally:
        await database.dispose()


async def read(url: str, work: Callable[[Session], T]) -> T:
    database = open_database(url)
    try:
        return await database.run(work)
    finally:
        await database.dispose()


def entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Entry)) or 0


async def test_entries_imported_once(db_url: str, tmp_path: Path) -> None:
    await books(db_url)
    env = bot_env(db_url)
    good = tmp_path / "entries.csv"
    good.write_text(GOOD, encoding="utf-8")
    done = run_cli("finance", "import", good, env=env)
    assert done.returncode == 0, done.stderr
    assert "3 entries posted, 0 already there" in done.stdout
    bs = await read(db_url, lambda s: statement(s, "bs", Span.month(Month(2026, 11))))
    assert bs.figure("cash") == 500000 and bs.figure("inventories") == 50000
    assert bs.figure("retained_earnings") == 30000
    assert bs.figure("total_assets") == bs.figure("total_liabilities_and_equity") == 640400
    again = run_cli("finance", "import", good, env=env)
    assert again.returncode == 0 and "0 entries posted, 3 already there" in again.stdout
    changed = tmp_path / "changed.csv"
    changed.write_text(GOOD.replace("90400", "90401").replace(",10400,", ",10401,"), "utf-8")
    refused = run_cli("finance", "import", changed, env=env)
    assert refused.returncode == 1 and "imported before as SJ2026-00001" in refused.stderr
    assert await read(db_url, entries) == 3


async def test_a_file_with_problems_writes_nothing(db_url: str, tmp_path: Path) -> None:
    await books(db_url)
    env = bot_env(db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    done = run_cli("finance", "import", bad, env=env)
    assert done.returncode == 1
    said = done.stderr
    assert "5 problem(s), nothing was imported" in said
    assert "line 3, entry B-1: line 2: there is no account 9999" in said
    assert "line 4, date: not a date (YYYY-MM-DD)" in said
    assert "line 6, debit: not an amount: abc" in said
    assert "entry B-4: debits 100 and credits 90 differ" in said
    assert "entry B-5: the period 2026-09 is closed" in said
    assert await read(db_url, entries) == 0


async def test_a_header_without_its_columns_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    headless = tmp_path / "headless.csv"
    headless.write_text("date,account,amount\n2026-11-01,1002,5\n", encoding="utf-8")
    done = run_cli("finance", "import", headless, env=bot_env(sqlite_url))
    assert (
        done.returncode == 2 and "lacks the column(s) entry, journal, debit, credit" in done.stderr
    )

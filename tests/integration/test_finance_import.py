"""``bizbot finance import`` (SQLite and PostgreSQL): opening balances and journal entries from
CSV are posted as entries; the same file again changes nothing; a file with problems writes
nothing and lists each problem with its line; a header without the needed columns is refused."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.directory.models import Department
from domain.finance.budgets import budget_statuses
from domain.finance.charts import install_chart
from domain.finance.models import Account, Entry
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


ACCOUNTS = """科目编码,科目名称,英文名称,类型,上级科目,方向
101201,支付宝,Alipay,,1012,
560101,广告费,Advertising,费用,5601,
5601011,线上广告,,,560101,
160201,累计折旧-房屋,,资产,1602,
"""
SETUP_ENTRIES = """entry,date,journal,account,debit,credit,department
OPENING,2026-10-31,GJ,101201,20000,,
OPENING,2026-10-31,GJ,3001,,20000,
A-1,2026-11-05,GJ,5601011,3000,,sales
A-1,2026-11-05,GJ,101201,,3000,sales
"""
BUDGETS = """department,account,month,amount
sales,560101,2026-11,5000
"""


def new_accounts(session: Session) -> dict[str, tuple[str, str, str, str | None, str]]:
    codes = ["101201", "560101", "5601011", "160201", "100201", "9001", "160101", "560105"]
    found = session.scalars(select(Account).where(Account.code.in_(codes)))
    return {a.code: (a.name_en, a.type, a.side, a.parent_code, a.chart) for a in found}


async def test_one_command_sets_up_the_books(db_url: str, tmp_path: Path) -> None:
    database = open_database(db_url)
    try:
        await database.run(lambda session: session.add(Department(name="sales")))
    finally:
        await database.dispose()
    files = {"budgets.csv": BUDGETS, "entries.csv": SETUP_ENTRIES, "accounts.csv": ACCOUNTS}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = [tmp_path / name for name in files]  # budgets first: they still go last
    env = bot_env(db_url)
    done = run_cli("finance", "import", "--chart", "prc_small", *paths, env=env)
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()
    assert said[0] == "chart prc_small: 69 accounts added"
    assert said[1].endswith("accounts.csv: 4 accounts added, 0 already there")
    assert said[2].endswith("entries.csv: 2 entries posted, 0 already there")
    assert said[3].endswith("budgets.csv: budgets: 1 created")
    assert await read(db_url, new_accounts) == {
        "101201": ("Alipay", "asset", "debit", "1012", "prc_small"),
        "560101": ("Advertising", "expense", "debit", "5601", "prc_small"),
        "5601011": ("线上广告", "expense", "debit", "560101", "prc_small"),  # no English name
        "160201": ("累计折旧-房屋", "asset", "credit", "1602", "prc_small"),  # a contra's side
    }
    pl = await read(db_url, lambda s: statement(s, "pl", Span.month(Month(2026, 11)), "sales"))
    assert pl.figure("selling_expenses") == 3000  # a sub-account sits on its parent's line
    spent = await read(db_url, lambda s: budget_statuses(s, "sales", 2026, 11))
    assert [(b.budget.account_code, b.spent) for b in spent] == [("560101", Decimal(3000))]
    again = run_cli("finance", "import", "--chart", "prc_small", *paths, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "chart prc_small: 0 accounts added"
    assert "4 accounts added" not in again.stdout and "0 accounts added, 4 already there" in (
        again.stdout
    )
    assert "0 entries posted, 2 already there" in again.stdout
    assert "budgets: 1 unchanged" in again.stdout
    other = run_cli("finance", "import", "--chart", "ifrs_basic", paths[2], env=env)
    assert other.returncode == 2 and "already use the chart prc_small" in other.stderr


BAD_ACCOUNTS = """code,name_zh,name_en,type,parent,side
100201,工商银行,ICBC,asset,1002,
1001,现金,Cash,asset,,
9001,新科目,New,asset,,
5701,错位,Misplaced,expense,5601,
560103,类型不符,Wrong type,asset,5601,
560104,坏类型,Bad type,expense-ish,5601,
160101,房屋,Buildings,,1601,
170101,专利,Patents,,1701,sideways
179901,其他,Other,,1799,
560105,差旅费,Travel,,5601,
560105,差旅费,Travel,,5601,
"""


async def test_a_bad_chart_file_lists_its_problems_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    await books(db_url)
    building = "B,2026-11-02,GJ,1601,100,\nB,2026-11-02,GJ,1002,,100\n"
    posted = tmp_path / "posted.csv"
    posted.write_text("entry,date,journal,account,debit,credit\n" + building, encoding="utf-8")
    assert run_cli("finance", "import", posted, env=bot_env(db_url)).returncode == 0
    bad = tmp_path / "accounts.csv"
    bad.write_text(BAD_ACCOUNTS, encoding="utf-8")
    good = tmp_path / "entries.csv"
    good.write_text(GOOD, encoding="utf-8")
    done = run_cli("finance", "import", good, bad, env=bot_env(db_url))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{bad}: 10 problem(s), nothing was imported:",
        "  line 2, parent: account 1002 is where the business postings book bank; it cannot "
        "have sub-accounts",
        "  line 3, name_zh: account 1001 is in the books with name_zh 库存现金",
        "  line 4, parent: a new account needs a parent among the chart's accounts (a new "
        "top-level account would be on no line of the statements)",
        "  line 5, parent: a sub-account's code starts with its parent's: 5701 is not under 5601",
        "  line 6, type: a sub-account has its parent's type: expense",
        "  line 7, type: not an account type: expense-ish (asset, liability, equity, cost, "
        "revenue, expense, or 资产, 负债, 所有者权益, 成本, 收入, 费用)",
        "  line 8, parent: account 1601 has postings: its balance would stay on an account "
        "nothing can be posted to; add sub-accounts before posting to it",
        "  line 9, side: not a side: sideways (debit, credit, 借, 贷)",
        "  line 10, parent: there is no account 1799 (parents come first)",
        "  line 12, code: 560105 is listed on line 11 too",
    ]
    assert await read(db_url, new_accounts) == {}
    assert await read(db_url, entries) == 1  # the entries given with it: not posted either


async def test_accounts_need_books_and_usable_headers(sqlite_url: str, tmp_path: Path) -> None:
    env = bot_env(sqlite_url)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    unset = run_cli("finance", "import", accounts, env=env)
    assert unset.returncode == 2 and "The books are not set up" in unset.stderr
    odd = tmp_path / "odd.csv"
    odd.write_text("code,name_zh,colour\n101201,支付宝,blue\n", encoding="utf-8")
    refused = run_cli("finance", "import", accounts, odd, env=env)
    assert refused.returncode == 2 and f"{odd}: the header has unknown column(s) colour" in (
        refused.stderr
    )
    budgets = tmp_path / "budgets.csv"
    budgets.write_text("department,month,amount\nsales,2026-11,5\n", encoding="utf-8")
    lacking = run_cli("finance", "import", budgets, env=env)
    assert lacking.returncode == 2 and "the header needs the columns account" in lacking.stderr
    assert await read(sqlite_url, new_accounts) == {}

"""Accounts added to the installed chart from CSV (``bizbot finance import accounts.csv``).

One account a row: ``code, name_zh, name_en, type, parent, side`` (or 科目编码, 科目名称, 英文名称,
类型, 上级科目, 方向); only the code and the Chinese name are needed. Typically sub-accounts: 100201
工商银行 under 1002 银行存款, 560201 办公费 under 5602 管理费用. The rules, each problem listed with
its line and nothing written if there is one:

- a new account has a parent: an account of the books or one listed above it in the file (a new
  top-level account would be on no line of the statements, which map the chart's accounts);
- its code starts with its parent's and is longer (so the statements, which take an account by
  its code's beginning, put it where its parent is), at most 16 letters, digits, ``.`` or ``-``;
- it has its parent's type (the type may be left empty), and its parent's normal side unless the
  row says otherwise (a contra sub-account);
- the parent is active and has no postings: its balance would stay on an account no posting can
  touch again (postings go to accounts without sub-accounts). Sub-accounts are set up before the
  opening balances;
- the parent is not an account the business postings book by role (1002 bank, 1122 receivable,
  5602 expense …): those postings would not know which sub-account to take;
- a code already in the books is left as it is when the row says the same (importing a file
  twice adds nothing); a row that says something else of it is a problem.

The English name may be left empty: the Chinese one is used for both."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.orgfile import Problem
from domain.finance.account_roles import ROLES, code_for, installed_chart
from domain.finance.models import ACCOUNT_TYPES, Account, EntryLine
from domain.shared.csvfile import ImportRefused, Row, read_csv

COLUMNS = {
    "code": ("code", "科目编码", "编码", "科目代码"),
    "name_zh": ("name_zh", "科目名称", "名称", "中文名称"),
    "name_en": ("name_en", "英文名称"),
    "type": ("type", "类型", "科目类型"),
    "parent": ("parent", "上级科目", "上级", "上级编码"),
    "side": ("side", "方向", "余额方向"),
}
TYPES = {
    **{name: name for name in ACCOUNT_TYPES},
    "资产": "asset",
    "负债": "liability",
    "所有者权益": "equity",
    "权益": "equity",
    "成本": "cost",
    "收入": "revenue",
    "费用": "expense",
}
SIDES = {"debit": "debit", "借": "debit", "credit": "credit", "贷": "credit"}
CODE = re.compile(r"^[0-9A-Za-z.\-]{1,16}$")


def is_account_file(header: list[str]) -> bool:
    """Whether a CSV header is an accounts file's (it has a code column)."""
    return any(name in COLUMNS["code"] for name in header)


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One row of the file: its line and its cells by column key (empty when not given)."""

    line: int
    code: str
    name_zh: str
    name_en: str
    type: str
    parent: str
    side: str


@dataclass(frozen=True, slots=True)
class AccountTally:
    """What the import did: accounts added, and accounts already there as the file says."""

    added: int = 0
    unchanged: int = 0


def read_accounts(data: bytes) -> list[AccountRow]:
    """The file's rows; ``ImportRefused`` if the header lacks the code or name, or has columns
    of no use."""
    header, rows = read_csv(data)
    keys = {name: key for key, names in COLUMNS.items() for name in names}
    unknown = [name for name in header if name not in keys]
    if unknown:
        raise ImportRefused(f"the header has unknown column(s) {', '.join(unknown)}")
    found = {keys[name]: name for name in header}
    missing = [key for key in ("code", "name_zh") if key not in found]
    if missing:
        raise ImportRefused(f"the header lacks the column(s) {', '.join(missing)}")
    return [_row(row, found) for row in rows]


def _row(row: Row, found: dict[str, str]) -> AccountRow:
    cells = {key: row.cells.get(name, "") for key, name in found.items()}
    return AccountRow(row.line, **{key: cells.get(key, "") for key in COLUMNS})


def import_accounts(session: Session, rows: list[AccountRow]) -> tuple[list[Problem], AccountTally]:
    """Check every row against the books and the rows above it; add the new accounts only if
    no row has a problem."""
    chart = installed_chart(session)  # BooksNotSetUp: there is nothing to add to
    books = {account.code: account for account in session.scalars(select(Account))}
    check = _Check(session, chart, books)
    for row in rows:
        check.row(row)
    if check.problems:
        return check.problems, AccountTally()
    session.add_all(check.new)
    session.flush()
    return [], AccountTally(added=len(check.new), unchanged=check.unchanged)


class _Check:
    """The rows read so far: the problems, the accounts to add, the codes seen."""

    def __init__(self, session: Session, chart: str, books: dict[str, Account]) -> None:
        self.session = session
        self.chart = chart
        self.books = books
        self.roles = {code_for(chart, role): role for role in ROLES}
        self.problems: list[Problem] = []
        self.new: list[Account] = []
        self.added: dict[str, Account] = {}
        self.seen: dict[str, int] = {}
        self.unchanged = 0

    def problem(self, row: AccountRow, column: str, message: str) -> None:
        self.problems.append(Problem(row.line, column, message))

    def row(self, row: AccountRow) -> None:
        if not self._cells_usable(row):
            return
        if row.code in self.seen:
            self.problem(row, "code", f"{row.code} is listed on line {self.seen[row.code]} too")
            return
        self.seen[row.code] = row.line
        existing = self.books.get(row.code)
        if existing is not None:
            self._same(row, existing)
            return
        account = self._new(row)
        if account is not None:
            self.new.append(account)
            self.added[row.code] = account

    def _cells_usable(self, row: AccountRow) -> bool:
        before = len(self.problems)
        if not row.code:
            self.problem(row, "code", "missing")
        elif not CODE.match(row.code):
            self.problem(
                row,
                "code",
                f"not an account code: {row.code} (letters, digits, . or -; 16 at most)",
            )
        if not row.name_zh:
            self.problem(row, "name_zh", "missing")
        if row.type and row.type.lower() not in TYPES:
            self.problem(
                row,
                "type",
                f"not an account type: {row.type} (asset, liability, equity, cost, revenue, "
                "expense, or 资产, 负债, 所有者权益, 成本, 收入, 费用)",
            )
        if row.side and row.side.lower() not in SIDES:
            self.problem(row, "side", f"not a side: {row.side} (debit, credit, 借, 贷)")
        return len(self.problems) == before

    def _same(self, row: AccountRow, account: Account) -> None:
        """A code the books have: the same account (nothing to do) or a clash."""
        said = {
            "name_zh": (row.name_zh, account.name_zh),
            "name_en": (row.name_en, account.name_en),
            "type": (TYPES[row.type.lower()] if row.type else "", account.type),
            "parent": (row.parent, account.parent_code or ""),
            "side": (SIDES[row.side.lower()] if row.side else "", account.side),
        }
        for column, (given, kept) in said.items():
            if given and given != kept:
                self.problem(
                    row, column, f"account {row.code} is in the books with {column} {kept or '-'}"
                )
                return
        self.unchanged += 1

    def _new(self, row: AccountRow) -> Account | None:
        parent = self._parent(row)
        if parent is None:
            return None
        kind = TYPES[row.type.lower()] if row.type else parent.type
        if kind != parent.type:
            self.problem(row, "type", f"a sub-account has its parent's type: {parent.type}")
            return None
        return Account(
            code=row.code,
            name_zh=row.name_zh,
            name_en=row.name_en or row.name_zh,
            type=kind,
            side=SIDES[row.side.lower()] if row.side else parent.side,
            parent_code=parent.code,
            chart=self.chart,
            active=True,
        )

    def _parent(self, row: AccountRow) -> Account | None:
        """The new account's parent, if it may have one more sub-account."""
        if not row.parent:
            self.problem(
                row,
                "parent",
                "a new account needs a parent among the chart's accounts "
                "(a new top-level account would be on no line of the statements)",
            )
            return None
        parent = self.added.get(row.parent) or self.books.get(row.parent)
        if parent is None:
            self.problem(row, "parent", f"there is no account {row.parent} (parents come first)")
            return None
        problem = self._why_no_child(row, parent)
        if problem:
            self.problem(row, "parent", problem)
            return None
        return parent

    def _why_no_child(self, row: AccountRow, parent: Account) -> str:
        if not (row.code.startswith(parent.code) and len(row.code) > len(parent.code)):
            return (
                f"a sub-account's code starts with its parent's: {row.code} is not under "
                f"{parent.code}"
            )
        if not parent.active:
            return f"account {parent.code} is not active"
        if parent.code in self.roles:
            return (
                f"account {parent.code} is where the business postings book "
                f"{self.roles[parent.code].replace('_', ' ')}; it cannot have sub-accounts"
            )
        if parent.id is not None and self._posted_to(parent):
            return (
                f"account {parent.code} has postings: its balance would stay on an account "
                "nothing can be posted to; add sub-accounts before posting to it"
            )
        return ""

    def _posted_to(self, account: Account) -> bool:
        line = select(EntryLine.id).where(EntryLine.account_id == account.id).limit(1)
        return self.session.scalar(line) is not None

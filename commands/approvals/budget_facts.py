"""The finance side of an approval's ``budget_left``: what is left this month (in the org's
time zone) of the requester's department's budget for the template's account. Handed to the
approval services by the commands that submit, route and resubmit, since ``domain.approvals``
imports no other business module (docs/APPROVALS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.models import Department, Member
from domain.directory.services import get_org
from domain.finance import budgets
from domain.finance.models import Account


@dataclass(frozen=True, slots=True)
class LedgerBudgets:
    """Budgets as the ledger has them on one day (its month's budgets and spending)."""

    session: Session
    on: date

    def budget_left(self, department: str, account: str) -> Decimal | None:
        """The department's budget left for the account (or its nearest parent), else None."""
        return budgets.budget_left(self.session, department, account, self.on)


def budget_facts(session: Session, now: datetime) -> LedgerBudgets:
    """The budgets of the org's current month."""
    today = now.astimezone(ZoneInfo(get_org(session).timezone)).date()
    return LedgerBudgets(session, today)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """What an approval card shows of the requester's department's budget."""

    department: str
    account: str  # its code
    names: tuple[str, str]  # the account's Chinese and English names
    period: str  # 2026-12
    left: Decimal
    currency: str

    def account_label(self, locale: str) -> str:
        """``5602 管理费用`` or ``5602 Administrative expenses``."""
        zh, en = self.names
        name = (zh or en) if locale.startswith("zh") else (en or zh)
        return f"{self.account} {name}".strip()


def budget_line(
    session: Session, account: str | None, initiator_id: int, now: datetime
) -> BudgetLine | None:
    """The initiator's department's budget left this month for ``account`` (a template's
    ``budget_account``); None without an account, a department or a budget."""
    if account is None:
        return None
    department = _department_of(session, initiator_id)
    if department is None:
        return None
    facts = budget_facts(session, now)
    left = facts.budget_left(department, account)
    if left is None:
        return None
    row = session.execute(
        select(Account.name_zh, Account.name_en).where(Account.code == account)
    ).one()
    period = f"{facts.on.year}-{facts.on.month:02d}"
    currency = get_org(session).currency
    return BudgetLine(department, account, (row[0], row[1]), period, left, currency)


def _department_of(session: Session, member_id: int) -> str | None:
    return session.scalar(
        select(Department.name)
        .join(Member, Member.department_id == Department.id)
        .where(Member.id == member_id)
    )

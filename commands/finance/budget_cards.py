"""How a budget reads on a card, in the reader's language: the account by code and name, the
month, and the budget beside what was spent, what is left and the share used."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.formatting import money
from bot.i18n import _, t
from bot.replies import Card, CardStatus, Field
from domain.finance.budgets import BudgetStatus
from domain.finance.models import Account


def period_text(year: int, month: int) -> str:
    """A month as ``2026-12`` (the way it is typed, in either language)."""
    return f"{year}-{month:02d}"


def account_label(session: Session, code: str, locale: str) -> str:
    """``5602 管理费用`` for a Chinese reader, ``5602 Administrative expenses`` otherwise (the
    other language's name when the reader's is missing)."""
    names = session.execute(
        select(Account.name_zh, Account.name_en).where(Account.code == code)
    ).first()
    if names is None:
        return code
    zh, en = names
    first, second = (zh, en) if locale.startswith("zh") else (en, zh)
    name = first or second
    return f"{code} {name}" if name else code


def budget_fields(locale: str, status: BudgetStatus, currency: str) -> tuple[Field, ...]:
    """Budget, spent, left and % used."""
    return (
        Field(t(locale, _("Budget")), money(status.budget.amount, currency, locale)),
        Field(t(locale, _("Spent")), money(status.spent, currency, locale)),
        Field(t(locale, _("Left")), money(status.left, currency, locale)),
        Field(t(locale, _("Used")), f"{status.used_percent}%"),
    )


def budgets_card(
    session: Session,
    locale: str,
    title: str,
    statuses: list[BudgetStatus],
    currency: str,
) -> Card:
    """One line per budget: department, account, budget, spent, left and % used."""
    lines = [_line(session, locale, s, currency) for s in statuses]
    over = any(s.left < 0 for s in statuses)
    return Card(
        title=title,
        body="\n".join(lines) if lines else t(locale, _("No budgets are set for this month.")),
        status=CardStatus.WARNING if over else CardStatus.INFO,
    )


def _line(session: Session, locale: str, status: BudgetStatus, currency: str) -> str:
    return t(
        locale,
        _("{department} · {account}: budget {budget}, spent {spent}, left {left} ({used}% used)"),
        department=status.budget.department,
        account=account_label(session, status.budget.account_code, locale),
        budget=money(status.budget.amount, currency, locale),
        spent=money(status.spent, currency, locale),
        left=money(status.left, currency, locale),
        used=status.used_percent,
    )

"""The shipped charts of accounts (``charts/*.yaml``) and installing one with the standard
journals. Installing is idempotent: what exists is kept, what is missing is added."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.finance.models import DEBIT_TYPES, Account, Journal
from domain.shared.errors import DomainError
from domain.shared.yamlfile import parse_definition

CHARTS_DIR = Path(__file__).parent / "charts"
CHARTS = ("prc_small", "ifrs_basic")
STANDARD_JOURNALS = (
    ("GJ", "总账", "General"),
    ("SJ", "销售", "Sales"),
    ("PJ", "采购", "Purchases"),
    ("CR", "收款", "Cash receipts"),
    ("CD", "付款", "Cash disbursements"),
)


class AccountSpec(BaseModel):
    """One account of a chart file."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name_zh: str
    name_en: str
    type: Literal["asset", "liability", "equity", "cost", "revenue", "expense"]
    side: Literal["debit", "credit"] | None = None
    parent: str | None = None

    @property
    def normal_side(self) -> str:
        """The side the account balances on: its type's, unless it says otherwise (contra)."""
        return self.side or ("debit" if self.type in DEBIT_TYPES else "credit")


class ChartSpec(BaseModel):
    """A chart file: its key and its accounts, parents before their children."""

    model_config = ConfigDict(extra="forbid")

    key: str
    accounts: list[AccountSpec]

    @model_validator(mode="after")
    def _parents_first(self) -> ChartSpec:
        seen: set[str] = set()
        for account in self.accounts:
            if account.code in seen:
                raise ValueError(f"account {account.code} is listed twice")
            if account.parent is not None and account.parent not in seen:
                raise ValueError(f"account {account.code}'s parent {account.parent} comes first")
            seen.add(account.code)
        return self


def load_chart(key: str) -> ChartSpec:
    """A shipped chart by its key; ``DomainError`` if there is none."""
    if key not in CHARTS:
        raise DomainError("There is no chart of accounts {key}.", key=key)
    text = (CHARTS_DIR / f"{key}.yaml").read_text(encoding="utf-8")
    return parse_definition(ChartSpec, text)[0]


def install_chart(session: Session, key: str) -> int:
    """Install a shipped chart and the standard journals; returns how many accounts were added
    (0 when it is installed already). Refused if the books use another chart."""
    chart = load_chart(key)
    other = session.scalar(select(Account.chart).where(Account.chart != key).limit(1))
    if other is not None:
        raise DomainError("The books already use the chart {chart}.", chart=other)
    known = set(session.scalars(select(Account.code)))
    added = [_account(spec, key) for spec in chart.accounts if spec.code not in known]
    session.add_all(added)
    _install_journals(session)
    session.flush()
    return len(added)


def _account(spec: AccountSpec, chart: str) -> Account:
    return Account(
        code=spec.code,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        type=spec.type,
        side=spec.normal_side,
        parent_code=spec.parent,
        chart=chart,
        active=True,
    )


def _install_journals(session: Session) -> None:
    known = set(session.scalars(select(Journal.code)))
    for code, name_zh, name_en in STANDARD_JOURNALS:
        if code not in known:
            session.add(Journal(code=code, name_zh=name_zh, name_en=name_en))

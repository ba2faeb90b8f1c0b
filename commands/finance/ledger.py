"""/ledger (/明细账) ACCOUNT [PERIOD] [DEPARTMENT]: one account's lines over a month or a range,
with the opening balance, the running balance after each line and the closing balance; the
first lines on the card, every line in the XLSX and PDF that come with it.

The account by code (``1122``, sub-accounts included) or by name in either language (应收账款,
Accounts receivable). Who sees what is /report's rule: finance.read any department, a manager
their own only, everyone else nothing (refused and logged)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Field as ReaderField
from bot.reader import Kind, Where, read
from bot.replies import Card
from bot.router import CommandSpec, Router
from commands.crm.lines import ask_for, unusable
from commands.finance.lines import account_named
from commands.finance.reports import MONTH_SHAPED, XLSX, department_allowed, span_of
from domain.finance.ledger_files import LedgerFile, render_ledger_pdf, render_ledger_xlsx, word
from domain.finance.statements import DetailLine, account_detail, money
from domain.shared.errors import DomainError

SHOWN = 30  # lines on the card; the rest are counted
FIELDS = (
    ReaderField("account", Kind.RECORD, ("科目", "acct")),
    ReaderField("period", Kind.MONTHS, ("期间", "月份", "month")),
    ReaderField("department", Kind.TEXT, ("部门", "dept")),
)


class LedgerArgs(BaseModel):
    """The account, the period and the department, as people type them."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def ledger(ctx: CommandContext, args: LedgerArgs) -> Card:
    """/ledger ACCOUNT [PERIOD] [DEPARTMENT]: an account's lines and balances."""
    where = Where(
        ctx.actor.timezone, ctx.now, lambda _f, text: account_named(ctx.session, text) is not None
    )
    reading = read(FIELDS, args.rest, where)
    problems = unusable(ctx, FIELDS, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    if "account" not in reading.values:
        raise ask_for(ctx, FIELDS[0])
    account = account_named(ctx.session, reading.values["account"])
    if account is None:
        raise DomainError("There is no account {account}.", account=reading.values["account"])
    asked = reading.values.get("department")
    if asked is not None and MONTH_SHAPED.match(asked):
        raise DomainError("{text} is not a month (YYYY-MM).", text=asked)
    department = department_allowed(ctx, asked, "ledger")
    span = span_of(ctx, reading.values.get("period"))
    detail = account_detail(ctx.session, account.code, span, department)
    name = account.name_zh if ctx.locale.startswith("zh") else account.name_en
    lines = [ctx.t(_("Opening balance: {amount}"), amount=money(detail.opening))]
    lines += [_line(ctx, line) for line in detail.lines[:SHOWN]]
    if len(detail.lines) > SHOWN:
        lines.append(ctx.t(_("… and {count} more lines"), count=len(detail.lines) - SHOWN))
    lines.append(
        ctx.t(
            _("Debits {debits}, credits {credits}; closing balance: {amount}"),
            debits=money(detail.debits),
            credits=money(detail.credits),
            amount=money(detail.closing),
        )
    )
    title = ctx.t(
        _("{code} {name} {period} ({department})"),
        code=account.code,
        name=name,
        period=str(span),
        department=department or ctx.t(_("all departments")),
    )
    card = Card(title=title, body="\n".join(lines))
    return with_files(card, LedgerFile(detail, span, department), ctx.locale)


def with_files(card: Card, shown: LedgerFile, locale: str) -> Card:
    """The card with every line of the account as XLSX and PDF, named after it in the reader's
    language (``明细账-1002-2026-11.xlsx``, ``Account-detail-1122-2026-11-Sales.pdf``)."""
    words = [word("title", locale), shown.detail.code, str(shown.span).replace("..", "-to-")]
    words.append(shown.department or "")
    stem = "-".join(w.replace(" ", "-").replace("/", "-") for w in words if w)
    return card.with_file(f"{stem}.xlsx", XLSX, render_ledger_xlsx(shown, locale)).with_file(
        f"{stem}.pdf", "application/pdf", render_ledger_pdf(shown, locale)
    )


def _line(ctx: CommandContext, line: DetailLine) -> str:
    side = ctx.t(_("debit")) if line.debit else ctx.t(_("credit"))
    return ctx.t(
        _("{day} {number} {side} {amount} → {balance} {memo}"),
        day=line.on.isoformat(),
        number=line.number,
        side=side,
        amount=money(line.debit or line.credit),
        balance=money(line.balance),
        memo=line.memo,
    ).rstrip()


def register(router: Router) -> None:
    """Register /ledger."""
    router.add(
        CommandSpec(
            name="ledger",
            summary=_("An account's lines and balances over a period"),
            handler=ledger,
            args=LedgerArgs,
            aliases=("明细账", "科目明细"),
            examples=(_("/ledger 1122 2026-11"), _("/ledger Accounts receivable last month")),
        )
    )

"""/report (/报表): a statement's key figures as a card, in the reader's language only.

``/report pl 2026-11``, ``/报表 资产负债表 上个月``, ``/报表 利润表 2026年1月到3月 销售部``:
the statement (利润表 pl, 资产负债表 bs, 现金流量表 cf, 试算平衡表 tb), the period (a month or a
range of months; this month when not said) and a department (all when not said). Who sees
what: finance.read (the finance role, admins) any department or all of them;
finance.department (managers) their own department only, which is also what they get when they
name none; everyone else nothing. A refusal is logged (``refused.permission``).

The card carries a chart of its figures as a PNG picture (``domain.finance.bar_chart``),
shown with the card, and the full statement as XLSX and PDF (``domain.finance.render``),
uploaded through each channel's own file API."""

from __future__ import annotations

import re

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Choice, Kind, Where, read
from bot.reader import Field as ReaderField
from bot.replies import Card, CardStatus
from bot.router import CommandSpec, Router
from commands.crm.lines import ask_for, unusable
from domain.directory.models import Department
from domain.directory.roles import Permission
from domain.finance.bar_chart import KEY_FIGURES, LINE_PREFIX, render_png
from domain.finance.models import Balance
from domain.finance.render import render_pdf, render_xlsx
from domain.finance.statements import Month, Span, Statement, money, statement
from domain.shared.errors import DomainError, Forbidden
from domain.shared.recurrence import zone

log = structlog.get_logger(__name__)

KINDS = (
    Choice("pl", ("利润表", "损益表", "income", "profit", "p&l")),
    Choice("bs", ("资产负债表", "balance", "balance-sheet")),
    Choice("cf", ("现金流量表", "cash", "cash-flow", "cashflow")),
    Choice("tb", ("试算平衡表", "试算表", "trial", "trial-balance")),
)
FIELDS = (
    ReaderField("statement", Kind.CHOICE, ("报表", "kind"), KINDS),
    ReaderField("period", Kind.MONTHS, ("期间", "月份", "month")),
    ReaderField("department", Kind.TEXT, ("部门", "dept")),
)
MONTH_SHAPED = re.compile(r"^\d{4}(?:[-/.]\d{1,2}|年\d{1,2}月)$")
HEADLINE = {"pl": "net_profit", "bs": "total_assets", "cf": "net_change"}


class ReportArgs(BaseModel):
    """The statement, the period and the department, as people type them."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def report(ctx: CommandContext, args: ReportArgs) -> Card:
    """/report pl|bs|cf|tb [PERIOD] [DEPARTMENT]: a statement's key figures."""
    reading = read(FIELDS, args.rest, Where(ctx.actor.timezone, ctx.now))
    problems = unusable(ctx, FIELDS, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    if "statement" not in reading.values:
        raise ask_for(ctx, FIELDS[0])
    kind = reading.values["statement"]
    asked = reading.values.get("department")
    if asked is not None and MONTH_SHAPED.match(asked):  # 2026-13: a month that is none
        raise DomainError("{text} is not a month (YYYY-MM).", text=asked)
    department = department_allowed(ctx, asked, "report")
    span = span_of(ctx, reading.values.get("period"))
    shown = statement(ctx.session, kind, span, department)
    return with_files(summary_card(ctx, shown), shown, ctx.locale)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def with_files(card: Card, shown: Statement, locale: str) -> Card:
    """The card with its chart as a picture and the full statement as XLSX and PDF, named
    after it in the reader's language (``利润表-2026-11.png``, ``Balance-sheet-2026-11-Sales.pdf``).
    The picture comes first: the channels that post files after the card show it right under."""
    words = [shown.title(locale), str(shown.span).replace("..", "-to-"), shown.department or ""]
    stem = "-".join(w.replace(" ", "-").replace("/", "-") for w in words if w)
    return (
        card.with_file(f"{stem}.png", "image/png", render_png(shown, locale))
        .with_file(f"{stem}.xlsx", XLSX, render_xlsx(shown, locale))
        .with_file(f"{stem}.pdf", "application/pdf", render_pdf(shown, locale))
    )


def department_allowed(ctx: CommandContext, asked: str | None, command: str) -> str | None:
    """The department the actor may see: any (or all) with finance.read; a manager's own.
    Anything else is refused and logged."""
    if ctx.may(Permission.FINANCE_READ):
        if asked is not None and asked not in _known_departments(ctx):
            raise DomainError("There is no department {department}.", department=asked)
        return asked
    own = ctx.actor.department
    if ctx.may(Permission.FINANCE_DEPARTMENT) and own and asked in (None, own):
        return own
    log.warning(
        "refused.permission", member=ctx.actor.handle, command=command, department=asked or ""
    )
    if ctx.may(Permission.FINANCE_DEPARTMENT) and own:
        raise Forbidden("You may see the figures of {department} only.", department=own)
    raise Forbidden("You may not see the books.")


def _known_departments(ctx: CommandContext) -> set[str]:
    """The directory's departments and every department the books have figures for."""
    named = set(ctx.session.scalars(select(Department.name)))
    return named | set(ctx.session.scalars(select(Balance.department).distinct()))


def span_of(ctx: CommandContext, period: str | None) -> Span:
    """The months the reader gave (``2026-11`` or ``2026-01..2026-03``); this month if none."""
    if period is None:
        today = ctx.now.astimezone(zone(ctx.actor.timezone))
        return Span.month(Month(today.year, today.month))
    first, _sep, last = period.partition("..")
    return Span(Month.parse(first), Month.parse(last or first))


def summary_card(ctx: CommandContext, shown: Statement) -> Card:
    """The statement's key figures, each with the previous period's beside it."""
    locale = ctx.locale
    title = ctx.t(
        _("{statement} {period} ({department})"),
        statement=shown.title(locale),
        period=str(shown.span),
        department=shown.department or ctx.t(_("all departments")),
    )
    if shown.kind == "tb":
        return _trial_balance_card(ctx, shown, title)
    lines = []
    for key in KEY_FIGURES[shown.kind]:
        row = next(r for r in shown.rows if r.key == key)
        lines.append(
            ctx.t(
                _("{label}: {amount} (previous period {previous})"),
                label=LINE_PREFIX.sub("", row.label(locale)),
                amount=money(row.values[0]),
                previous=money(row.values[1]),
            )
        )
    headline = shown.figure(HEADLINE[shown.kind])
    warn = shown.kind == "bs" and shown.figure("total_assets") != shown.figure(
        "total_liabilities_and_equity"
    )
    status = CardStatus.WARNING if warn or headline < 0 else CardStatus.INFO
    footer = ctx.t(_("Previous period: {period}"), period=str(shown.previous))
    return Card(title=title, body="\n".join(lines), status=status, footer=footer)


def _trial_balance_card(ctx: CommandContext, shown: Statement, title: str) -> Card:
    total = shown.rows[-1]
    debits, credits = total.values[1], total.values[2]
    accounts = len(shown.rows) - 1
    lines = [
        ctx.t(_("Accounts with a balance or movement: {count}"), count=accounts),
        ctx.t(_("Debits: {amount}"), amount=money(debits)),
        ctx.t(_("Credits: {amount}"), amount=money(credits)),
    ]
    balanced = debits == credits and shown.out_of_balance() == 0
    lines.append(
        ctx.t(_("The books balance.")) if balanced else ctx.t(_("The books do not balance!"))
    )
    status = CardStatus.INFO if balanced else CardStatus.WARNING
    return Card(title=title, body="\n".join(lines), status=status)


def register(router: Router) -> None:
    """Register /report."""
    router.add(
        CommandSpec(
            name="report",
            summary=_(
                "Financial statements: income statement, balance sheet, cash flow, trial balance"
            ),
            handler=report,
            args=ReportArgs,
            aliases=("报表", "财务报表"),
            examples=(_("/report pl 2026-11"), _("/report bs last month Sales")),
        )
    )

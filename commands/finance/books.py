"""/books setup (/账簿 建账) and /period close|reopen (/期间 结账|反结账), for the finance role.

``/books setup prc_small`` (``/账簿 建账 小企业会计准则``) installs a shipped chart of accounts
and the standard journals; again, it adds nothing. ``/period close 2026-11``
(``/期间 结账 2026年11月``) closes a month to postings; ``/period reopen 2026-11``
(``/期间 反结账 2026-11``) opens it again. Closing a closed month changes nothing.
``/period close-year 2026`` (``/期间 年结 2026年``) posts the year's closing entries (结转损益,
``domain/finance/closing.py``) and closes its twelve months; again, it posts nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Choice, Kind, Where, read
from bot.reader import Field as ReaderField
from bot.replies import Card, CardStatus, Message, Reply
from bot.router import CommandSpec, Router
from commands.crm.lines import ask_for, unusable
from commands.finance.entries import refusal
from domain.directory.roles import Permission
from domain.finance.charts import install_chart
from domain.finance.closing import close_year
from domain.finance.periods import close_period, reopen_period
from domain.finance.posting import EntryRefused
from domain.finance.statements import Month
from domain.shared.errors import DomainError

CHARTS = (
    Choice("prc_small", ("小企业会计准则", "小企业", "prc")),
    Choice("ifrs_basic", ("国际准则", "ifrs")),
)
BOOKS_FIELDS = (
    ReaderField("action", Kind.CHOICE, ("操作",), (Choice("setup", ("建账", "set-up")),)),
    ReaderField("chart", Kind.CHOICE, ("科目表", "准则"), CHARTS),
)
PERIOD_FIELDS = (
    ReaderField(
        "action",
        Kind.CHOICE,
        ("操作",),
        (
            Choice("close", ("结账", "关账", "关闭")),
            Choice("reopen", ("反结账", "重新打开")),
            Choice("close-year", ("年结", "年终结账", "结转损益", "close_year", "closeyear")),
        ),
    ),
    ReaderField("period", Kind.MONTHS, ("期间", "月份", "month")),
)
YEAR_FIELD = ReaderField("year", Kind.NUMBER, ("年度", "年份"))
YEAR_FIELDS = (  # 2026年 and 去年 read as a whole year of months, a bare 2026 as a number
    PERIOD_FIELDS[0],
    ReaderField("period", Kind.MONTHS, ("期间",)),
    YEAR_FIELD,
)
WHOLE_YEAR = re.compile(r"^(\d{4})-01\.\.(\d{4})-12$")


CLOSE_YEAR = PERIOD_FIELDS[0].choices[2]


class Words(BaseModel):
    """Everything after the command, read by the kernel's reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def _values(ctx: CommandContext, fields: tuple[ReaderField, ...], text: str) -> dict[str, str]:
    """The fields read from ``text``, asking for the first one missing."""
    reading = read(fields, text, Where(ctx.actor.timezone, ctx.now))
    problems = unusable(ctx, fields, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    for item in fields:
        if item.key not in reading.values:
            raise ask_for(ctx, item)
    return reading.values


def books(ctx: CommandContext, args: Words) -> Reply:
    """/books setup prc_small|ifrs_basic: the chart of accounts and the journals."""
    chart = _values(ctx, BOOKS_FIELDS, args.rest)["chart"]
    added = install_chart(ctx.session, chart)
    if added == 0:
        return Reply(ctx.t(_("The books already use the chart {chart}."), chart=chart))
    return Reply(
        ctx.t(_("Books set up with the chart {chart}: {count} accounts."), chart=chart, count=added)
    )


def period(ctx: CommandContext, args: Words) -> Message:
    """/period close|reopen YYYY-MM: no more postings into a month, or again;
    /period close-year YYYY: the year's closing entries, and its months closed."""
    if args.rest.split()[:1] and PERIOD_FIELDS[0].choice(args.rest.split()[0]) == CLOSE_YEAR:
        return _close_year(ctx, args.rest)
    values = _values(ctx, PERIOD_FIELDS, args.rest)
    first, _sep, last = values["period"].partition("..")
    if last and last != first:
        raise DomainError(
            "Close or reopen one month at a time, not {period}.", period=values["period"]
        )
    month = Month.parse(first)
    if values["action"] == "close":
        close_period(ctx.session, month.year, month.month, ctx.actor.id, ctx.now)
        return Reply(
            ctx.t(
                _("Period {period} is closed: nothing more can be posted into it."),
                period=str(month),
            )
        )
    reopen_period(ctx.session, month.year, month.month)
    return Reply(ctx.t(_("Period {period} is open again."), period=str(month)))


def _close_year(ctx: CommandContext, text: str) -> Message:
    reading = read(YEAR_FIELDS, text, Where(ctx.actor.timezone, ctx.now))
    problems = unusable(ctx, YEAR_FIELDS, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    year = _year(reading.values)
    if year is None:
        raise ask_for(ctx, YEAR_FIELD)
    today = ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()
    try:
        closed = close_year(ctx.session, year, ctx.actor.id, ctx.now, today)
    except EntryRefused as refused:
        raise DomainError(
            "The entry cannot be posted: {problems}", problems=refusal(ctx, refused)
        ) from None
    numbers = ", ".join(e.number for e in closed.entries) or ctx.t(
        _("none (no income or expenses)")
    )
    body = ctx.t(
        _(
            "Closing entries: {numbers}. Profit of the year: {profit}. "
            "Every month of {year} is closed."
        ),
        numbers=numbers,
        profit=f"{closed.profit:,.2f}",
        year=year,
    )
    if closed.again:
        body += "\n" + ctx.t(_("The year was closed before; nothing more was posted."))
    return Card(
        title=ctx.t(_("Year {year} closed"), year=year),
        body=body,
        status=CardStatus.INFO if closed.again else CardStatus.SUCCESS,
    )


def _year(values: dict[str, str]) -> int | None:
    """The year typed as 2026, 2026年 or 去年 (a whole year of months)."""
    if "year" in values:
        number = Decimal(values["year"])
        if number != number.to_integral_value() or not 1900 <= number <= 9999:
            raise DomainError("{text} is not a year.", text=values["year"])
        return int(number)
    whole = WHOLE_YEAR.match(values.get("period", ""))
    if "period" in values and (whole is None or whole[1] != whole[2]):
        raise DomainError("Close a whole year, as 2026, not {period}.", period=values["period"])
    return int(whole[1]) if whole else None


def register(router: Router) -> None:
    """Register /books and /period."""
    router.add(
        CommandSpec(
            name="books",
            summary=_("Set up the books with a chart of accounts"),
            handler=books,
            args=Words,
            aliases=("账簿",),
            permission=Permission.FINANCE_POST,
            examples=(_("/books setup prc_small"),),
        )
    )
    router.add(
        CommandSpec(
            name="period",
            summary=_("Close a month of the books, or reopen it"),
            handler=period,
            args=Words,
            aliases=("期间", "会计期间"),
            permission=Permission.FINANCE_POST,
            examples=(
                _("/period close 2026-11"),
                _("/period reopen 2026-11"),
                _("/period close-year 2026"),
            ),
        )
    )

"""/budget (/预算): a month's budgets beside what was spent, and setting them.

``/budget set 销售部 5602 2026-12 30000 owner @li`` (``/预算 设置 销售部 管理费用 12月 3万 负责人
@li``) sets the Sales department's December budget on 5602 and its sub-accounts;
``/budget [DEPARTMENT] [MONTH]`` shows budget, spent, left and % used. Setting takes
``finance.post``; reading takes ``finance.read`` (every department) or ``finance.department``
(a manager: their own department only). Anyone else is refused and it is logged."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Field as ReaderField
from bot.reader import Kind, Known, Where, read
from bot.replies import Card, CardStatus, Message
from bot.router import CommandSpec, Router
from commands.crm.lines import ask_for, unusable
from commands.finance.budget_cards import account_label, budget_fields, budgets_card, period_text
from domain.directory.models import Department, Member
from domain.directory.roles import Permission
from domain.directory.services import get_org
from domain.finance.budgets import BudgetRequest, budget_statuses, set_budget, status_of
from domain.finance.models import Account
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.shared.money import parse_amount

log = structlog.get_logger(__name__)
SET_WORDS = frozenset({"set", "设置", "设定", "设"})
OWNER_WORDS = frozenset({"owner", "负责人", "归属人"})
NAMES: dict[str, tuple[str, ...]] = {
    "department": ("部门", "dept"),
    "account": ("科目", "会计科目"),
    "amount": ("金额", "预算", "budget"),
    "owner": ("负责人", "归属人"),
    "period": ("期间", "月份", "month"),
}
PERIOD_KEY = r"(?:(?:period|期间|月份|month)[=:：])?"  # period=2026-12, as the reader's keys
NUMERIC_MONTH = re.compile(PERIOD_KEY + r"(\d{4})[-/.](\d{1,2})$", re.I)
CHINESE_MONTH = re.compile(PERIOD_KEY + r"(?:(\d{4})年)?(\d{1,2})月份?$", re.I)
RELATIVE_MONTHS = {"本月": 0, "this-month": 0, "上月": -1, "上个月": -1, "last-month": -1,
                   "下月": 1, "下个月": 1, "next-month": 1}  # fmt: skip


def _field(key: str, kind: Kind) -> ReaderField:
    return ReaderField(key, kind, NAMES.get(key, ()), (), positional=True)


SET_FIELDS = (
    _field("department", Kind.RECORD),
    _field("account", Kind.RECORD),
    _field("amount", Kind.MONEY),
    _field("owner", Kind.MEMBER),
)
SHOW_FIELDS = (_field("department", Kind.RECORD),)
PERIOD_FIELD = _field("period", Kind.TEXT)


class BudgetArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def budget(ctx: CommandContext, _args: BudgetArgs) -> Message:
    """/budget set DEPARTMENT ACCOUNT MONTH AMOUNT [owner @member]; /budget [DEPARTMENT] [MONTH]."""
    word, _space, rest = ctx.typed.strip().partition(" ")
    if word.lower() in SET_WORDS:
        return _set(ctx, rest)
    return _show(ctx, ctx.typed)


def _set(ctx: CommandContext, text: str) -> Message:
    if not ctx.may(Permission.FINANCE_POST):
        log.warning("refused.permission", member=ctx.actor.handle, command="budget set")
        raise Forbidden("Only the finance team sets budgets.")
    month, rest = take_month(ctx, text)
    rest = " ".join(w for w in rest.split() if w.lower() not in OWNER_WORDS)
    values = read_required(ctx, SET_FIELDS, rest, ("department", "account"), _known(ctx))
    if month is None:
        raise ask_for(ctx, PERIOD_FIELD)
    if "amount" not in values:
        raise ask_for(ctx, SET_FIELDS[2])
    request = BudgetRequest(
        department=_department(ctx, values["department"]),
        account=_account(ctx, values["account"]),
        year=month.year,
        month=month.month,
        amount=parse_amount(values["amount"]),
        owner_id=_owner(ctx, values["owner"]) if "owner" in values else None,
    )
    saved = set_budget(ctx.session, request, ctx.actor.id, ctx.now)
    status = status_of(ctx.session, saved)
    title = ctx.t(
        _("Budget set: {department} {account} {period}"),
        department=saved.department,
        account=account_label(ctx.session, saved.account_code, ctx.locale),
        period=period_text(saved.year, saved.month),
    )
    currency = get_org(ctx.session).currency
    return Card(
        title=title,
        body=_owner_line(ctx, saved.owner_id),
        fields=budget_fields(ctx.locale, status, currency),
        status=CardStatus.SUCCESS,
    )


def _show(ctx: CommandContext, text: str) -> Message:
    month, rest = take_month(ctx, text)
    month = month or _today(ctx)
    asked = None
    if rest.strip():
        values = read_required(ctx, SHOW_FIELDS, rest, ("department",), _known(ctx))
        asked = _department(ctx, values["department"])
    department = _readable_department(ctx, asked)
    statuses = budget_statuses(ctx.session, department, month.year, month.month)
    title = ctx.t(
        _("Budgets {period}: {department}"),
        period=period_text(month.year, month.month),
        department=department or ctx.t(_("all departments")),
    )
    currency = get_org(ctx.session).currency
    return budgets_card(ctx.session, ctx.locale, title, statuses, currency)


def read_required(
    ctx: CommandContext,
    fields: tuple[ReaderField, ...],
    text: str,
    needed: tuple[str, ...],
    known: Known,
) -> dict[str, str]:
    """Read ``text`` with the kernel's reader: anything unusable is refused, all of it at once,
    and the first of ``needed`` not given is asked for."""
    reading = read(fields, text, Where(ctx.actor.timezone, ctx.now, known))
    problems = unusable(ctx, fields, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    missing = next((f for f in fields if f.key in needed and f.key not in reading.values), None)
    if missing is not None:
        raise ask_for(ctx, missing)
    return reading.values


def _readable_department(ctx: CommandContext, asked: str | None) -> str | None:
    """The department the actor may read (None: all of them), or refused and logged."""
    if ctx.may(Permission.FINANCE_READ):
        return asked
    own = ctx.actor.department
    if ctx.may(Permission.FINANCE_DEPARTMENT) and own and asked in (None, own):
        return own
    log.warning("refused.permission", member=ctx.actor.handle, command="budget", asked=asked)
    if ctx.may(Permission.FINANCE_DEPARTMENT) and own:
        raise Forbidden("You can see the budgets of your own department only.")
    raise Forbidden("Only finance and department managers see budgets.")


def take_month(ctx: CommandContext, text: str) -> tuple[date | None, str]:
    """The month named in ``text`` (``2026-12``, ``2026年12月``, ``12月``, ``本月``,
    ``last-month``, ``period=2026-12``) as its first day, and the other words."""
    found: date | None = None
    rest: list[str] = []
    for word in text.split():
        month = None if found else _month_of(ctx, word)
        if month is None:
            rest.append(word)
        else:
            found = month
    return found, " ".join(rest)


def _month_of(ctx: CommandContext, word: str) -> date | None:
    today = _today(ctx)
    for pattern in (NUMERIC_MONTH, CHINESE_MONTH):
        matched = pattern.match(word)
        if matched:
            year = int(matched[1]) if matched[1] else today.year
            month = int(matched[2])
            if not 1 <= month <= 12:
                raise DomainError("{word} is not a month.", word=word)
            return date(year, month, 1)
    shift = RELATIVE_MONTHS.get(word.lower())
    if shift is None:
        return None
    index = today.year * 12 + today.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _today(ctx: CommandContext) -> date:
    """The first day of the actor's current month."""
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date().replace(day=1)


def _known(ctx: CommandContext) -> Known:
    """Departments by name, accounts by code or name, members by handle."""

    def known(item: ReaderField, text: str) -> bool:
        if item.key == "department":
            return _find_department(ctx, text) is not None
        if item.key == "account":
            return _find_account(ctx, text) is not None
        if item.key == "owner":
            return _find_member(ctx, text) is not None
        return False

    return known


def _find_department(ctx: CommandContext, text: str) -> str | None:
    query = select(Department.name).where(Department.name == text)
    return ctx.session.scalar(query)


def _find_account(ctx: CommandContext, text: str) -> str | None:
    query = select(Account.code).where(
        or_(Account.code == text, Account.name_zh == text, Account.name_en == text)
    )
    return ctx.session.scalars(query).first()


def _find_member(ctx: CommandContext, text: str) -> int | None:
    handle = text.removeprefix("@")
    return ctx.session.scalar(select(Member.id).where(Member.handle == handle, Member.active))


def _department(ctx: CommandContext, text: str) -> str:
    name = _find_department(ctx, text)
    if name is None:
        raise NotFound("There is no department {department}.", department=text[:64])
    return name


def _account(ctx: CommandContext, text: str) -> str:
    code = _find_account(ctx, text)
    if code is None:
        raise NotFound("There is no account {account}.", account=text[:64])
    return code


def _owner(ctx: CommandContext, text: str) -> int:
    member_id = _find_member(ctx, text)
    if member_id is None:
        raise NotFound("There is no member {handle}.", handle=text[:64])
    return member_id


def _owner_line(ctx: CommandContext, owner_id: int | None) -> str:
    if owner_id is None:
        return ctx.t(_("No owner: nobody gets its spending alerts."))
    owner = ctx.session.get_one(Member, owner_id)
    return ctx.t(_("{name} gets its spending alerts at 80% and 100%."), name=owner.name)


def register(router: Router) -> None:
    """Register /budget."""
    router.add(
        CommandSpec(
            name="budget",
            summary=_("A month's budgets: budget, spent, left and % used; or set one"),
            handler=budget,
            args=BudgetArgs,
            aliases=("预算",),
            examples=(
                _("/budget Sales 2026-12"),
                _("/budget set Sales 5602 2026-12 30000 owner @li"),
            ),
        )
    )

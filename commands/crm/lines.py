"""How the CRM commands read a line: one table of field names in both languages, the kernel's
argument reader, and records named by number or by name (several matches: buttons to pick).

``/客户 新增 杭州明远 行业=制造业 电话=0571-8888``, ``/contact add Acme Li Na title=Purchasing
Manager``, ``/商机 新增 明远 ERP项目 金额=12万 预计成交=月底``, ``/ticket 明远 3 units damaged``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import record_number
from bot.picking import Ambiguous, Missing, Option, pick_card, with_choice
from bot.reader import Choice, Field, Kind, Reading, Where, read
from commands.crm.customer_common import customer_for, scope
from domain.crm.access import customer_in_scope
from domain.crm.customers import find_customers
from domain.crm.deals import find_deals
from domain.crm.models import Customer
from domain.crm.scope import Scope
from domain.directory.services import find_member
from domain.shared.errors import DomainError, NotFound

log = structlog.get_logger(__name__)
PICK_LIMIT = 8

# every field a CRM line can carry, and the words for it besides its key
NAMES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "名字", "姓名"),
    "kind": ("类型",),
    "industry": ("行业",),
    "tier": ("等级", "级别"),
    "source": ("来源",),
    "tags": ("标签",),
    "phone": ("电话", "手机"),
    "email": ("邮箱", "电邮", "邮件"),
    "address": ("地址",),
    "key": ("编号", "外部编号"),
    "owner": ("负责人", "销售"),
    "title": ("职位", "职务"),
    "channel": ("渠道",),
    "lang": ("语言", "language"),
    "prefs": ("偏好",),
    "amount": ("金额",),
    "close": ("成交日期", "预计成交", "预计成交日期", "成交"),
    "currency": ("币种", "货币"),
    "next": ("下一步", "next step"),
    "campaign": ("活动",),
    "reason": ("原因", "理由"),
    "priority": ("优先级",),
    "category": ("类别",),
    "contact": ("联系人",),
    "customer": ("客户",),
    "status": ("状态",),
    "public": ("公开",),
    "company": ("公司",),
    "deal": ("商机",),
    "budget": ("预算",),
    "goal": ("目标",),
    "start": ("开始", "开始日期"),
    "end": ("结束", "结束日期"),
    "with": ("成员", "参与人"),
}
KIND_CHOICES = (Choice("company", ("公司", "企业")), Choice("person", ("个人",)))
PRIORITY_CHOICES = (
    Choice("low", ("低",)),
    Choice("normal", ("普通", "中")),
    Choice("high", ("高",)),
    Choice("urgent", ("紧急", "加急")),
)


def field(
    key: str, kind: Kind = Kind.TEXT, *, positional: bool = False, choices: Sequence[Choice] = ()
) -> Field:
    """A CRM field with its names from the table."""
    return Field(key, kind, NAMES.get(key, ()), tuple(choices), positional=positional)


def read_line(ctx: CommandContext, fields: Sequence[Field], text: str) -> Reading:
    """Read ``text`` against ``fields``; anything unusable is refused, all of it at once."""
    reading = read(fields, text, Where(ctx.actor.timezone, ctx.now, _known(ctx)))
    problems = unusable(ctx, fields, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    return reading


def unusable(ctx: CommandContext, fields: Sequence[Field], reading: Reading) -> str:
    """Every reason the line cannot be used, in the reader's language (empty if none)."""
    by_key = {f.key: f for f in fields}
    lines = [ctx.t(_("There is no field {key} here."), key=key) for key in reading.unknown_keys]
    lines += [_unreadable(ctx, by_key[key], text) for key, text in reading.unreadable.items()]
    if reading.unplaced:
        words = " ".join(reading.unplaced)
        lines.append(ctx.t(_('I could not tell what "{words}" is for.'), words=words))
    if not lines:
        return ""
    return "\n".join([*lines, ctx.t(_("You can give: {fields}"), fields=names_of(ctx, fields))])


def _unreadable(ctx: CommandContext, item: Field, text: str) -> str:
    name = display_name(ctx, item)
    if not item.choices:
        return ctx.t(_('I can\'t read "{text}" as {field}.'), text=text, field=name)
    joiner = "、" if ctx.locale.startswith("zh") else ", "
    choices = joiner.join(_choice_name(ctx, c) for c in item.choices)
    return ctx.t(
        _('{field} must be one of {choices}, not "{text}".'), field=name, choices=choices, text=text
    )


def _choice_name(ctx: CommandContext, choice: Choice) -> str:
    chinese = [w for w in choice.words if not w.isascii()]
    return chinese[0] if ctx.locale.startswith("zh") and chinese else choice.value


def display_name(ctx: CommandContext, item: Field) -> str:
    """A field's name as the reader would type it: its first Chinese name for a Chinese reader."""
    chinese = [n for n in item.names if not n.isascii()]
    return chinese[0] if ctx.locale.startswith("zh") and chinese else item.key


def names_of(ctx: CommandContext, fields: Sequence[Field]) -> str:
    """The fields as the reader would type them."""
    joiner = "、" if ctx.locale.startswith("zh") else ", "
    return joiner.join(display_name(ctx, f) for f in fields)


def ask_for(ctx: CommandContext, item: Field) -> Missing:
    """The question for a missing field; the answer runs the command again with it."""
    question = ctx.t(_("{field}?"), field=display_name(ctx, item))
    choices = [(_choice_name(ctx, c), c.value) for c in item.choices]
    return Missing(question, ctx.event.text.strip(), item.key, choices)


def customer_named(ctx: CommandContext, text: str, *, within: Scope | None = None) -> Customer:
    """The customer a member named by number or by (part of a) name, phone or email, in their
    scope (or ``within`` another, such as a ticket's). Several matches: they pick one with a
    button; none: a clear answer, logged."""
    reach = within or scope(ctx)
    if record_number(text) is not None and within is None:
        return customer_for(ctx, text)
    found = find_customers(ctx.session, reach, text, limit=PICK_LIMIT + 1)
    exact = [c for c in found.customers if c.name.casefold() == text.casefold()]
    if found.total == 1 or len(exact) == 1:
        return customer_in_scope(ctx.session, reach, (exact or found.customers)[0].id)
    if found.total == 0:
        log.warning("refused.crm_no_match", member=ctx.actor.handle, customer=text[:32])
        raise NotFound("No customer you can see matches {name}.", name=text)
    options = [
        Option(f"#{c.id} {c.name}", with_choice(ctx.event.text, text, c.id))
        for c in found.customers
    ]
    question = ctx.t(_("Which customer do you mean by {name}?"), name=text)
    raise Ambiguous(pick_card(question, options))


def deal_named(ctx: CommandContext, text: str) -> int:
    """The id of the deal a member named by number or by (part of) its or its customer's name,
    in their scope; several: buttons to pick; none: a clear answer, logged."""
    number = record_number(text)
    if number is not None:
        return number
    found = find_deals(ctx.session, scope(ctx), text, limit=PICK_LIMIT + 1)
    exact = [d for d in found if d.name.casefold() == text.casefold()]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0].id
    if not found:
        log.warning("refused.crm_no_match", member=ctx.actor.handle, deal=text[:32])
        raise NotFound("No deal you can see matches {name}.", name=text)
    options = [
        Option(f"#{d.id} {d.name} · {d.customer_name}", with_choice(ctx.event.text, text, d.id))
        for d in found
    ]
    question = ctx.t(_("Which deal do you mean by {name}?"), name=text)
    raise Ambiguous(pick_card(question, options))


def _known(ctx: CommandContext) -> Callable[[Field, str], bool]:
    def known(item: Field, text: str) -> bool:
        if item.kind is Kind.MEMBER:
            return find_member(ctx.session, text.lstrip("@")) is not None
        if len(text) < 2:
            return False
        if item.key == "customer":
            return find_customers(ctx.session, scope(ctx), text, limit=1).total > 0
        if item.key == "deal":
            return bool(find_deals(ctx.session, scope(ctx), text, limit=1))
        return False

    return known

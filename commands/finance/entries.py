"""/entry (/记账): a manual journal entry, and /entry reverse (/记账 冲销) of a posted one.

``/记账 2026-12-05 借 管理费用 500 贷 库存现金 500 备注 办公用品`` or
``/entry dr 5602 500 cr 1001 500 memo "office supplies"``: each ``借``/``dr``/``debit`` or
``贷``/``cr``/``credit`` starts a line (an account by code or name, an amount as the reader takes
money, and optionally ``部门=`` / ``department=`` for that line); before the first line come the
date (default: today) and the memo, ``部门=`` there applies to every line. The entry is posted
through ``post_entry`` in the general journal, once per chat message (its source id is the
message), so a redelivered message posts nothing more. ``/entry reverse GJ2026-00003 [DATE]``
posts the mirror of an entry. Permission ``finance.post``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import split_words
from bot.reader import Field as ReaderField
from bot.reader import Kind, Where, read
from bot.replies import Card, CardStatus, Message
from bot.router import CommandSpec, Router
from commands.crm.lines import ask_for, unusable
from commands.finance.lines import account_named
from domain.directory.roles import Permission
from domain.directory.services import get_org
from domain.finance.closing import CLOSING_SOURCE
from domain.finance.models import Account, Entry
from domain.finance.posting import (
    EntryRefused,
    EntryRequest,
    LineRequest,
    Posted,
    entry_lines,
    post_entry,
    reverse_entry,
)
from domain.shared.errors import Conflict, DomainError, NotFound

MANUAL_SOURCE = "finance.manual"
SOURCE_ID_LENGTH = 64  # finance_entries.source_id
DEBIT_WORDS = frozenset({"借", "借方", "dr", "debit"})
CREDIT_WORDS = frozenset({"贷", "贷方", "cr", "credit"})
MEMO_WORDS = frozenset({"备注", "摘要", "memo", "note"})
TRAILING_AMOUNT = re.compile(r"[¥￥]?[0-9零〇一二两三四五六七八九十百千万亿.,]+[元块]?$")
LINES_WORDS = frozenset({"lines", "分录"})  # the key an answer to "lines?" comes back with
REVERSE_WORDS = frozenset({"reverse", "冲销", "红冲", "冲回"})
HEAD_FIELDS = (
    ReaderField("date", Kind.DATE, ("日期", "on")),
    ReaderField("department", Kind.TEXT, ("部门", "dept"), positional=False),
    ReaderField("memo", Kind.TEXT, ()),
)
HEAD_KEYS = frozenset(name for item in HEAD_FIELDS[:2] for name in item.called())
LINE_FIELDS = (
    ReaderField("account", Kind.RECORD, ("科目",)),
    ReaderField("amount", Kind.MONEY, ("金额",)),
    ReaderField("department", Kind.TEXT, ("部门", "dept"), positional=False),
)
LINES_FIELD = ReaderField("lines", Kind.TEXT, ("分录",))
REVERSE_FIELDS = (
    ReaderField("entry", Kind.TEXT, ("凭证", "凭证号", "number")),
    ReaderField("date", Kind.DATE, ("日期", "on")),
)


class EntryArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


@dataclass
class _Typed:
    """An entry as typed: the words before the first line, each line's words, the memo's."""

    head: list[str] = field(default_factory=list)
    lines: list[tuple[str, list[str]]] = field(default_factory=list)  # ("debit"|"credit", words)
    memo: list[str] = field(default_factory=list)


def entry(ctx: CommandContext, _args: EntryArgs) -> Message:
    """/entry [DATE] [MEMO] dr ACCOUNT AMOUNT … cr ACCOUNT AMOUNT … [memo TEXT]."""
    word, _space, rest = ctx.typed.strip().partition(" ")
    if word.lower() in REVERSE_WORDS:
        return _reverse(ctx, rest)
    typed = _split(ctx, split_words(ctx.typed))
    if not typed.lines:
        raise ask_for(ctx, LINES_FIELD)
    head = _read(ctx, HEAD_FIELDS, typed.head)
    memo = " ".join(filter(None, (head.get("memo", ""), " ".join(typed.memo))))
    department = head.get("department", "")
    lines = [
        _line(ctx, side, words, department, last=n == len(typed.lines))
        for n, (side, words) in enumerate(typed.lines, start=1)
    ]
    request = EntryRequest(
        journal="GJ",
        on=date.fromisoformat(head["date"]) if "date" in head else _today(ctx),
        lines=lines,
        memo=memo[:200],
        source=MANUAL_SOURCE,
        source_id=message_key(ctx),
        currency=get_org(ctx.session).currency,
    )
    return entry_card(ctx, _posted(ctx, lambda: post_entry(ctx.session, request, ctx.now)))


def message_key(ctx: CommandContext) -> str:
    """The chat message as an entry's source id (hashed when too long for the column)."""
    key = f"chat:{ctx.event.address.channel}:{ctx.event.event_id}"
    if len(key) <= SOURCE_ID_LENGTH:
        return key
    return "chat:" + hashlib.sha256(key.encode()).hexdigest()[: SOURCE_ID_LENGTH - 5]


def _split(ctx: CommandContext, words: list[str]) -> _Typed:
    """Cut the words at each debit, credit and memo word (``借``, ``cr:``, ``备注=``…)."""
    typed = _Typed()
    current = typed.head
    for word in words:
        key, keyed, rest = word.partition("=")
        if keyed and key.lower() in LINES_WORDS:  # an answer to "lines?"
            word = rest
        head, marked, value = _marker(ctx, word)
        if marked in ("debit", "credit"):
            typed.lines.append((marked, []))
            current = typed.lines[-1][1]
        elif marked == "memo":
            current = typed.memo
        elif current is typed.memo and head in HEAD_KEYS:  # memo … date=…: back to the head
            typed.head.append(value)
            continue
        if value:
            current.append(value)
    return typed


def _marker(ctx: CommandContext, word: str) -> tuple[str, str, str]:
    """A word as (its key, what it marks: debit, credit, memo or "", the value it carries)."""
    for separator in ("=", ":", "："):
        key, found, value = word.partition(separator)
        if found and key:
            break
    else:
        key, value = word, ""
    lowered = key.lower()
    for marks, words in (("debit", DEBIT_WORDS), ("credit", CREDIT_WORDS), ("memo", MEMO_WORDS)):
        if lowered in words:
            return lowered, marks, value
    glued = word[:1]  # 借管理费用500: Chinese glues the side to the account
    if glued in "借贷" and len(word) > 1 and _names_account(ctx, TRAILING_AMOUNT.sub("", word[1:])):
        return glued, "debit" if glued == "借" else "credit", word[1:]
    return lowered, "", word


def _names_account(ctx: CommandContext, text: str) -> bool:
    return bool(text) and account_named(ctx.session, text) is not None


def _read(ctx: CommandContext, fields: tuple[ReaderField, ...], words: list[str]) -> dict[str, str]:
    known = lambda item, text: item.key == "account" and _names_account(ctx, text)  # noqa: E731
    reading = read(fields, " ".join(words), Where(ctx.actor.timezone, ctx.now, known))
    problems = unusable(ctx, fields, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    return reading.values


def _line(
    ctx: CommandContext, side: str, words: list[str], department: str, *, last: bool
) -> LineRequest:
    values = _read(ctx, LINE_FIELDS, words)
    for item in LINE_FIELDS[:2]:
        if item.key not in values:
            if last:  # the answer comes back at the end of the line, so in this line
                raise ask_for(ctx, item)
            raise DomainError(
                "Each line needs an account and an amount: {line}", line=" ".join(words) or side
            )
    account = account_named(ctx.session, values["account"])
    amount = Decimal(values["amount"])
    return LineRequest(
        account=account.code if account is not None else values["account"],
        debit=amount if side == "debit" else Decimal(0),
        credit=amount if side == "credit" else Decimal(0),
        department=values.get("department", department),
    )


def _posted(ctx: CommandContext, post: Callable[[], Posted]) -> Posted:
    """Post, turning a refusal into its problems in the reader's language."""
    try:
        return post()
    except EntryRefused as refused:
        raise DomainError(
            "The entry cannot be posted: {problems}", problems=refusal(ctx, refused)
        ) from None


def refusal(ctx: CommandContext, refused: EntryRefused) -> str:
    """Every problem of a refused entry in the reader's language."""
    return "; ".join(ctx.t(p.message, **p.params) for p in refused.problems)


def _reverse(ctx: CommandContext, text: str) -> Message:
    reading = read(REVERSE_FIELDS, text, Where(ctx.actor.timezone, ctx.now))
    problems = unusable(ctx, REVERSE_FIELDS, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    if "entry" not in reading.values:
        raise ask_for(ctx, REVERSE_FIELDS[0])
    number = reading.values["entry"].strip().upper()
    original = ctx.session.scalar(select(Entry).where(Entry.number == number))
    if original is None:
        raise NotFound("There is no entry {entry}.", entry=number)
    if original.source == CLOSING_SOURCE:
        raise Conflict("{number} closes a year; it cannot be reversed.", number=number)
    day = reading.values.get("date")
    on = date.fromisoformat(day) if day else _today(ctx)
    return entry_card(
        ctx, _posted(ctx, lambda: reverse_entry(ctx.session, original.id, on, ctx.now))
    )


def entry_card(ctx: CommandContext, posted: Posted) -> Card:
    """The posted entry: its number, date, memo and lines."""
    posted_entry = posted.entry
    chinese = ctx.locale.startswith("zh")
    lines = []
    for line in entry_lines(ctx.session, posted_entry.id):
        account = ctx.session.get_one(Account, line.account_id)
        side = ctx.t(_("Dr")) if line.debit else ctx.t(_("Cr"))
        name = account.name_zh if chinese else account.name_en
        where = f" ({line.department})" if line.department else ""
        lines.append(f"{side} {account.code} {name} {line.debit or line.credit:,.2f}{where}")
    body = [
        posted_entry.entry_date.isoformat() + (f" {posted_entry.memo}" if posted_entry.memo else "")
    ]
    body += lines
    if not posted.new:
        body.append(ctx.t(_("This entry was posted before; nothing changed.")))
    return Card(
        title=ctx.t(_("Entry {number} posted"), number=posted_entry.number),
        body="\n".join(body),
        status=CardStatus.SUCCESS if posted.new else CardStatus.INFO,
    )


def _today(ctx: CommandContext) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def register(router: Router) -> None:
    """Register /entry."""
    router.add(
        CommandSpec(
            name="entry",
            summary=_("Post a journal entry by hand, or reverse one"),
            handler=entry,
            args=EntryArgs,
            aliases=("记账", "凭证"),
            permission=Permission.FINANCE_POST,
            details=_(
                "Each dr (借) or cr (贷) starts a line: an account by code or name and an amount; "
                "the date and a memo (memo=, 备注) may come first or last. Reverse a posted entry "
                "with /entry reverse NUMBER."
            ),
            examples=(
                _("/entry dr 5602 500 cr 1001 500 memo office supplies"),
                _("/记账 2026-12-05 借 管理费用 500 贷 库存现金 500 备注 办公用品"),
                _("/entry reverse GJ2026-00003"),
            ),
        )
    )

"""/ar (/应收) and /ap (/应付): who owes us and whom we owe, by how long past due; with a party,
its statement of account. Permission ``finance.read`` (the finance role and the admins)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Kind
from bot.replies import Card, CardStatus, Message
from bot.replies import Field as CardField
from bot.router import CommandSpec, Router
from commands.erp.lines import read_fields
from commands.finance.lines import field, knows_party, party_of
from domain.directory.roles import Permission
from domain.finance.items_models import CUSTOMER, EMPLOYEE, PAYABLE, RECEIVABLE, SUPPLIER
from domain.finance.open_items import BUCKETS, PartyAgeing, Statement, ageing, statement

FIELDS = (field("party", Kind.RECORD, positional=True), field("date", Kind.DATE))
BUCKET_NAMES = {
    "current": _("not yet due"),
    "1-30": _("1–30 days"),
    "31-60": _("31–60 days"),
    "61-90": _("61–90 days"),
    "90+": _("over 90 days"),
}
ZERO = Decimal(0)


class AgeingArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def receivables(ctx: CommandContext, _args: AgeingArgs) -> Message:
    """The customers' ageing, or one customer's statement of account."""
    return _answer(ctx, RECEIVABLE, (CUSTOMER,))


def payables(ctx: CommandContext, _args: AgeingArgs) -> Message:
    """The suppliers' and employees' ageing, or one party's statement of account."""
    return _answer(ctx, PAYABLE, (SUPPLIER, EMPLOYEE))


def _answer(ctx: CommandContext, kind: str, kinds: tuple[str, ...]) -> Message:
    values = read_fields(ctx, FIELDS, ctx.typed, knows_party(ctx, kinds)).values
    as_of = date.fromisoformat(values["date"]) if "date" in values else _today(ctx)
    if "party" in values:
        return statement_card(ctx, statement(ctx.session, party_of(ctx, kinds, values["party"])))
    return ageing_card(ctx, kind, ageing(ctx.session, kind, as_of), as_of)


def ageing_card(ctx: CommandContext, kind: str, rows: list[PartyAgeing], as_of: date) -> Card:
    """Per party its open amount and the past-due buckets it falls in; the totals per bucket."""
    title = _("Receivables on {date}") if kind == RECEIVABLE else _("Payables on {date}")
    lines = [_party_line(ctx, row) for row in rows]
    totals = {b: sum((r.buckets[b] for r in rows), ZERO) for b in BUCKETS}
    fields = [CardField(ctx.t(BUCKET_NAMES[b]), _money(totals[b])) for b in BUCKETS]
    fields.append(CardField(ctx.t(_("Total")), _money(sum(totals.values(), ZERO))))
    late = sum((totals[b] for b in BUCKETS[1:]), ZERO)
    return Card(
        title=ctx.t(title, date=as_of.isoformat()),
        body="\n".join(lines) or ctx.t(_("Nothing is open.")),
        fields=tuple(fields),
        status=CardStatus.WARNING if late else CardStatus.INFO,
    )


def _party_line(ctx: CommandContext, row: PartyAgeing) -> str:
    parts = [
        f"{ctx.t(BUCKET_NAMES[b])} {_money(row.buckets[b])}" for b in BUCKETS if row.buckets[b]
    ]
    if row.credit:
        parts.append(ctx.t(_("credit {amount}"), amount=_money(row.credit)))
    return f"{row.party.name}: {_money(row.total)} ({'; '.join(parts)})"


def statement_card(ctx: CommandContext, found: Statement) -> Card:
    """A party's documents and payments with the running balance, and what is still open."""
    lines = [
        ctx.t(
            _("{date} {what} {number} {amount} → {balance}"),
            date=line.on.isoformat(),
            what=ctx.t(_("document") if line.what == "document" else _("payment")),
            number=line.number,
            amount=_money(line.amount),
            balance=_money(line.balance),
        )
        for line in found.lines
    ]
    open_items = [
        ctx.t(
            _("{number} due {due}: {amount}"),
            number=i.document,
            due=i.due_on.isoformat(),
            amount=_money(i.open_amount),
        )
        for i in found.open_items
    ]
    return Card(
        title=ctx.t(_("Statement of account: {party}"), party=found.party.name),
        body="\n".join(lines) or ctx.t(_("Nothing is booked for them.")),
        fields=(
            CardField(ctx.t(_("Open documents")), "\n".join(open_items) or "0"),
            CardField(ctx.t(_("Balance")), _money(found.balance)),
        ),
    )


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _today(ctx: CommandContext) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def register(router: Router) -> None:
    """Register /ar and /ap."""
    router.add(
        CommandSpec(
            name="ar",
            summary=_("Receivables: who owes us, by how long past due"),
            handler=receivables,
            args=AgeingArgs,
            aliases=("应收", "receivables"),
            permission=Permission.FINANCE_READ,
            details=_("With a customer: their statement of account. date= ages on another day."),
            examples=(_("/ar"), _("/应收 明远")),
        )
    )
    router.add(
        CommandSpec(
            name="ap",
            summary=_("Payables: whom we owe, by how long past due"),
            handler=payables,
            args=AgeingArgs,
            aliases=("应付", "payables"),
            permission=Permission.FINANCE_READ,
            details=_("With a supplier or an employee: their statement of account."),
            examples=(_("/ap"), _("/应付 华东钢材")),
        )
    )

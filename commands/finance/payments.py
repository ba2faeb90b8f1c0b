"""/receipt (/收款) and /payment (/付款): money in from a customer, money out to a supplier or an
employee, posted to the bank and matched to the party's documents.

``/收款 明远 11300 发票=SJ2026-00001`` pays that invoice; without a document the party's oldest
open items are paid first; what is left over stays a credit on the party (and pays its next
documents). The message that recorded a payment is its key: a redelivered message or a second
tap records one payment. Permission ``finance.post``."""

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
from commands.erp.lines import read_fields, require
from commands.finance.lines import field, knows_party, party_of
from domain.directory.roles import Permission
from domain.finance.items_models import CUSTOMER, EMPLOYEE, SUPPLIER
from domain.finance.open_items import PaymentRequest, Recorded, party_credit, record_payment

FIELDS = (
    field("party", Kind.RECORD, positional=True),
    field("amount", Kind.MONEY, positional=True),
    field("invoice"),
    field("date", Kind.DATE),
    field("ref"),
)
RECEIPT_PARTIES = (CUSTOMER,)
PAYMENT_PARTIES = (SUPPLIER, EMPLOYEE)


class PaymentArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def receipt(ctx: CommandContext, _args: PaymentArgs) -> Message:
    """Record money received from a customer."""
    return _record(ctx, RECEIPT_PARTIES)


def payment(ctx: CommandContext, _args: PaymentArgs) -> Message:
    """Record money paid to a supplier or an employee."""
    return _record(ctx, PAYMENT_PARTIES)


def _record(ctx: CommandContext, kinds: tuple[str, ...]) -> Message:
    reading = read_fields(ctx, FIELDS, ctx.typed, knows_party(ctx, kinds))
    require(ctx, FIELDS, reading, ("party", "amount"))
    values = reading.values
    party = party_of(ctx, kinds, values["party"])
    documents = [d for d in values.get("invoice", "").replace("，", ",").split(",") if d.strip()]
    request = PaymentRequest(
        key=f"chat:{ctx.event.address.channel}:{ctx.event.event_id}",
        party=party,
        paid_on=date.fromisoformat(values["date"]) if "date" in values else _today(ctx),
        amount=Decimal(values["amount"]),
        documents=[d.strip() for d in documents],
        reference=values.get("ref", ""),
        actor_id=ctx.actor.id,
    )
    recorded = record_payment(ctx.session, request, ctx.now)
    return payment_card(ctx, recorded, party_credit(ctx.session, party))


def payment_card(ctx: CommandContext, recorded: Recorded, credit: Decimal) -> Card:
    """What was recorded, what it paid and the party's credit."""
    paid = recorded.payment
    incoming = paid.direction == "in"
    title = _("Received {amount} from {party}") if incoming else _("Paid {amount} to {party}")
    matched = "\n".join(f"{number}: {amount:,.2f}" for number, amount in recorded.matched)
    fields = [
        CardField(ctx.t(_("Date")), paid.paid_on.isoformat()),
        CardField(ctx.t(_("Matched")), matched or ctx.t(_("nothing (kept as a credit)"))),
    ]
    if paid.unapplied:
        fields.append(CardField(ctx.t(_("Left as a credit")), f"{paid.unapplied:,.2f}"))
    fields.append(CardField(ctx.t(_("Credit of the party")), f"{credit:,.2f}"))
    body = "" if recorded.new else ctx.t(_("This payment was recorded before; nothing changed."))
    return Card(
        title=ctx.t(title, amount=f"{paid.amount:,.2f}", party=paid.party_name),
        body=body,
        fields=tuple(fields),
        status=CardStatus.SUCCESS if recorded.new else CardStatus.INFO,
    )


def _today(ctx: CommandContext) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def register(router: Router) -> None:
    """Register /receipt and /payment."""
    router.add(
        CommandSpec(
            name="receipt",
            summary=_("Record money received from a customer, matched to its invoices"),
            handler=receipt,
            args=PaymentArgs,
            aliases=("收款",),
            permission=Permission.FINANCE_POST,
            details=_(
                "Name the invoices it pays with invoice=, else the oldest are paid first; "
                "what is left over stays a credit on the customer."
            ),
            examples=(_("/receipt Acme 1130"), _("/收款 明远 11300 发票=SJ2026-00001")),
        )
    )
    router.add(
        CommandSpec(
            name="payment",
            summary=_("Record money paid to a supplier or an employee, matched to its bills"),
            handler=payment,
            args=PaymentArgs,
            aliases=("付款",),
            permission=Permission.FINANCE_POST,
            details=_(
                "Name the bills it pays with invoice=, else the oldest are paid first; "
                "what is left over stays a credit on the supplier."
            ),
            examples=(_("/payment Hangzhou Steel 5000"), _("/付款 华东钢材 5000")),
        )
    )

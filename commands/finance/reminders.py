"""Payment reminders (``domain.flows.payment_reminders``): the rep's card about an overdue
invoice, then a polite reminder to the customer's contacts who are chat guests, each in their
own language with the invoice as a PDF in that language, through the chat they use
(``commands/crm/reach.tell_contact``)."""

from __future__ import annotations

from bot.context import TimerContext, TimerHandler
from bot.i18n import _, t
from bot.replies import Card, CardStatus, Field, Reply
from commands.crm.reach import tell_contact
from commands.flows.sales_steps import remind_in_room
from domain.crm.customers import contacts_of
from domain.directory.services import get_org
from domain.finance.invoice_pdf import render_invoice
from domain.flows import payment_reminders
from domain.flows.payment_reminders import REP, Due
from domain.timers.services import TimerView

GUEST_TEXT = _(
    "{company}: a friendly reminder that invoice {document} of {issued}, {amount} {currency}, "
    "was due on {due}. If it is paid already, thank you, and please ignore this message."
)


def fire(ctx: TimerContext, timer: TimerView) -> None:
    """Send the reminder that fell due (none if the invoice is paid) and set the next one."""
    item_id, stage = int(timer.payload["item"]), str(timer.payload["stage"])
    due = payment_reminders.due_reminder(ctx.session, item_id, stage, ctx.now)
    if due is None:
        return
    subject = f"finance:reminder:{due.item.id}"
    if due.stage == REP:
        rep = ctx.member(due.customer.owner_id)
        ctx.notify(rep.id, rep_card(rep.locale, due), subject=subject)
        remind_in_room(ctx, due)
    else:
        _tell_contacts(ctx, due, subject)
    payment_reminders.next_reminder(ctx.session, due, ctx.now)


def rep_card(locale: str, due: Due) -> Card:
    """What the rep reads first: the invoice, how late, and that the customer is told next."""
    item = due.item
    return Card(
        title=t(locale, _("Overdue: {customer} {document}"), customer=due.customer.name,
                document=item.document),
        body=t(
            locale,
            _("{days} days past due. Their contacts on chat get a polite reminder in {after} "
              "days unless it is paid."),
            days=due.days_late,
            after=payment_reminders.GUEST_AFTER.days,
        ),
        fields=(
            Field(t(locale, _("Open amount")), f"{item.open_amount:,.2f} {item.currency}"),
            Field(t(locale, _("Due date")), item.due_on.isoformat()),
        ),
        status=CardStatus.WARNING,
    )  # fmt: skip


def _tell_contacts(ctx: TimerContext, due: Due, subject: str) -> None:
    org = get_org(ctx.session)
    item = due.item

    def compose(locale: str) -> Reply:
        text = t(locale, GUEST_TEXT, company=org.name, document=item.document,
                 issued=item.issued_on.isoformat(), amount=f"{item.open_amount:,.2f}",
                 currency=item.currency, due=item.due_on.isoformat())  # fmt: skip
        invoice = render_invoice(ctx.session, item, org.name, locale)
        return Reply(text).with_file(f"{item.document}.pdf", "application/pdf", invoice)

    for contact in contacts_of(ctx.session, due.customer.id):
        tell_contact(
            ctx.session, ctx.outbox, contact.id, compose, fallback_locale=org.locale,
            subject=subject,
        )  # fmt: skip


TIMER_HANDLERS: dict[str, TimerHandler] = {payment_reminders.KIND: fire}

"""Business events → journal entries and open items (issue 15 point 2).

One consumer books every event finance cares about, each once (the consumer's row per event,
and the entry's ``source`` + ``source_id`` when two processes race):

- ``order.delivered`` → the customer invoice (Dr receivable, Cr revenue, Cr output VAT; an open
  customer item) and the cost of the goods sold at the value the delivery moves took out of
  stock, the moving average of that moment (Dr cost of sales, Cr inventory);
- ``goods.received`` → the supplier bill (Dr inventory, Dr input VAT, Cr payable; an open
  supplier item due by the supplier's payment terms);
- ``ExpenseApproved`` → the claim (Dr expense per line with the claimant's department, Cr other
  payable; an open item owed to the employee, due at once);
- ``production.reported`` → components into work in progress, labour into it, finished goods
  out of it at the output value and scrap out of it as a loss;
- ``stock.adjusted`` → an approved count's differences against the count-difference account.

Accounts come by role (``domain.finance.account_roles``). With no chart installed the handler
raises ``BooksNotSetUp``: the event is retried and then parked with that reason, and
``bizbot events retry`` books it once the chart is installed. A document that needs a human (a
zero price, a foreign currency, nothing to claim) is not guessed at: the handler books what it
can and returns an ``Attention`` for the finance members' card."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.services import get_org, member_view
from domain.erp.counting import ADJUSTED
from domain.erp.models import Product
from domain.erp.production import REPORTED
from domain.erp.purchase_models import Supplier
from domain.erp.receiving import GOODS_RECEIVED
from domain.erp.sales import DELIVERED
from domain.finance.account_roles import code_for, installed_chart, inventory_role
from domain.finance.items_models import CUSTOMER, EMPLOYEE, SUPPLIER
from domain.finance.models import Account, Entry, EntryLine
from domain.finance.open_items import (
    ITEM_ROLE,
    ItemRequest,
    Opened,
    Party,
    due_date,
    open_item,
)
from domain.finance.posting import EntryRequest, LineRequest, post_entry
from domain.flows.payment_reminders import first_reminder
from domain.shared.domain_events import DomainEvent
from domain.shared.money import quantize

CONSUMER = "finance.postings"
EXPENSE_APPROVED = "ExpenseApproved"  # the bundled expense template's approved event
EVENTS = frozenset({DELIVERED, GOODS_RECEIVED, EXPENSE_APPROVED, REPORTED, ADJUSTED})
ZERO = Decimal(0)
DEFAULT_VAT_RATE = Decimal("0.13")  # the org default when an event carries no rate (older events)


@dataclass(frozen=True)
class Attention:
    """A document finance must look at instead of a guessed entry: an English msgid and what
    fills it."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Lines:
    """Debits and credits by account (and department), added up before posting."""

    chart: str
    amounts: dict[tuple[str, str, str], Decimal] = field(
        default_factory=lambda: defaultdict(lambda: ZERO)
    )

    def debit(self, role: str, amount: Decimal, department: str = "") -> None:
        if amount:
            self.amounts[(code_for(self.chart, role), "debit", department)] += amount

    def credit(self, role: str, amount: Decimal, department: str = "") -> None:
        if amount:
            self.amounts[(code_for(self.chart, role), "credit", department)] += amount

    def requests(self) -> list[LineRequest]:
        """Debits first, then credits; a negative amount goes to the other side."""
        lines = []
        for (code, side, department), amount in self.amounts.items():
            debit = (side == "debit") == (amount > 0)
            value = abs(amount)
            if value:
                lines.append(
                    LineRequest(
                        code,
                        debit=value if debit else ZERO,
                        credit=ZERO if debit else value,
                        department=department,
                    )
                )
        return sorted(lines, key=lambda line: line.debit == 0)


def book(session: Session, event: DomainEvent, now: datetime) -> list[Attention]:
    """Book one business event; what needs a human is returned, not guessed."""
    chart = installed_chart(session)  # BooksNotSetUp: retried, then parked with the reason
    return HANDLERS[event.name](session, event, chart, now)


def book_delivery(
    session: Session, event: DomainEvent, chart: str, now: datetime
) -> list[Attention]:
    """The cost of the goods sold, and the customer invoice unless it needs a human."""
    payload = event.payload
    on = local_day(session, event.occurred_at)
    kinds = _product_kinds(session, [line["product_id"] for line in payload["lines"]])
    cost = _Lines(chart)
    for line in payload["lines"]:
        value = Decimal(line["cost"])
        cost.debit("cost_of_sales", value)
        cost.credit(inventory_role(_kind(line, kinds)), value)
    memo = f"{payload['order']} {payload['customer']}"
    _post(session, "GJ", on, cost, memo, f"{DELIVERED}:cogs", event.source_id, now)
    problem = _invoice_problem(session, payload, "order")
    if problem is not None:
        return [problem]
    invoice = _Lines(chart)
    for line in payload["lines"]:
        net = quantize(Decimal(line["quantity"]) * Decimal(line["unit_price"]), 2)
        invoice.credit("revenue", net)
        invoice.credit("output_vat", quantize(net * Decimal(line["tax_rate"]), 2))
        invoice.debit("receivable", net + quantize(net * Decimal(line["tax_rate"]), 2))
    entry = _post(session, "SJ", on, invoice, memo, f"{DELIVERED}:invoice", event.source_id, now)
    party = Party(CUSTOMER, int(payload["customer_id"]), str(payload["customer"]))
    opened = _open(session, party, entry, payload["order"], on, due_date(on), payload, now)
    if opened is not None and opened.new:  # once, even when two transactions book it
        first_reminder(session, opened.item, now)
    return []


def book_receipt(
    session: Session, event: DomainEvent, chart: str, now: datetime
) -> list[Attention]:
    """The supplier bill for the accepted goods, unless it needs a human."""
    payload = event.payload
    problem = _invoice_problem(session, payload, "order")
    if problem is not None:
        return [problem]
    on = date.fromisoformat(payload["received_on"])
    bill = _Lines(chart)
    for line in payload["lines"]:
        net = Decimal(line["value"])
        vat = quantize(net * Decimal(line.get("tax_rate", DEFAULT_VAT_RATE)), 2)
        bill.debit(inventory_role(line.get("product_type", "")), net)
        bill.debit("input_vat", vat)
        bill.credit("payable", net + vat)
    memo = f"{payload['order']} {payload['supplier']}"
    entry = _post(session, "PJ", on, bill, memo, f"{GOODS_RECEIVED}:bill", event.source_id, now)
    party = Party(SUPPLIER, int(payload["supplier_id"]), str(payload["supplier"]))
    terms = payload.get("payment_terms") or _terms(session, party.id)
    _open(session, party, entry, payload["order"], on, due_date(on, terms), payload, now)
    return []


def book_expense(
    session: Session, event: DomainEvent, chart: str, now: datetime
) -> list[Attention]:
    """An approved expense claim: each line on the expense account with the claimant's
    department, owed to the claimant."""
    payload = event.payload
    fields = payload.get("fields") or {}
    claimant = member_view(session, int(payload["initiator"]))
    department = (claimant.department or "")[:64]
    amounts = [Decimal(str(line.get("amount") or 0)) for line in fields.get("lines") or []]
    if not amounts and fields.get("amount"):
        amounts = [Decimal(str(fields["amount"]))]
    total = sum(amounts, ZERO)
    number = f"#{payload['request']}"
    if total <= 0:
        return [Attention("Expense claim {request}: nothing to book.", {"request": number})]
    claim = _Lines(chart)
    for amount in amounts:
        claim.debit("expense", amount, department)
    claim.credit("employee_payable", total)
    on = local_day(session, event.occurred_at)
    memo = f"{number} {claimant.name}: {fields.get('reason', '')}"
    entry = _post(session, "GJ", on, claim, memo, f"{EXPENSE_APPROVED}:claim", event.source_id, now)
    party = Party(EMPLOYEE, claimant.id, claimant.name)
    _open(session, party, entry, number, on, on, {"currency": None}, now)
    return []


def book_production(
    session: Session, event: DomainEvent, chart: str, now: datetime
) -> list[Attention]:
    """Components and labour into work in progress; finished goods and scrap out of it."""
    payload = event.payload
    kinds = _product_kinds(
        session, [payload["product_id"], *(c["product_id"] for c in payload["components"])]
    )
    lines = _Lines(chart)
    for component in payload["components"]:
        value = Decimal(component["value"])
        lines.debit("work_in_progress", value)
        lines.credit(inventory_role(_kind(component, kinds)), value)
    labour = Decimal(payload["labour_value"])
    lines.debit("work_in_progress", labour)
    lines.credit("labour", labour)
    output, scrap = Decimal(payload["output_value"]), Decimal(payload["scrap_value"])
    lines.debit(inventory_role(_kind(payload, kinds)), output)
    lines.debit("scrap_loss", scrap)
    lines.credit("work_in_progress", output + scrap)
    on = local_day(session, event.occurred_at)
    memo = f"{payload['order']} {payload['sku']}"
    _post(session, "GJ", on, lines, memo, REPORTED, event.source_id, now)
    return []


def book_adjustment(
    session: Session, event: DomainEvent, chart: str, now: datetime
) -> list[Attention]:
    """An approved count: goods found (Dr inventory) or missing (Cr inventory) against the
    count-difference account, at the values the adjustment moves booked."""
    payload = event.payload
    lines = _Lines(chart)
    for line in payload["lines"]:
        value = Decimal(line["value"])  # + found, − missing
        lines.debit(inventory_role(line.get("product_type", "")), value)
        lines.credit("count_difference", value)
    on = local_day(session, event.occurred_at)
    memo = f"stock take #{payload['take_id']}"
    _post(session, "GJ", on, lines, memo, ADJUSTED, event.source_id, now)
    return []


HANDLERS: dict[str, Callable[[Session, DomainEvent, str, datetime], list[Attention]]] = {
    DELIVERED: book_delivery,
    GOODS_RECEIVED: book_receipt,
    EXPENSE_APPROVED: book_expense,
    REPORTED: book_production,
    ADJUSTED: book_adjustment,
}


def local_day(session: Session, moment: datetime) -> date:
    """The org's calendar day of a moment (the books' days are the org's)."""
    return moment.astimezone(ZoneInfo(get_org(session).timezone)).date()


def _invoice_problem(
    session: Session, payload: dict[str, Any], number_key: str
) -> Attention | None:
    """Why a sales invoice or a supplier bill needs a human, if it does."""
    base = get_org(session).currency
    number = payload[number_key]
    currency = payload.get("currency") or base
    if currency != base:
        return Attention(
            "{number} is in {currency}, not {base}: book it by hand with the day's rate.",
            {"number": number, "currency": currency, "base": base},
        )
    zero = [line["sku"] for line in payload["lines"] if Decimal(line["unit_price"]) <= 0]
    if zero:
        return Attention(
            "{number} has no price for {skus}: book it by hand once the price is agreed.",
            {"number": number, "skus": ", ".join(zero)},
        )
    return None


def _post(
    session: Session,
    journal: str,
    on: date,
    lines: _Lines,
    memo: str,
    source: str,
    source_id: str,
    now: datetime,
) -> int | None:
    """Post the lines once per source; None when there is nothing to post."""
    requests = lines.requests()
    if len(requests) < 2:
        return None
    request = EntryRequest(journal, on, requests, memo[:500], source, source_id)
    return post_entry(session, request, now).entry.id


def _open(
    session: Session,
    party: Party,
    entry_id: int | None,
    reference: str,
    on: date,
    due_on: date,
    payload: dict[str, Any],
    now: datetime,
) -> Opened | None:
    """Keep the document the entry booked open against the party."""
    if entry_id is None:
        return None
    entry = session.get_one(Entry, entry_id)
    amount = _item_amount(session, entry_id, party)
    currency = payload.get("currency") or get_org(session).currency
    request = ItemRequest(party, entry.number, reference, on, due_on, currency, amount, entry_id)
    return open_item(session, request, now)


def _item_amount(session: Session, entry_id: int, party: Party) -> Decimal:
    """What the entry put on the party's account (the receivable debit or payable credit)."""
    code = code_for(installed_chart(session), ITEM_ROLE[party.kind])
    rows = session.execute(
        select(EntryLine.debit, EntryLine.credit)
        .join(Account, Account.id == EntryLine.account_id)
        .where(EntryLine.entry_id == entry_id, Account.code == code)
    )
    return sum((debit + credit for debit, credit in rows), ZERO)


def _kind(record: dict[str, Any], kinds: dict[int, str]) -> str:
    """A product's kind as the event recorded it (the moment of the move), else as it is now
    (events recorded before the ERP carried it)."""
    return str(record.get("product_type") or kinds.get(record["product_id"], ""))


def _product_kinds(session: Session, ids: Iterable[int]) -> dict[int, str]:
    rows = session.execute(select(Product.id, Product.kind).where(Product.id.in_(list(ids))))
    return {product_id: kind for product_id, kind in rows}


def _terms(session: Session, supplier_id: int) -> str:
    supplier = session.get(Supplier, supplier_id)
    return supplier.payment_terms if supplier is not None else ""

"""/quote (/报价), /order (/订单), /ship (/发货) and /orders: quotations and sales orders for
the CRM's customers, in the seller's CRM scope, and shipping what is reserved.

``/order Acme BOLT-M6 10 price=9.5; GEAR-01 2`` drafts an order (one product per ``;``), its
card confirms or cancels it; ``/ship SO2026-00001 3 tracking=SF123`` ships (the warehouse). A
delivery's key is the chat event's, so a redelivered message ships once; a button works once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Field as ReaderField
from bot.reader import Kind, Reading
from bot.replies import Message
from bot.router import CommandSpec, Router
from commands.crm.customer_common import scope
from commands.crm.lines import ask_for, customer_named
from commands.erp.lines import (
    in_stock_units,
    product_of,
    quantity_of,
    read_fields,
    tax_rate_of,
    warehouse_of,
)
from commands.erp.promises import promise_lines, ship_dates
from commands.erp.sales_cards import document_card, documents_card
from commands.erp.sales_news import tell_customer, tell_quote
from domain.crm.access import customer_in_scope
from domain.crm.customers import find_customers
from domain.directory.roles import Permission
from domain.erp import sales
from domain.erp.catalog import find_products, product_by_sku
from domain.erp.models import Warehouse
from domain.erp.sales import LineRequest, Party
from domain.erp.sales_models import SalesDocument
from domain.erp.sales_views import (
    document_numbered,
    documents_of_customers,
    documents_of_owner,
    orders_to_ship,
)
from domain.erp.warehouses import all_warehouses, main_location, warehouse_named
from domain.shared.domain_events import record_event
from domain.shared.errors import DomainError, NotFound
from domain.shared.quantity import plain

log = structlog.get_logger(__name__)
QUOTE_SENT = "quote.sent"
LISTED = 20
NAMES: dict[str, tuple[str, ...]] = {
    "customer": ("客户",),
    "product": ("产品", "商品", "物料"),
    "qty": ("数量", "quantity"),
    "price": ("单价", "价格"),
    "tax": ("税率", "tax rate"),
    "warehouse": ("仓库",),
    "note": ("备注",),
    "order": ("订单", "订单号", "单号"),
    "tracking": ("运单号", "快递单号", "物流单号", "tracking number"),
    "by": ("交期", "交货日期", "要货日期"),
}
VERBS: dict[str, tuple[str, ...]] = {
    "show": ("show", "查看"),
    "confirm": ("confirm", "确认"),
    "cancel": ("cancel", "取消"),
    "order": ("order", "下单", "转订单"),
    "send": ("send", "发送", "发给客户"),
}
SEGMENTS = re.compile(r"[;；]")


def _field(key: str, kind: Kind = Kind.TEXT, *, positional: bool = False) -> ReaderField:
    return ReaderField(key, kind, NAMES.get(key, ()), (), positional=positional)


LINE_FIELDS = (
    _field("product", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("price", Kind.NUMBER),
    _field("tax"),
)
NEW_FIELDS = (
    _field("customer", Kind.RECORD, positional=True),
    *LINE_FIELDS,
    _field("warehouse", Kind.RECORD),
    _field("note"),
    _field("by", Kind.DATE),
)
ONE_FIELDS = (_field("order", Kind.RECORD, positional=True),)
SHIP_FIELDS = (
    _field("order", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("product", Kind.RECORD),
    _field("tracking", positional=True),
)


RETURN_FIELDS = (
    _field("order", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("product", Kind.RECORD),
)


class SalesArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def quote(ctx: CommandContext, _args: SalesArgs) -> Message:
    """/quote CUSTOMER PRODUCT QTY …, or /quote order|cancel|show QT…."""
    return _run(ctx, "quote")


def order(ctx: CommandContext, _args: SalesArgs) -> Message:
    """/order CUSTOMER PRODUCT QTY …, or /order confirm|cancel|show SO…."""
    return _run(ctx, "order")


def _run(ctx: CommandContext, kind: str) -> Message:
    word, _space, rest = ctx.typed.strip().partition(" ")
    verb = next((v for v, words in VERBS.items() if word.lower() in words), None)
    if verb is None:
        return _new(ctx, kind, ctx.typed)
    document = document_for(ctx, _one(ctx, rest))
    if verb == "show":
        return document_card(ctx, document)
    if verb == "confirm":
        return confirm(ctx, document)
    if verb == "cancel":
        return cancel(ctx, document)
    if verb == "send":
        return send(ctx, document)
    return accept(ctx, document)


def _new(ctx: CommandContext, kind: str, text: str) -> Message:
    first, *more = SEGMENTS.split(text)
    values = _read(ctx, NEW_FIELDS, first).values
    _require(ctx, NEW_FIELDS, values, ("customer", "product", "qty"))
    customer = customer_named(ctx, values["customer"])
    lines = [_line_request(ctx, values)]
    for segment in (s for s in more if s.strip()):
        extra = _read(ctx, LINE_FIELDS, segment).values
        _require(ctx, LINE_FIELDS, extra, ("product", "qty"))
        lines.append(_line_request(ctx, extra))
    party = Party(customer.id, customer.name, ctx.actor.id)
    place = main_location(ctx.session, _warehouse(ctx, values.get("warehouse")))
    note = values.get("note", "")
    by = date.fromisoformat(values["by"]) if "by" in values else None
    document = sales.create_document(ctx.session, kind, party, place, lines, ctx.now, note, by)
    made = _("Quotation {number} drafted.") if kind == "quote" else _("Order {number} drafted.")
    said = [ctx.t(made, number=document.number)]
    if kind == "quote":
        said += promise_lines(ctx, lines, by)
    return document_card(ctx, document, "\n".join(said))


def confirm(ctx: CommandContext, document: SalesDocument) -> Message:
    """Confirm an order: reserve what is free, backorder the rest."""
    if document.kind != "order":
        raise DomainError("{number} is not an order.", number=document.number)
    changed = sales.confirm_order(ctx.session, document.id, ctx.now)
    if not changed:
        return document_card(ctx, document, ctx.t(_("Nothing changed.")))
    return document_card(ctx, document, ctx.t(_("Confirmed.")))


def cancel(ctx: CommandContext, document: SalesDocument) -> Message:
    """Cancel a quotation or an order, releasing what is reserved."""
    changed = sales.cancel_document(ctx.session, document.id, ctx.now)
    said = _("Cancelled; what was reserved is free again.") if changed else _("Nothing changed.")
    return document_card(ctx, document, ctx.t(said))


def send(ctx: CommandContext, document: SalesDocument) -> Message:
    """Send an open quotation to the customer's contacts who chat with us, once."""
    if document.kind != "quote" or document.status != "open":
        raise DomainError("{number} is not an open quotation.", number=document.number)
    if not record_event(
        ctx.session, QUOTE_SENT, "erp_quote", document.number, {"by": ctx.actor.id}, ctx.now
    ):
        return document_card(ctx, document, ctx.t(_("It was sent already; nothing changed.")))
    lines = [
        LineRequest(x.product_id, x.quantity) for x in sales.lines_of(ctx.session, document.id)
    ]
    told = tell_quote(ctx, document, ship_dates(ctx, lines))
    if told == 0:
        raise DomainError(
            "None of {name}'s contacts chats with us yet.", name=document.customer_name
        )
    return document_card(ctx, document, ctx.t(_("Sent to {count} contact(s)."), count=told))


def accept(ctx: CommandContext, document: SalesDocument) -> Message:
    """Turn an open quotation into a draft order."""
    if document.kind != "quote":
        raise DomainError("{number} is not a quotation.", number=document.number)
    made = sales.order_from_quote(ctx.session, document.id, ctx.actor.id, ctx.now)
    return document_card(
        ctx, made, ctx.t(_("Order {number} drafted from {quote}."), number=made.number,
                         quote=document.number)
    )  # fmt: skip


def ship(ctx: CommandContext, _args: SalesArgs) -> Message:
    """/ship SO… [QTY] [product=SKU] [tracking]: ship what is reserved (all of it by default)."""
    values = _read(ctx, SHIP_FIELDS, ctx.typed).values
    _require(ctx, SHIP_FIELDS, values, ("order",))
    document = _by_number(ctx, values["order"])
    quantities = _quantities(ctx, document, values, SHIP_FIELDS)
    key = f"chat:{ctx.event.address.channel}:{ctx.event.event_id}"
    tracking = values.get("tracking", "")
    shipped = sales.ship_order(
        ctx.session, document.id, quantities, tracking, key, ctx.actor.id, ctx.now
    )
    if not shipped.new:
        return document_card(ctx, document, ctx.t(_("Nothing changed.")))
    said = _("Shipped; tracking number {tracking}.") if tracking else _("Shipped.")
    tell_customer(ctx, document, shipped.delivery)
    return document_card(ctx, document, ctx.t(said, tracking=shipped.delivery.tracking))


def return_goods(ctx: CommandContext, _args: SalesArgs) -> Message:
    """/return-goods SO… QTY [product=SKU]: delivered goods come back into the order's
    warehouse (once per chat event)."""
    values = _read(ctx, RETURN_FIELDS, ctx.typed).values
    _require(ctx, RETURN_FIELDS, values, ("order", "qty"))
    document = _by_number(ctx, values["order"])
    line_id, quantity = _one_line(ctx, document, values, RETURN_FIELDS)
    key = f"chat:{ctx.event.address.channel}:{ctx.event.event_id}"
    if not sales.return_goods(
        ctx.session, document.id, line_id, quantity, key, ctx.actor.id, ctx.now
    ):
        return document_card(ctx, document, ctx.t(_("Nothing changed.")))
    said = ctx.t(_("{qty} came back into stock."), qty=plain(quantity))
    return document_card(ctx, document, said)


def orders(ctx: CommandContext, _args: SalesArgs) -> Message:
    """/orders [CUSTOMER]: a customer's documents; else the seller's open ones, or for the
    warehouse the orders waiting to ship."""
    text = ctx.typed.strip()
    if text:
        if not ctx.may(Permission.CRM_USE):
            raise NotFound("No customer you can see matches {name}.", name=text)
        customer = customer_named(ctx, text)
        found = documents_of_customers(ctx.session, [customer.id], limit=LISTED)
        title = ctx.t(_("Quotations and orders of {name}"), name=customer.name)
        return documents_card(ctx, title, found)
    if ctx.may(Permission.STOCK_MOVE) and not ctx.may(Permission.CRM_USE):
        return documents_card(
            ctx, ctx.t(_("Orders to ship")), orders_to_ship(ctx.session, limit=LISTED)
        )
    mine = documents_of_owner(ctx.session, ctx.actor.id, limit=LISTED)
    return documents_card(ctx, ctx.t(_("Your open quotations and orders")), mine)


def document_for(ctx: CommandContext, number: str) -> SalesDocument:
    """A document by number whose customer is in the actor's CRM scope; one outside it is
    answered like a missing one, and logged."""
    document = _by_number(ctx, number)
    try:
        customer_in_scope(ctx.session, scope(ctx), document.customer_id)
    except NotFound:
        log.warning("refused.erp_order_out_of_scope", member=ctx.actor.handle, order=number[:32])
        raise NotFound("There is no order {number}.", number=number[:32]) from None
    return document


def _by_number(ctx: CommandContext, number: str) -> SalesDocument:
    document = document_numbered(ctx.session, number)
    if document is None:
        raise NotFound("There is no order {number}.", number=number[:32])
    return document


def _one(ctx: CommandContext, text: str) -> str:
    values = _read(ctx, ONE_FIELDS, text).values
    _require(ctx, ONE_FIELDS, values, ("order",))
    return values["order"]


def _quantities(
    ctx: CommandContext,
    document: SalesDocument,
    values: dict[str, str],
    fields: Sequence[ReaderField],
) -> dict[int, Decimal] | None:
    """The quantity per line a shipment names; None without a quantity (everything)."""
    if "qty" not in values:
        return None
    line_id, quantity = _one_line(ctx, document, values, fields)
    return {line_id: quantity}


def _one_line(
    ctx: CommandContext,
    document: SalesDocument,
    values: dict[str, str],
    fields: Sequence[ReaderField],
) -> tuple[int, Decimal]:
    """QTY of the order's one line, or of the line of the product named (asked for when the
    order has several)."""
    lines = sales.lines_of(ctx.session, document.id)
    if "product" in values:
        product = product_of(ctx, values["product"])
        lines = [x for x in lines if x.product_id == product.id]
    if len(lines) != 1:
        raise ask_for(ctx, next(f for f in fields if f.key == "product"))
    return lines[0].id, quantity_of(values["qty"])


def _line_request(ctx: CommandContext, values: dict[str, str]) -> LineRequest:
    product = product_of(ctx, values["product"])
    quantity = in_stock_units(product, ctx.typed, quantity_of(values["qty"]))
    price = _decimal(values["price"]) if "price" in values else None
    rate = tax_rate_of(values["tax"]) if "tax" in values else None
    return LineRequest(product.id, quantity, price, rate)


def _warehouse(ctx: CommandContext, text: str | None) -> Warehouse:
    if text:
        return warehouse_of(ctx, text)
    places = all_warehouses(ctx.session)
    if not places:
        raise DomainError("Add a warehouse first: /warehouse add CODE NAME")
    return places[0]


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise DomainError("{text} is not a price.", text=text) from exc


def _read(ctx: CommandContext, fields: Sequence[ReaderField], text: str) -> Reading:
    return read_fields(ctx, fields, text, _known(ctx))


def _require(
    ctx: CommandContext, fields: Sequence[ReaderField], values: dict[str, str], keys: Sequence[str]
) -> None:
    by_key = {f.key: f for f in fields}
    missing = next((key for key in keys if key not in values), None)
    if missing is not None:
        raise ask_for(ctx, by_key[missing])


def _known(ctx: CommandContext) -> Callable[[ReaderField, str], bool]:
    def known(item: ReaderField, text: str) -> bool:
        if item.key == "order":
            return document_numbered(ctx.session, text) is not None
        if item.key == "product":
            return product_by_sku(ctx.session, text) is not None or (
                len(text) >= 2 and bool(find_products(ctx.session, text, limit=1))
            )
        if item.key == "warehouse":
            try:
                warehouse_named(ctx.session, text)
            except NotFound:
                return False
            return True
        if item.key == "customer" and len(text) >= 2 and ctx.may(Permission.CRM_USE):
            return find_customers(ctx.session, scope(ctx), text, limit=1).total > 0
        return False

    return known


def register(router: Router) -> None:
    """Register /quote, /order, /ship, /return-goods and /orders."""
    for spec in (
        CommandSpec(
            name="quote",
            summary=_("Quote a customer, or turn a quotation into an order"),
            handler=quote,
            args=SalesArgs,
            aliases=("报价",),
            permission=Permission.CRM_USE,
            examples=(_("/quote Acme BOLT-M6 100 price=0.5"), _("/quote order QT2026-00001")),
        ),
        CommandSpec(
            name="order",
            summary=_("Draft, confirm, show or cancel a sales order"),
            handler=order,
            args=SalesArgs,
            aliases=("订单", "销售订单"),
            permission=Permission.CRM_USE,
            examples=(
                _("/order Acme BOLT-M6 100; GEAR-01 2 price=15"),
                _("/order confirm SO2026-00001"),
            ),
        ),
        CommandSpec(
            name="ship",
            summary=_("Ship what is reserved for an order, with its tracking number"),
            handler=ship,
            args=SalesArgs,
            aliases=("发货",),
            permission=Permission.STOCK_MOVE,
            examples=(
                _("/ship SO2026-00001 SF1234567"),
                _("/ship SO2026-00001 30 tracking=SF1234567"),
            ),
        ),
        CommandSpec(
            name="return-goods",
            summary=_("Take delivered goods of an order back into stock"),
            handler=return_goods,
            args=SalesArgs,
            aliases=("退货",),
            permission=Permission.STOCK_MOVE,
            examples=(_("/return-goods SO2026-00001 5"),),
        ),
        CommandSpec(
            name="orders",
            summary=_("Your open quotations and orders, a customer's, or the orders to ship"),
            handler=orders,
            args=SalesArgs,
            aliases=("订单列表", "销售订单列表"),
            examples=(_("/orders"), _("/orders Acme")),
        ),
    ):
        router.add(spec)

"""/rfq (/询价), /compare (/比价), /po (/采购单) and /receive (/收货): a buyer asks suppliers for
quotes on an approved request and records their answers, compares them side by side and orders
from one with a button (a second tap is the same order), and the warehouse receives the order
with inspection. A receipt is keyed by the chat event, so a redelivered one moves stock once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Kind
from bot.replies import Card, CardStatus, Message, Reply
from bot.router import ActionSpec, CommandSpec, Router
from commands.crm.verbs import action_of
from commands.erp.lines import in_stock_units, product_of, quantity_of, require
from commands.erp.purchase_cards import PICK_ACTION, compare_card, order_card
from commands.erp.purchase_lines import (
    may_buy,
    order_of,
    pfield,
    quantity_or_zero,
    read_purchase,
    request_of,
    supplier_of,
    typed_as,
    whole_days,
)
from domain.directory.roles import Permission
from domain.erp.models import Product, Warehouse
from domain.erp.purchase_models import PurchaseRequest, Supplier
from domain.erp.purchasing import (
    ask_quotes,
    compare,
    open_orders,
    order_lines,
    order_of_request,
    place_order,
    record_quote,
    request_lines,
)
from domain.erp.receiving import Inspected, open_quantity, receive
from domain.erp.suppliers import supplier_of_product
from domain.erp.warehouses import all_warehouses, warehouse_named
from domain.shared.errors import DomainError, Forbidden
from domain.shared.quantity import plain

RFQ_FIELDS = (
    pfield("request", Kind.RECORD, positional=True),
    pfield("supplier", Kind.RECORD, positional=True),
    pfield("price", Kind.MONEY),
    pfield("lead", Kind.NUMBER),
    pfield("product", Kind.RECORD),
)
COMPARE_FIELDS = (pfield("request", Kind.RECORD, positional=True),)
PO_FIELDS = (
    pfield("request", Kind.RECORD, positional=True),
    pfield("supplier", Kind.RECORD, positional=True),
    pfield("warehouse", Kind.RECORD),
)
SHOW_FIELDS = (pfield("order", Kind.RECORD, positional=True),)
RECEIVE_FIELDS = (
    pfield("order", Kind.RECORD, positional=True),
    pfield("qty", Kind.NUMBER, positional=True),
    pfield("product", Kind.RECORD, positional=True),
    pfield("rejected", Kind.NUMBER),
)


class PurchaseArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def rfq(ctx: CommandContext, _args: PurchaseArgs) -> Message:
    """Ask a supplier for a quote on an approved request, or record the quote it gave."""
    may_buy(ctx, "rfq")
    reading = read_purchase(ctx, RFQ_FIELDS, ctx.typed)
    require(ctx, RFQ_FIELDS, reading, ("request", "supplier"))
    values = reading.values
    request = request_of(ctx, values["request"])
    supplier = supplier_of(ctx, values["supplier"])
    if "price" not in values:
        ask_quotes(ctx.session, request, [supplier], ctx.now)
        return Reply(
            ctx.t(
                _("Asked {supplier} for a quote on {number}; record it with {example}"),
                supplier=supplier.name,
                number=request.number,
                example=typed_as(ctx, "rfq", request.number, supplier.name, "price=…", "lead=…"),
            )
        )
    product = product_of(ctx, values["product"]).id if "product" in values else None
    lead = whole_days(values["lead"]) if "lead" in values else None
    quote = record_quote(
        ctx.session, request, supplier, product, Decimal(values["price"]), lead, ctx.now
    )
    return Reply(
        ctx.t(
            _("Quote recorded: {supplier}, {price} {currency} a unit, {days} days, for {number}."),
            supplier=supplier.name,
            price=plain(quote.unit_price or Decimal(0)),
            currency=supplier.currency,
            days=quote.lead_days,
            number=request.number,
        )
    )


def compare_quotes(ctx: CommandContext, _args: PurchaseArgs) -> Message:
    """/compare PR: the quotes side by side, with a button per supplier that orders from it."""
    may_buy(ctx, "compare")
    reading = read_purchase(ctx, COMPARE_FIELDS, ctx.typed)
    require(ctx, COMPARE_FIELDS, reading, ("request",))
    request = request_of(ctx, reading.values["request"])
    return compare_card(ctx, request, compare(ctx.session, request))


def pick_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Order from the supplier on the button; the comparison loses its buttons."""
    if not ctx.may(Permission.PURCHASE):
        raise Forbidden("Only buyers can do that.")
    request = ctx.session.get_one(PurchaseRequest, int(target))
    supplier = ctx.session.get_one(Supplier, int(args["supplier"]))
    answer = _order(ctx, request, supplier, None)
    shown = compare_card(ctx, request, compare(ctx.session, request))
    ctx.edit_card(replace(shown, buttons=(), footer=answer.title, status=CardStatus.SUCCESS))
    return answer


def picked_before(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A used pick button (tapped twice, or another supplier's after one was picked): the order
    the request became, placing nothing."""
    request = ctx.session.get_one(PurchaseRequest, int(target))
    order = order_of_request(ctx.session, request.id)
    if order is None or not ctx.may(Permission.PURCHASE):
        return Reply(ctx.t(_("That was already done.")))
    title = ctx.t(
        _("{request} was already ordered as {number}"), request=request.number, number=order.number
    )
    return order_card(ctx, order, title)


def purchase_order(ctx: CommandContext, _args: PurchaseArgs) -> Message:
    """/po PR SUPPLIER [warehouse=…]: order an approved request; /po show PO; /po: open orders."""
    word, _sep, text = ctx.typed.partition(" ")
    if word and action_of(word, ("show",)):
        reading = read_purchase(ctx, SHOW_FIELDS, text)
        require(ctx, SHOW_FIELDS, reading, ("order",))
        return order_card(ctx, order_of(ctx, reading.values["order"]))
    may_buy(ctx, "po")
    if not word:
        return _open_orders(ctx)
    reading = read_purchase(ctx, PO_FIELDS, ctx.typed)
    require(ctx, PO_FIELDS, reading, ("request",))
    values = reading.values
    request = request_of(ctx, values["request"])
    named = _default_supplier(ctx, request) if "supplier" not in values else None
    if named is None:
        require(ctx, PO_FIELDS, reading, ("supplier",))
    supplier = named or supplier_of(ctx, values["supplier"])
    place = warehouse_named(ctx.session, values["warehouse"]) if "warehouse" in values else None
    return _order(ctx, request, supplier, place)


def _order(
    ctx: CommandContext, request: PurchaseRequest, supplier: Supplier, place: Warehouse | None
) -> Card:
    warehouse = place or _default_warehouse(ctx)
    today = ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()
    order, new = place_order(
        ctx.session, request, supplier, warehouse, ctx.actor.id, ctx.now, today
    )
    if new:
        title = ctx.t(_("Purchase order {number} placed"), number=order.number)
        return order_card(ctx, order, title, CardStatus.SUCCESS)
    title = ctx.t(
        _("{request} was already ordered as {number}"), request=request.number, number=order.number
    )
    return order_card(ctx, order, title)


def _default_supplier(ctx: CommandContext, request: PurchaseRequest) -> Supplier | None:
    """The supplier every product of the request names as its default supplier, if one."""
    products = [
        ctx.session.get_one(Product, line.product_id)
        for line in request_lines(ctx.session, request.id)
    ]
    named = {supplier_of_product(ctx.session, p) for p in products}
    return named.pop() if len(named) == 1 else None


def _default_warehouse(ctx: CommandContext) -> Warehouse:
    warehouses = all_warehouses(ctx.session)
    if not warehouses:
        raise DomainError("There is no warehouse yet; add one with /warehouse add.")
    return warehouses[0]


def _open_orders(ctx: CommandContext) -> Card:
    orders = open_orders(ctx.session)
    lines = []
    for order in orders:
        supplier = ctx.session.get_one(Supplier, order.supplier_id)
        lines.append(f"{order.number} · {supplier.name} · {order.expected_on.isoformat()}")
    return Card(
        title=ctx.t(_("Open purchase orders ({count})"), count=len(orders)),
        body="\n".join(lines) or ctx.t(_("Nothing found.")),
    )


def receive_goods(ctx: CommandContext, _args: PurchaseArgs) -> Message:
    """/receive PO QTY [SKU] [rejected=N]: of the QTY that arrived, the rejected go back and the
    rest into stock."""
    reading = read_purchase(ctx, RECEIVE_FIELDS, ctx.typed)
    require(ctx, RECEIVE_FIELDS, reading, ("order", "qty"))
    values = reading.values
    order = order_of(ctx, values["order"])
    lines = order_lines(ctx.session, order.id)
    if "product" not in values and len(lines) != 1:
        require(ctx, RECEIVE_FIELDS, reading, ("product",))
    product = (
        product_of(ctx, values["product"])
        if "product" in values
        else ctx.session.get_one(Product, lines[0].product_id)
    )
    arrived = in_stock_units(product, ctx.typed, quantity_of(values["qty"]))
    rejected = quantity_or_zero(values.get("rejected"))
    if rejected > arrived:
        raise DomainError("More were rejected than arrived.")
    accepted = arrived - rejected
    today = ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()
    key = f"chat:{ctx.event.address.channel}:{ctx.event.event_id}"
    goods = [Inspected(product.id, accepted, rejected)]
    receive(ctx.session, order, goods, key, ctx.actor.id, ctx.now, today)
    line = next(
        line for line in order_lines(ctx.session, order.id) if line.product_id == product.id
    )
    return Reply(
        ctx.t(
            _("{number}: {accepted} {uom} of {sku} accepted, {rejected} rejected; {open} open."),
            accepted=plain(accepted),
            uom=product.uom,
            sku=product.sku,
            number=order.number,
            rejected=plain(rejected),
            open=plain(open_quantity(line)),
        )
    )


def register(router: Router) -> None:
    """Register /rfq, /compare, /po, /receive and the compare card's buttons."""
    for spec in (
        CommandSpec(
            name="rfq",
            summary=_("Ask a supplier for a quote on a purchase request, or record its quote"),
            handler=rfq,
            args=PurchaseArgs,
            aliases=("询价",),
            examples=(
                _("/rfq PR2026-00001 Acme Metals"),
                _("/rfq PR2026-00001 Acme Metals price=0.32 lead=5"),
            ),
        ),
        CommandSpec(
            name="compare",
            summary=_("Compare the quotes for a purchase request and order from one"),
            handler=compare_quotes,
            args=PurchaseArgs,
            aliases=("比价",),
            examples=(_("/compare PR2026-00001"),),
        ),
        CommandSpec(
            name="po",
            summary=_("Place, show or list purchase orders"),
            handler=purchase_order,
            args=PurchaseArgs,
            aliases=("采购单", "purchase-order"),
            examples=(
                _("/po PR2026-00001 Acme Metals warehouse=SH"),
                _("/po show PO2026-00001"),
                _("/po"),
            ),
        ),
        CommandSpec(
            name="receive",
            summary=_("Receive goods of a purchase order, with what was rejected"),
            handler=receive_goods,
            args=PurchaseArgs,
            aliases=("收货",),
            permission=Permission.STOCK_MOVE,
            examples=(_("/receive PO2026-00001 10 rejected=1"),),
        ),
    ):
        router.add(spec)
    router.add_action(
        ActionSpec(PICK_ACTION, pick_button, permission=Permission.PURCHASE, on_stale=picked_before)
    )

"""/stock (/库存), /moves (/流水), /transfer-stock (/调拨; ``/transfer`` is the approvals') and
/adjust (/盘盈盘亏): stock levels from the balances, a product's ledger, and the two moves
warehouse staff post from chat. Each move's key
is the chat event's, so a redelivered message moves stock once."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Kind
from bot.replies import Message, Reply
from bot.router import CommandSpec, Router
from commands.erp.cards import moves_card, product_name, stock_card
from commands.erp.lines import (
    DIRECTIONS,
    field,
    in_stock_units,
    product_of,
    quantity_of,
    read_required,
    warehouse_of,
)
from commands.erp.paging import page_buttons, page_of
from domain.directory.roles import Permission
from domain.erp.levels import availability, moves_of, stock_by_warehouse
from domain.erp.stock import MoveRequest, post_move
from domain.erp.warehouses import main_location
from domain.shared.quantity import plain

MOVES_SHOWN = 20
STOCK_FIELDS = (
    field("product", Kind.RECORD, positional=True),
    field("warehouse", Kind.RECORD, positional=True),
)
TRANSFER_FIELDS = (
    field("product", Kind.RECORD, positional=True),
    field("qty", Kind.NUMBER, positional=True),
    field("from", Kind.RECORD, positional=True),
    field("to", Kind.RECORD, positional=True),
    field("reason"),
)
MOVES_FIELDS = (STOCK_FIELDS[0], field("page", Kind.NUMBER, positional=True))
ADJUST_FIELDS = (
    field("product", Kind.RECORD, positional=True),
    field("direction", Kind.CHOICE, positional=True, choices=DIRECTIONS),
    field("qty", Kind.NUMBER, positional=True),
    field("warehouse", Kind.RECORD, positional=True),
    field("reason", positional=True),
)


class StockArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def stock(ctx: CommandContext, _args: StockArgs) -> Message:
    """/stock SKU [WAREHOUSE]: on hand, reserved, available, incoming and projected."""
    values = read_required(ctx, STOCK_FIELDS, ctx.typed, ("product",))
    product = product_of(ctx, values["product"])
    places = stock_by_warehouse(ctx.session, product.id)
    if "warehouse" in values:
        chosen = warehouse_of(ctx, values["warehouse"])
        places = [(w, a) for w, a in places if w.id == chosen.id]
        return stock_card(ctx, product, places, availability(ctx.session, product.id, chosen.id))
    return stock_card(ctx, product, places, availability(ctx.session, product.id))


def moves(ctx: CommandContext, _args: StockArgs) -> Message:
    """/moves SKU [page]: the product's moves, newest first, a page at a time."""
    values = read_required(ctx, MOVES_FIELDS, ctx.typed, ("product",))
    product = product_of(ctx, values["product"])
    page = page_of(values.get("page", "1"))
    found = moves_of(ctx.session, product.id, MOVES_SHOWN + 1, (page - 1) * MOVES_SHOWN)
    known = (page - 1) * MOVES_SHOWN + len(found)  # one more than the page: there is a next one

    def again(n: int) -> str:
        zh = ctx.locale.startswith("zh")
        return f"/流水 {product.sku} {n}" if zh else f"/moves {product.sku} {n}"

    buttons = page_buttons(ctx, again, page, known, MOVES_SHOWN)
    return moves_card(ctx, product, found[:MOVES_SHOWN], (buttons, ""))


def transfer(ctx: CommandContext, _args: StockArgs) -> Message:
    """/transfer-stock SKU QTY FROM TO: move stock from one warehouse to another."""
    values = read_required(ctx, TRANSFER_FIELDS, ctx.typed, ("product", "qty", "from", "to"))
    product = product_of(ctx, values["product"])
    quantity = in_stock_units(product, ctx.typed, quantity_of(values["qty"]))
    source, target = warehouse_of(ctx, values["from"]), warehouse_of(ctx, values["to"])
    request = MoveRequest(
        "transfer",
        product.id,
        quantity,
        _key(ctx),
        from_location=main_location(ctx.session, source),
        to_location=main_location(ctx.session, target),
        source="chat",
        note=values.get("reason", ""),
    )
    post_move(ctx.session, request, ctx.actor.id, ctx.now)
    return Reply(
        ctx.t(
            _("Moved {qty} {uom} of {sku} {name} from {source} to {target}."),
            qty=plain(quantity),
            uom=product.uom,
            sku=product.sku,
            name=product_name(ctx, product),
            source=source.code,
            target=target.code,
        )
    )


def adjust(ctx: CommandContext, _args: StockArgs) -> Message:
    """/adjust SKU QTY WAREHOUSE [reason]: book what a count found more (+) or missing (-)."""
    values = read_required(ctx, ADJUST_FIELDS, ctx.typed, ("product", "qty", "warehouse"))
    product = product_of(ctx, values["product"])
    change = in_stock_units(product, ctx.typed, quantity_of(values["qty"], signed=True))
    if values.get("direction") == "loss":
        change = -abs(change)
    place = main_location(ctx.session, warehouse_of(ctx, values["warehouse"]))
    inbound = change > 0
    request = MoveRequest(
        "adjustment",
        product.id,
        abs(change),
        _key(ctx),
        from_location=None if inbound else place,
        to_location=place if inbound else None,
        source="count",
        note=values.get("reason", ""),
    )
    post_move(ctx.session, request, ctx.actor.id, ctx.now)
    left = availability(ctx.session, product.id).on_hand
    return Reply(
        ctx.t(
            _("Adjusted {sku} by {change} {uom}; {on_hand} on hand in all."),
            sku=product.sku,
            change=("+" if inbound else "-") + plain(abs(change)),
            uom=product.uom,
            on_hand=plain(left),
        )
    )


def _key(ctx: CommandContext) -> str:
    """The move's idempotency key: the chat event that asked for it."""
    return f"chat:{ctx.event.address.channel}:{ctx.event.event_id}"


def register(router: Router) -> None:
    """Register /stock, /moves, /transfer and /adjust."""
    for spec in (
        CommandSpec(
            name="stock",
            summary=_("How much of a product is on hand, reserved and available"),
            handler=stock,
            args=StockArgs,
            aliases=("库存",),
            examples=(_("/stock BOLT-M6"), _("/stock BOLT-M6 SH")),
        ),
        CommandSpec(
            name="moves",
            summary=_("A product's latest stock moves"),
            handler=moves,
            args=StockArgs,
            aliases=("流水", "库存流水"),
            examples=(_("/moves BOLT-M6"),),
        ),
        CommandSpec(
            name="transfer-stock",
            summary=_("Move stock from one warehouse to another"),
            handler=transfer,
            args=StockArgs,
            aliases=("调拨", "move-stock"),
            permission=Permission.STOCK_MOVE,
            examples=(_("/transfer-stock BOLT-M6 200 SH BJ"),),
        ),
        CommandSpec(
            name="adjust",
            summary=_("Book what a count found more or missing"),
            handler=adjust,
            args=StockArgs,
            aliases=("盘盈盘亏", "库存调整"),
            permission=Permission.STOCK_MOVE,
            examples=(_("/adjust BOLT-M6 -3 SH damaged"), _("/adjust BOLT-M6 +5 SH found")),
        ),
    ):
        router.add(spec)

"""What the ERP commands show: a product's card, a list of products, a product's stock by
warehouse, and its recent moves; every label in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.context import CommandContext, Speaking
from bot.i18n import _
from bot.replies import Button, Card, CardStatus, Field
from domain.erp.levels import Availability, MoveView
from domain.erp.models import Product, Warehouse
from domain.shared.quantity import plain

Paging = tuple[tuple[Button, ...], str]  # a list's page buttons and its footer
KIND_LABELS = {
    "raw": _("raw material"),
    "semi": _("semi-finished"),
    "finished": _("finished goods"),
    "consumable": _("consumable"),
    "service": _("service"),
}
MOVE_LABELS = {
    "receipt": _("receipt"),
    "delivery": _("delivery"),
    "transfer": _("transfer"),
    "adjustment": _("adjustment"),
    "production_consumption": _("production consumption"),
    "production_output": _("production output"),
    "scrap": _("scrap"),
    "return": _("return"),
}


def product_name(ctx: Speaking, product: Product) -> str:
    """The product's name in the reader's language, else in the other one."""
    chinese = ctx.locale.startswith("zh")
    first, second = (
        (product.name_zh, product.name_en) if chinese else (product.name_en, product.name_zh)
    )
    return first or second


def product_card(
    ctx: CommandContext, product: Product, title: str = "", status: CardStatus = CardStatus.INFO
) -> Card:
    """Everything the catalog knows of a product."""
    purchase = ""
    if product.purchase_uom:
        purchase = ctx.t(
            _("{unit} of {factor} {uom}"),
            unit=product.purchase_uom,
            factor=plain(product.purchase_factor),
            uom=product.uom,
        )
    rows = (
        (_("Type"), ctx.t(KIND_LABELS[product.kind])),
        (_("Chinese name"), product.name_zh),
        (_("English name"), product.name_en),
        (_("Unit"), product.uom),
        (_("Purchase unit"), purchase),
        (_("Cost"), f"{plain(product.cost)} {product.currency}"),
        (_("List price"), f"{plain(product.list_price)} {product.currency}"),
        (_("Tax rate"), f"{plain(product.tax_rate * 100)}%"),
        (_("Safety stock"), plain(product.safety_stock)),
        (_("Reorder point"), plain(product.reorder_point)),
        (_("Reorder quantity"), plain(product.reorder_qty)),
        (_("Lead time"), ctx.t(_("{days} days"), days=product.lead_days)),
        (_("Default supplier"), product.default_supplier),
        (_("Negative stock"), ctx.t(_("allowed") if product.allow_negative else _("not allowed"))),
        (_("Status"), ctx.t(_("active") if product.active else _("inactive"))),
    )
    return Card(
        title=title or f"{product.sku} {product_name(ctx, product)}",
        fields=tuple(Field(ctx.t(label), value) for label, value in rows if value),
        status=status,
    )


def product_list(
    ctx: CommandContext, title: str, products: Sequence[Product], paging: Paging = ((), "")
) -> Card:
    """Products, one line each; ``paging``: the page buttons and footer."""
    lines = [f"{p.sku} · {product_name(ctx, p)} · {ctx.t(KIND_LABELS[p.kind])}" for p in products]
    body = "\n".join(lines) or ctx.t(_("Nothing found."))
    return Card(title=title, body=body, buttons=paging[0], footer=paging[1])


def stock_card(
    ctx: CommandContext,
    product: Product,
    places: Sequence[tuple[Warehouse, Availability]],
    total: Availability,
) -> Card:
    """A product's stock in each warehouse, and in all."""
    fields = [Field(f"{w.code} {w.name}".strip(), _levels(ctx, a, product.uom)) for w, a in places]
    fields += [
        Field(ctx.t(_("Available")), f"{plain(total.available)} {product.uom}"),
        Field(ctx.t(_("Incoming")), plain(total.incoming)),
        Field(ctx.t(_("Projected")), plain(total.projected)),
    ]
    low = total.available < product.safety_stock
    return Card(
        title=ctx.t(_("Stock of {sku} {name}"), sku=product.sku, name=product_name(ctx, product)),
        body="" if places else ctx.t(_("None in stock.")),
        fields=tuple(fields),
        footer=ctx.t(_("Below safety stock ({level})"), level=plain(product.safety_stock))
        if low
        else "",
        status=CardStatus.WARNING if low else CardStatus.INFO,
    )


def _levels(ctx: CommandContext, levels: Availability, uom: str) -> str:
    return ctx.t(
        _("on hand {on_hand}, reserved {reserved}, available {available} {uom}"),
        on_hand=plain(levels.on_hand),
        reserved=plain(levels.reserved),
        available=plain(levels.available),
        uom=uom,
    )


def moves_card(
    ctx: CommandContext, product: Product, moves: Sequence[MoveView], paging: Paging = ((), "")
) -> Card:
    """A product's moves, newest first, one line each; ``paging``: the page buttons and
    footer."""
    lines = [_move_line(ctx, m) for m in moves]
    return Card(
        title=ctx.t(_("Moves of {sku} {name}"), sku=product.sku, name=product_name(ctx, product)),
        body="\n".join(lines) or ctx.t(_("No moves yet.")),
        buttons=paging[0],
        footer=paging[1],
    )


def _move_line(ctx: CommandContext, move: MoveView) -> str:
    day = move.created_at.astimezone(ZoneInfo(ctx.actor.timezone)).strftime("%m-%d %H:%M")
    route = " → ".join(code for code in (move.from_code, move.to_code) if code)
    sign = "" if move.from_code and move.to_code else "+" if move.to_code else "-"
    note = f" · {move.note}" if move.note else ""
    label = ctx.t(MOVE_LABELS[move.kind])
    return f"#{move.id} {day} {label} {sign}{plain(move.quantity)} {route}{note}"

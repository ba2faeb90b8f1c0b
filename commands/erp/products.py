"""/product (/产品) add|show|find|edit: the catalog in chat. Everyone may look products up;
adding and changing them takes ``erp.catalog`` (warehouse staff and admins)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError
from bot.reader import Kind, Reading
from bot.replies import CardStatus, Message
from bot.router import CommandSpec, Router
from bot.timewords import has_cjk
from commands.crm.verbs import action_names, action_of
from commands.erp.cards import product_card, product_list
from commands.erp.lines import (
    KIND_CHOICES,
    YES_NO,
    field,
    product_of,
    read_line,
    require,
    tax_rate_of,
)
from commands.erp.paging import page_buttons, page_footer, page_of
from domain.directory.roles import Permission
from domain.erp.catalog import Value, add_product, count_products, edit_product, find_products
from domain.shared.errors import DomainError, Forbidden

log = structlog.get_logger(__name__)
FOUND_SHOWN = 20
DEFAULT_UNIT = _("pcs")  # the unit of a product added without one, in the adder's language
DETAIL_FIELDS = (
    field("zh"),
    field("en"),
    field("type", Kind.CHOICE, positional=True, choices=KIND_CHOICES),
    field("uom"),
    field("purchase_unit"),
    field("factor", Kind.NUMBER),
    field("cost", Kind.MONEY),
    field("price", Kind.MONEY),
    field("tax"),
    field("safety", Kind.NUMBER),
    field("reorder", Kind.NUMBER),
    field("reorder_qty", Kind.NUMBER),
    field("lead", Kind.NUMBER),
    field("supplier"),
    field("negative", Kind.CHOICE, choices=YES_NO),
    field("active", Kind.CHOICE, choices=YES_NO),
)
ADD_FIELDS = (field("sku"), field("name", positional=True), *DETAIL_FIELDS)
EDIT_FIELDS = (field("product", Kind.RECORD, positional=True), field("name"), *DETAIL_FIELDS)
FIND_FIELDS = (field("text", positional=True), field("page", Kind.NUMBER))
TEXT_KEYS = {
    "zh": "name_zh",
    "en": "name_en",
    "uom": "uom",
    "purchase_unit": "purchase_uom",
    "supplier": "default_supplier",
    "type": "kind",
}
DECIMAL_KEYS = {
    "factor": "purchase_factor",
    "cost": "cost",
    "price": "list_price",
    "safety": "safety_stock",
    "reorder": "reorder_point",
    "reorder_qty": "reorder_qty",
}


class ProductArgs(BaseModel):
    """``/product add|show|find|edit …``; what follows the action word goes to the reader."""

    rest: str = Field(default="", description=_("what to do"), json_schema_extra={"rest": True})


def product(ctx: CommandContext, args: ProductArgs) -> Message:
    """Run one /product subcommand."""
    word, _sep, text = ctx.typed.partition(" ")
    action = action_of(word, SUBCOMMANDS) if word else None
    if action is None:
        raise ArgumentError(
            "/product takes one of: {choices}.", choices=action_names(SUBCOMMANDS, ctx.locale)
        )
    return SUBCOMMANDS[action](ctx, text.strip())


def _add(ctx: CommandContext, text: str) -> Message:
    _may_edit(ctx, "add")
    first, _sep, rest = text.partition(" ")
    keyed = "=" in first or ":" in first or not first
    reading = read_line(ctx, ADD_FIELDS, text if keyed else rest)
    sku = reading.values.get("sku", "" if keyed else first)
    if not sku:
        require(ctx, ADD_FIELDS, reading, ("sku",))
    if not {"name", "zh", "en"} & set(reading.values):
        require(ctx, ADD_FIELDS, reading, ("name",))
    values = {"uom": ctx.t(DEFAULT_UNIT), **_values(reading)}
    added = add_product(ctx.session, sku, values, ctx.org.currency, ctx.now)
    title = ctx.t(_("Product {sku} added"), sku=added.sku)
    return product_card(ctx, added, title, CardStatus.SUCCESS)


def _show(ctx: CommandContext, text: str) -> Message:
    if not text:
        raise ArgumentError(
            "Which product? For example: {example}", example=_("/product show BOLT-M6")
        )
    return product_card(ctx, product_of(ctx, text))


def _find(ctx: CommandContext, text: str) -> Message:
    """/product find TEXT [page=N]: the matching products, a page at a time."""
    values = read_line(ctx, FIND_FIELDS, text).values
    wanted = values.get("text", "")
    if not wanted:
        raise ArgumentError("Find what? For example: {example}", example=_("/product find bolt"))
    page, total = page_of(values.get("page", "1")), count_products(ctx.session, wanted)
    found = find_products(ctx.session, wanted, FOUND_SHOWN, (page - 1) * FOUND_SHOWN)
    title = ctx.t(_("Products matching {text} ({count})"), text=wanted, count=total)

    def again(n: int) -> str:
        zh = ctx.locale.startswith("zh")
        return f"/产品 查找 {wanted} 页={n}" if zh else f"/product find {wanted} page={n}"

    paging = (
        page_buttons(ctx, again, page, total, FOUND_SHOWN),
        page_footer(ctx, page, total, FOUND_SHOWN),
    )
    return product_list(ctx, title, found, paging)


def _edit(ctx: CommandContext, text: str) -> Message:
    _may_edit(ctx, "edit")
    reading = read_line(ctx, EDIT_FIELDS, text)
    require(ctx, EDIT_FIELDS, reading, ("product",))
    target = product_of(ctx, reading.values["product"])
    edit_product(ctx.session, target, _values(reading), ctx.now)
    title = ctx.t(_("Product {sku} changed"), sku=target.sku)
    return product_card(ctx, target, title, CardStatus.SUCCESS)


def _may_edit(ctx: CommandContext, action: str) -> None:
    if not ctx.may(Permission.CATALOG_EDIT):
        log.warning("refused.permission", member=ctx.actor.handle, command=f"product {action}")
        raise Forbidden("Only warehouse staff and admins can add or change products.")


def _values(reading: Reading) -> dict[str, Value]:
    """The catalog's values from what was read: names by language, numbers exact."""
    typed = reading.values
    values: dict[str, Value] = {TEXT_KEYS[k]: v for k, v in typed.items() if k in TEXT_KEYS}
    values |= {DECIMAL_KEYS[k]: Decimal(v) for k, v in typed.items() if k in DECIMAL_KEYS}
    if "name" in typed:
        values["name_zh" if has_cjk(typed["name"]) else "name_en"] = typed["name"]
    if "tax" in typed:
        values["tax_rate"] = tax_rate_of(typed["tax"])
    if "lead" in typed:
        values["lead_days"] = _whole(typed["lead"])
    for key, column in (("negative", "allow_negative"), ("active", "active")):
        if key in typed:
            values[column] = typed[key] == "yes"
    return values


def _whole(text: str) -> int:
    value = Decimal(text)
    if value != value.to_integral_value():
        raise DomainError("A lead time is a whole number of days.")
    return int(value)


Subcommand = Callable[[CommandContext, str], Message]
SUBCOMMANDS: dict[str, Subcommand] = {"add": _add, "show": _show, "find": _find, "edit": _edit}


def register(router: Router) -> None:
    """Register /product."""
    router.add(
        CommandSpec(
            name="product",
            summary=_("Add, show, find or change products"),
            handler=product,
            args=ProductArgs,
            aliases=("产品",),
            permission=Permission.USE,
            details=_(
                "Adding and changing products is for warehouse staff and admins. Types: raw, "
                "semi, finished, consumable, service."
            ),
            examples=(
                _("/product add BOLT-M6 Hex bolt M6 raw cost=0.35 safety=500 uom=pcs"),
                _("/product show BOLT-M6"),
                _("/product find bolt"),
                _("/product edit BOLT-M6 price=0.8 reorder_qty=2000"),
            ),
        )
    )

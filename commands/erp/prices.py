"""/price (/价格) SKU [CUSTOMER] [QTY] and /pricelist (/价格表) add|line|show|list: what a
product costs a customer, and the price lists behind it.

Every member may ask a product's price; a customer's price takes the CRM (``crm.use``) and the
customer in the asker's scope (resolved here: ``domain.erp`` sees only the plain number and
tier). Admins and sales managers (``sales`` + ``manager``) maintain the lists; everyone with
``crm.use`` may read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError
from bot.reader import Field as ReaderField
from bot.reader import Kind, Reading, Where, read
from bot.replies import Card, CardStatus, Message, Reply
from bot.router import CommandSpec, Router
from commands.crm.customer_common import scope
from commands.crm.lines import customer_named, unusable
from commands.erp.lines import field, in_stock_units, product_of, quantity_of, require
from commands.erp.paging import PAGE, page_buttons, page_footer, page_of
from domain.crm.models import Customer
from domain.directory.roles import Permission
from domain.erp.catalog import find_products, product_by_sku
from domain.erp.price_models import PriceList
from domain.erp.pricing import (
    CUSTOMER,
    TIER,
    add_price_list,
    all_price_lists,
    lines_of,
    list_named,
    price_for,
    price_list_by_name,
    set_price,
)
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.shared.quantity import plain

log = structlog.get_logger(__name__)
ALL_LISTS = 10_000  # /pricelist reads the lists whole to leave out those the reader may not see
WORDS: dict[str, tuple[str, ...]] = {
    "add": ("add", "新增", "新建", "new"),
    "line": ("line", "明细", "价格", "set"),
    "show": ("show", "查看"),
    "list": ("list", "列表", "全部"),
}
CUSTOMER_FIELD = ReaderField("customer", Kind.RECORD, ("客户",), positional=True)
TIER_FIELD = ReaderField("tier", Kind.TEXT, ("等级", "客户等级"), positional=False)
PAGE_FIELD = ReaderField("page", Kind.NUMBER, ("页",), positional=True)
LIST_FIELD = ReaderField("pricelist", Kind.RECORD, ("价格表",), positional=True)
PRICE_FIELDS = (
    field("product", Kind.RECORD, positional=True),
    field("qty", Kind.NUMBER, positional=True),
    CUSTOMER_FIELD,
    TIER_FIELD,
)
ADD_FIELDS = (
    ReaderField("name", Kind.TEXT, ("名称",), positional=True),
    ReaderField("customer", Kind.RECORD, ("客户",), positional=False),
    TIER_FIELD,
    ReaderField("currency", Kind.TEXT, ("币种", "货币"), positional=False),
    ReaderField("valid_from", Kind.DATE, ("from", "起", "生效"), positional=False),
    ReaderField("valid_to", Kind.DATE, ("to", "until", "止", "截止"), positional=False),
)
LINE_FIELDS = (
    LIST_FIELD,
    field("product", Kind.RECORD, positional=True),
    ReaderField("price", Kind.MONEY, ("单价", "价格"), positional=True),
    ReaderField("min", Kind.NUMBER, ("起订量", "起订"), positional=False),
)
SHOW_FIELDS = (PAGE_FIELD, LIST_FIELD)
ANSWERS = {
    CUSTOMER: _(
        "{sku} × {qty} {uom} for {whom}: {price} {currency} each, from the customer's price "
        "list {list} (from {min} on)."
    ),
    TIER: _(
        "{sku} × {qty} {uom} for {whom}: {price} {currency} each, from the price list {list} "
        "of tier {tier} (from {min} on)."
    ),
}
LIST_PRICE_ANSWER = _(
    "{sku} × {qty} {uom} for {whom}: {price} {currency} each, the product's list price."
)


class PriceArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def price(ctx: CommandContext, _args: PriceArgs) -> Message:
    """/price SKU [CUSTOMER] [QTY]: the unit price and where it came from."""
    reading = _read(ctx, PRICE_FIELDS, _customer_first(ctx.typed))
    require(ctx, PRICE_FIELDS, reading, ("product",))
    values = reading.values
    product = product_of(ctx, values["product"])
    quantity = Decimal(1)
    if "qty" in values:
        quantity = in_stock_units(product, ctx.typed, quantity_of(values["qty"]))
    customer_id, tier = None, values.get("tier", "")
    whom = ctx.t(_("tier {tier}"), tier=tier) if tier else ctx.t(_("anyone"))
    if "customer" in values:
        if not ctx.may(Permission.CRM_USE):
            raise Forbidden("Only CRM users can ask a customer's price.")
        customer = customer_named(ctx, values["customer"])
        customer_id, tier = customer.id, tier or customer.tier
        whom = f"#{customer.id} {customer.name}"
    found = price_for(ctx.session, product.id, customer_id, tier, quantity, _today(ctx))
    text = ANSWERS.get(found.source, LIST_PRICE_ANSWER)
    return Reply(
        ctx.t(
            text,
            sku=product.sku,
            qty=plain(quantity),
            uom=product.uom,
            whom=whom,
            price=plain(found.unit_price),
            currency=found.currency,
            list=found.price_list.name if found.price_list else "",
            tier=tier,
            min=plain(found.min_qty),
        )
    )


def pricelist(ctx: CommandContext, _args: PriceArgs) -> Message:
    """Run one /pricelist subcommand; with nothing after it, list the price lists."""
    word, _sep, text = ctx.typed.partition(" ")
    if not word:
        return _list(ctx, "")
    action = next((a for a, words in WORDS.items() if word.lower() in words), None)
    if action is None:
        zh = ctx.locale.startswith("zh")
        names = "、".join(w[1] for w in WORDS.values()) if zh else ", ".join(WORDS)
        raise ArgumentError("/pricelist takes one of: {choices}.", choices=names)
    return SUBCOMMANDS[action](ctx, text.strip())


def _add(ctx: CommandContext, text: str) -> Message:
    _may_maintain(ctx, "add")
    reading = _read(ctx, ADD_FIELDS, text)
    require(ctx, ADD_FIELDS, reading, ("name",))
    values = reading.values
    customer_id = customer_named(ctx, values["customer"]).id if "customer" in values else None
    if customer_id is None and "tier" not in values:
        raise DomainError("Say whose prices these are: customer=12 or tier=A.")
    added = add_price_list(
        ctx.session,
        values["name"],
        customer_id=customer_id,
        tier=values.get("tier", ""),
        currency=values.get("currency", ctx.org.currency),
        valid=(_day(values.get("valid_from")), _day(values.get("valid_to"))),
        now=ctx.now,
    )
    title = ctx.t(_("Price list {name} added"), name=added.name)
    return _list_card(ctx, added, 1, title, CardStatus.SUCCESS)


def _line(ctx: CommandContext, text: str) -> Message:
    _may_maintain(ctx, "line")
    reading = _read(ctx, LINE_FIELDS, text)
    require(ctx, LINE_FIELDS, reading, ("pricelist", "product", "price"))
    values = reading.values
    chosen = price_list_by_name(ctx.session, values["pricelist"])
    product = product_of(ctx, values["product"])
    minimum = Decimal(values.get("min", "0"))
    set_price(ctx.session, chosen, product, Decimal(values["price"]), minimum)
    title = ctx.t(
        _("{sku} in {list}: {price} {currency} from {min} on"),
        sku=product.sku,
        list=chosen.name,
        price=plain(Decimal(values["price"])),
        currency=chosen.currency,
        min=plain(minimum),
    )
    return _list_card(ctx, chosen, 1, title, CardStatus.SUCCESS)


def _show(ctx: CommandContext, text: str) -> Message:
    reading = _read(ctx, SHOW_FIELDS, text)
    require(ctx, SHOW_FIELDS, reading, ("pricelist",))
    chosen = _visible_list(ctx, reading.values["pricelist"])
    return _list_card(ctx, chosen, page_of(reading.values.get("page", "1")))


def _visible_list(ctx: CommandContext, name: str) -> PriceList:
    """The price list by name, if it is a tier's or its customer is in the reader's CRM scope;
    another team's customer's list is answered like a missing one, and logged."""
    chosen = price_list_by_name(ctx.session, name)
    if chosen.customer_id is None or scope(ctx).covers(_owner_of(ctx, chosen.customer_id)):
        return chosen
    log.warning("refused.erp_price_list_out_of_scope", member=ctx.actor.handle, list=name[:32])
    raise NotFound("There is no price list {name}.", name=name[:100])


def _owner_of(ctx: CommandContext, customer_id: int) -> int | None:
    customer = ctx.session.get(Customer, customer_id)
    return customer.owner_id if customer is not None else None


def _list(ctx: CommandContext, text: str) -> Message:
    page = page_of(_read(ctx, (PAGE_FIELD,), text).values.get("page", "1"))
    reach = scope(ctx)
    visible = [
        p
        for p in all_price_lists(ctx.session, ALL_LISTS, 0)
        if p.customer_id is None or reach.covers(_owner_of(ctx, p.customer_id))
    ]  # another team's customers' lists are not shown
    found = visible[(page - 1) * PAGE : page * PAGE + 1]
    lines = [_summary(ctx, p) for p in found[:PAGE]]
    known = (page - 1) * PAGE + len(found)  # one more than the page: there is a next page

    def again(n: int) -> str:
        return f"/{_name(ctx, 'pricelist')} {WORDS['list'][_zh(ctx)]} {n}"

    return Card(
        title=ctx.t(_("Price lists")),
        body="\n".join(lines) or ctx.t(_("No price lists yet.")),
        buttons=page_buttons(ctx, again, page, known),
    )


def _list_card(
    ctx: CommandContext,
    chosen: PriceList,
    page: int,
    title: str = "",
    status: CardStatus = CardStatus.INFO,
) -> Card:
    lines = lines_of(ctx.session, chosen)
    shown = lines[(page - 1) * PAGE : page * PAGE]
    body = [
        ctx.t(
            _("{sku} from {min}: {price}"),
            sku=p.sku,
            min=plain(line.min_qty),
            price=plain(line.price),
        )
        for p, line in shown
    ]

    def again(n: int) -> str:
        return f"/{_name(ctx, 'pricelist')} {WORDS['show'][_zh(ctx)]} {chosen.name} {n}"

    return Card(
        title=title or chosen.name,
        body="\n".join([_summary(ctx, chosen), *body]),
        buttons=page_buttons(ctx, again, page, len(lines)),
        footer=page_footer(ctx, page, len(lines)),
        status=status,
    )


def _summary(ctx: CommandContext, chosen: PriceList) -> str:
    whom = (
        ctx.t(_("customer #{id}"), id=chosen.customer_id)
        if chosen.customer_id is not None
        else ctx.t(_("tier {tier}"), tier=chosen.tier)
    )
    start = chosen.valid_from.isoformat() if chosen.valid_from else "…"
    end = chosen.valid_to.isoformat() if chosen.valid_to else "…"
    return f"{chosen.name} · {whom} · {chosen.currency} · {start} – {end}"


def _may_maintain(ctx: CommandContext, action: str) -> None:
    roles = set(ctx.actor.roles)
    if "admin" in roles or {"sales", "manager"} <= roles:
        return
    log.warning("refused.permission", member=ctx.actor.handle, command=f"pricelist {action}")
    raise Forbidden("Only admins and sales managers can change price lists.")


def _read(ctx: CommandContext, fields: Sequence[ReaderField], text: str) -> Reading:
    reading = read(fields, text, Where(ctx.actor.timezone, ctx.now, _known(ctx)))
    problems = unusable(ctx, fields, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    return reading


def _known(ctx: CommandContext) -> Callable[[ReaderField, str], bool]:
    def known(item: ReaderField, text: str) -> bool:
        if item.key == "pricelist":
            return list_named(ctx.session, text) is not None
        if item.key == "product":
            return product_by_sku(ctx.session, text) is not None or (
                len(text) >= 2 and bool(find_products(ctx.session, text, limit=1))
            )
        return False

    return known


def _customer_first(typed: str) -> str:
    """``SKU 12 100``: of two plain numbers, the first is the customer (``#12``), as in
    ``/price SKU [CUSTOMER] [QTY]``; one plain number alone is the quantity."""
    words = typed.split()
    numbers = [i for i, w in enumerate(words) if i and w.isascii() and w.isdecimal()]
    if len(numbers) >= 2 and "=" not in typed:
        words[numbers[0]] = "#" + words[numbers[0]]
    return " ".join(words)


def _today(ctx: CommandContext) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _name(ctx: CommandContext, command: str) -> str:
    return {"pricelist": "价格表", "price": "价格"}[command] if _zh(ctx) else command


def _zh(ctx: CommandContext) -> int:
    return 1 if ctx.locale.startswith("zh") else 0


Subcommand = Callable[[CommandContext, str], Message]
SUBCOMMANDS: dict[str, Subcommand] = {"add": _add, "line": _line, "show": _show, "list": _list}


def register(router: Router) -> None:
    """Register /price and /pricelist."""
    router.add(
        CommandSpec(
            name="price",
            summary=_("A product's price for a customer and a quantity, and where it comes from"),
            handler=price,
            args=PriceArgs,
            aliases=("价格", "报价单价"),
            details=_(
                "A customer is a number such as 12 or #12; of two numbers, the first is the "
                "customer and the second the quantity. tier=A asks a tier's price."
            ),
            examples=(_("/price BOLT-M6"), _("/price BOLT-M6 100"), _("/price BOLT-M6 #12 100")),
        )
    )
    router.add(
        CommandSpec(
            name="pricelist",
            summary=_("Price lists per customer or tier, with quantity breaks and dates"),
            handler=pricelist,
            args=PriceArgs,
            aliases=("价格表", "price-list"),
            permission=Permission.CRM_USE,
            details=_("Adding lists and prices is for admins and sales managers."),
            examples=(
                _("/pricelist add Gold tier=A currency=CNY from=2026-01-01 to=2026-12-31"),
                _("/pricelist line Gold BOLT-M6 0.95 min=100"),
                _("/pricelist show Gold"),
                _("/pricelist"),
            ),
        )
    )

"""/stocktake (/盘点) start|list|finish|cancel and /count (/点数): blind stock takes in chat.

Warehouse staff (``erp.stock.move``) start a take, count and finish counting; the variance card
goes to the warehouse managers (members with both the ``warehouse`` and the ``manager`` role;
the admins when the org file names none), who approve it with a button (the adjustments are
posted once) or cancel it. Counters never see the book quantities.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, t
from bot.parsing import ArgumentError
from bot.reader import Field as ReaderField
from bot.reader import Kind
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import ActionSpec, CommandSpec, Router
from commands.erp.lines import field, in_stock_units, product_of, read_line, require, warehouse_of
from commands.erp.paging import PAGE, line_button, page_buttons, page_footer, page_of
from domain.directory.roles import Permission
from domain.directory.services import holders_else_admins
from domain.directory.views import MemberView
from domain.erp import counting
from domain.erp.count_models import StockTake
from domain.erp.models import Product
from domain.shared.errors import Conflict, DomainError, Forbidden, NotFound
from domain.shared.quantity import plain

log = structlog.get_logger(__name__)
APPROVE_ACTION = "erp.stocktake.approve"
CANCEL_ACTION = "erp.stocktake.cancel"
WORDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "开始", "开启", "begin"),
    "list": ("list", "清单", "列表", "products"),
    "finish": ("finish", "完成", "结束", "done"),
    "cancel": ("cancel", "取消", "作废"),
}
STATUS = {
    counting.COUNTING: _("counting"),
    counting.REVIEW: _("waiting for approval"),
    counting.APPROVED: _("approved"),
    counting.CANCELLED: _("cancelled"),
}
TAKE_FIELDS = (
    ReaderField("page", Kind.NUMBER, ("页", "第几页"), positional=True),
    field("warehouse", Kind.RECORD, positional=True),
)
COUNT_FIELDS = (
    field("product", Kind.RECORD, positional=True),
    field("qty", Kind.NUMBER, positional=True),
    field("warehouse", Kind.RECORD, positional=True),
)


class TakeArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def stocktake(ctx: CommandContext, _args: TakeArgs) -> Message:
    """Run one /stocktake subcommand."""
    word, _sep, text = ctx.typed.partition(" ")
    action = next((a for a, words in WORDS.items() if word.lower() in words), None)
    if action is None:
        names = "、".join(w[1] for w in WORDS.values()) if _zh(ctx.locale) else ", ".join(WORDS)
        raise ArgumentError("/stocktake takes one of: {choices}.", choices=names)
    return SUBCOMMANDS[action](ctx, text.strip())


def _start(ctx: CommandContext, text: str) -> Message:
    values = _read(ctx, text, ("warehouse",))
    warehouse = warehouse_of(ctx, values["warehouse"])
    take = counting.start_stock_take(ctx.session, warehouse, ctx.actor.id, ctx.now)
    listed = _line(ctx, "stocktake", "list", warehouse.code)
    return Card(
        title=ctx.t(_("Stock take #{id} of {code} started"), id=take.id, code=warehouse.code),
        body=ctx.t(
            _(
                "The count is blind: book quantities are not shown. Send {example}, or tap "
                "through the products."
            ),
            example=_line(ctx, "count", "", "SKU QTY", warehouse.code),
        ),
        buttons=(line_button(ctx.t(_("Products to count")), listed),),
        status=CardStatus.SUCCESS,
    )


def _list(ctx: CommandContext, text: str) -> Message:
    values = _read(ctx, text, ())
    take = _take_of(ctx, values.get("warehouse"), (counting.COUNTING,))
    code = counting.warehouse_of_take(ctx.session, take).code
    page = page_of(values.get("page", "1"))
    products, total = counting.books_of(ctx.session, take, PAGE, (page - 1) * PAGE)
    mine = counting.counted_by(ctx.session, take, ctx.actor.id)
    lines = [_product_line(ctx, p, mine.get(p.id)) for p in products]
    buttons = tuple(
        line_button(f"{p.sku} {_name(ctx.locale, p)}", _line(ctx, "count", "", p.sku, code))
        for p in products
    )

    def again(n: int) -> str:
        return _line(ctx, "stocktake", "list", code, str(n))

    return Card(
        title=ctx.t(_("Stock take #{id} of {code}: products"), id=take.id, code=code),
        body="\n".join(lines) or ctx.t(_("The books held nothing here; count with /count.")),
        buttons=buttons + page_buttons(ctx, again, page, total),
        footer=page_footer(ctx, page, total),
    )


def _product_line(ctx: CommandContext, product: Product, counted: Decimal | None) -> str:
    head = f"{product.sku} {_name(ctx.locale, product)}"
    if counted is None:
        return head + " · " + ctx.t(_("not counted by you yet"))
    mark = ctx.t(_("your count {qty} {uom}"), qty=plain(counted), uom=product.uom)
    return f"{head} · {mark}"


def _finish(ctx: CommandContext, text: str) -> Message:
    values = _read(ctx, text, ())
    take = _take_of(ctx, values.get("warehouse"), (counting.COUNTING,))
    deciders = approvers(ctx)
    if not deciders:
        raise Conflict("Nobody may approve stock takes: the org file names no warehouse manager.")
    found = counting.finish_counting(ctx.session, take, ctx.now)
    code = counting.warehouse_of_take(ctx.session, take).code
    for member in deciders:
        card = variance_card(member.locale, found, code, ctx.org.currency)
        ctx.notify(member.id, card, subject=_subject(take))
    names = "、".join(m.name for m in deciders)
    return Reply(
        ctx.t(
            _("Counting of stock take #{id} at {code} is over; {names} will approve the variance."),
            id=take.id,
            code=code,
            names=names,
        )
    )


def _cancel(ctx: CommandContext, text: str) -> Message:
    values = _read(ctx, text, ())
    take = _take_of(ctx, values.get("warehouse"), counting.OPEN)
    return _cancelled(ctx, take.id)


def _cancelled(ctx: CommandContext, take_id: int) -> Message:
    take = counting.cancel(ctx.session, take_id, ctx.actor.id, ctx.now)
    code = counting.warehouse_of_take(ctx.session, take).code
    card = Card(
        title=ctx.t(_("Stock take #{id} of {code} cancelled"), id=take.id, code=code),
        body=ctx.t(_("Nothing was adjusted.")),
        status=CardStatus.DANGER,
    )
    ctx.update_cards(_subject(take), card)
    return card


def count(ctx: CommandContext, _args: TakeArgs) -> Message:
    """/count SKU QTY [WAREHOUSE]: a counter's count of a product (a later one replaces it)."""
    reading = read_line(ctx, COUNT_FIELDS, ctx.typed)
    require(ctx, COUNT_FIELDS, reading, ("product",))
    product = product_of(ctx, reading.values["product"])
    take = _take_of(ctx, reading.values.get("warehouse"), (counting.COUNTING,))
    require(ctx, COUNT_FIELDS, reading, ("qty",))
    quantity = in_stock_units(product, ctx.typed, _counted(reading.values["qty"]))
    counting.record_count(ctx.session, take, product, ctx.actor.id, quantity, ctx.now)
    code = counting.warehouse_of_take(ctx.session, take).code
    return Reply(
        ctx.t(
            _("Counted {qty} {uom} of {sku} {name} at {code} (stock take #{id})."),
            qty=plain(quantity),
            uom=product.uom,
            sku=product.sku,
            name=_name(ctx.locale, product),
            code=code,
            id=take.id,
        )
    )


def variance_card(
    locale: str, found: counting.Variance, code: str, currency: str, *, buttons: bool = True
) -> Card:
    """Book against counted per product, the value of each difference, Approve and Cancel."""
    take = found.take
    lines = [
        t(
            locale,
            _(
                "{sku} {name}: book {book}, counted {counted}, difference {difference} {uom}, "
                "value {value}"
            ),
            sku=line.product.sku,
            name=_name(locale, line.product),
            book=plain(line.book),
            counted=plain(line.counted),
            difference=_signed(line.difference),
            uom=line.product.uom,
            value=_signed(value),
        )
        for line, value in found.lines
    ]
    kept = _(
        "Moves during the count are kept: each product is adjusted by counted less book at start."
    )
    notes = [t(locale, kept)]
    if found.not_counted:
        left = _("{n} products with stock were not counted and are left alone.")
        notes.append(t(locale, left, n=found.not_counted))
    return Card(
        title=t(locale, _("Stock take #{id} of {code}: variance"), id=take.id, code=code),
        body="\n".join(lines) or t(locale, _("Nothing was counted.")),
        fields=(
            CardField(t(locale, _("Total value")), f"{_signed(found.total_value)} {currency}"),
        ),
        footer="\n".join(notes),
        buttons=_decision_buttons(locale, take) if buttons else (),
        status=CardStatus.PENDING,
    )


def _decision_buttons(locale: str, take: StockTake) -> tuple[Button, ...]:
    target = str(take.id)
    return (
        Button(t(locale, _("Approve")), Action(APPROVE_ACTION, target), ButtonStyle.PRIMARY),
        Button(t(locale, _("Cancel")), Action(CANCEL_ACTION, target), ButtonStyle.DANGER),
    )


def approve_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Approve: post the adjustments (once) and show the outcome on every copy of the card."""
    _may_decide(ctx, "approve")
    decided = counting.approve(ctx.session, int(target), ctx.actor.id, ctx.now)
    if not decided.new:
        return stale(ctx, target, _args)
    code = counting.warehouse_of_take(ctx.session, decided.take).code
    card = Card(
        title=ctx.t(_("Stock take #{id} of {code} approved"), id=decided.take.id, code=code),
        body=ctx.t(
            _("{name} approved it; adjustments posted: {count}."),
            name=ctx.actor.name,
            count=decided.posted,
        ),
        status=CardStatus.SUCCESS,
    )
    ctx.update_cards(_subject(decided.take), card)
    return None


def cancel_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Cancel from the variance card: nothing is adjusted."""
    _may_decide(ctx, "cancel")
    _cancelled(ctx, int(target))
    return None


def stale(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A button of a take already decided: say how it stands."""
    take = counting.take_by_id(ctx.session, int(target))
    return Reply(
        ctx.t(_("Stock take #{id} is {status}."), id=take.id, status=ctx.t(STATUS[take.status]))
    )


def approvers(ctx: CommandContext) -> list[MemberView]:
    """Who approves stock takes: the warehouse managers, else the admins."""
    return holders_else_admins(ctx.session, "warehouse", "manager")


def _may_decide(ctx: CommandContext, action: str) -> None:
    if ctx.actor.id not in {m.id for m in approvers(ctx)}:
        log.warning("refused.permission", member=ctx.actor.handle, action=f"stocktake {action}")
        raise Forbidden("Only a warehouse manager can approve or cancel a stock take.")


def _take_of(ctx: CommandContext, code: str | None, statuses: tuple[str, ...]) -> StockTake:
    """The take of the warehouse named, or the only one in these states."""
    if code:
        warehouse = warehouse_of(ctx, code)
        take = counting.open_take(ctx.session, warehouse.id)
        if take is None or take.status not in statuses:
            raise NotFound("No stock take is counting at {code}.", code=warehouse.code)
        return take
    takes = counting.open_takes(ctx.session, statuses)
    if len(takes) == 1:
        return takes[0]
    if not takes:
        example = _line(ctx, "stocktake", "start", "SH")
        raise NotFound("No stock take is counting. Start one with {example}.", example=example)
    raise DomainError("Several stock takes are open; name the warehouse.")


def _read(ctx: CommandContext, text: str, needed: tuple[str, ...]) -> dict[str, str]:
    reading = read_line(ctx, TAKE_FIELDS, text)
    require(ctx, TAKE_FIELDS, reading, needed)
    return reading.values


def _counted(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError("{text} is not a quantity.", text=text) from exc
    if value < 0:
        raise DomainError("A count is 0 or more with at most 3 decimals, not {qty}.", qty=text)
    return value


def _line(ctx: CommandContext, command: str, action: str, *words: str) -> str:
    """A command line as the reader would type it."""
    zh = _zh(ctx.locale)
    name = {"stocktake": "盘点", "count": "点数"}[command] if zh else command
    verb = WORDS[action][1 if zh else 0] if action else ""
    return " ".join(w for w in (f"/{name}", verb, *words) if w)


def _subject(take: StockTake) -> str:
    return f"erp.stocktake:{take.id}"


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + plain(value)


def _name(locale: str, product: Product) -> str:
    first, second = (product.name_zh, product.name_en)
    return (first or second) if _zh(locale) else (second or first)


def _zh(locale: str) -> bool:
    return locale.startswith("zh")


Subcommand = Callable[[CommandContext, str], Message]
SUBCOMMANDS: dict[str, Subcommand] = {
    "start": _start,
    "list": _list,
    "finish": _finish,
    "cancel": _cancel,
}


def register(router: Router) -> None:
    """Register /stocktake, /count and the variance card's buttons."""
    router.add(
        CommandSpec(
            name="stocktake",
            summary=_("Count a warehouse blind, then have the variance approved"),
            handler=stocktake,
            args=TakeArgs,
            aliases=("盘点", "stock-take"),
            permission=Permission.STOCK_MOVE,
            details=_(
                "start opens the count, list shows the products to tap through, finish sends "
                "the variance to the warehouse manager, cancel drops it."
            ),
            examples=(
                _("/stocktake start SH"),
                _("/stocktake list SH"),
                _("/stocktake finish SH"),
                _("/stocktake cancel SH"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="count",
            summary=_("Count a product in an open stock take"),
            handler=count,
            args=TakeArgs,
            aliases=("点数", "盘点数量"),
            permission=Permission.STOCK_MOVE,
            examples=(_("/count BOLT-M6 118"), _("/count BOLT-M6 118 SH")),
        )
    )
    for name, handler in ((APPROVE_ACTION, approve_button), (CANCEL_ACTION, cancel_button)):
        router.add_action(ActionSpec(name, handler, on_stale=stale))

"""/bom (/物料清单), /mo (/生产单) and /produce (/报工): bills of materials, production orders and
production reports from chat.

``/bom STOOL 20`` shows the tree for 20 stools with what is short; ``/bom set STOOL LEG 4
scrap=5%; SEAT 1 yield=98%`` adds a version (one component per ``;``). ``/mo new STOOL 20 SH
due=2026-12-20`` plans an order, its card releases or cancels it; ``/produce MO2026-00001 8
scrap=1`` reports output. A report's key is the chat event's, so a redelivered message reports
once."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Field as ReaderField
from bot.reader import Kind
from bot.replies import Action, Button, Card, CardStatus, Message
from bot.replies import Field as CardField
from bot.router import ActionSpec, CommandSpec, Router
from commands.erp.cards import product_name
from commands.erp.lines import (
    in_stock_units,
    known_records,
    product_of,
    quantity_of,
    read_required,
    tax_rate_of,
    warehouse_of,
)
from commands.erp.production_tasks import announce, task_line
from domain.directory.roles import Permission
from domain.erp import production
from domain.erp.boms import BomNode, ComponentRequest, explode, set_bom
from domain.erp.models import Product, Warehouse
from domain.erp.production_models import ProductionOrder
from domain.erp.production_views import OPEN, open_orders, order_numbered
from domain.erp.tasks import tasks_of_order
from domain.erp.warehouses import all_warehouses, main_location
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.shared.quantity import plain

log = structlog.get_logger(__name__)
RELEASE_ACTION = "erp.mo.release"
CANCEL_ACTION = "erp.mo.cancel"
LISTED = 20
SEGMENTS = re.compile(r"[;；]")
NAMES: dict[str, tuple[str, ...]] = {
    "product": ("产品", "物料"),
    "component": ("组件", "子件", "材料"),
    "qty": ("数量", "quantity"),
    "scrap": ("损耗", "损耗率", "报废", "废品"),
    "yield": ("成品率", "良率"),
    "effective": ("生效", "生效日期", "from"),
    "warehouse": ("仓库",),
    "due": ("交期", "完工日期", "by"),
    "order": ("生产单", "单号"),
}
VERBS: dict[str, tuple[str, ...]] = {
    "new": ("new", "add", "新建", "新增"),
    "show": ("show", "查看"),
    "release": ("release", "下达"),
    "cancel": ("cancel", "取消"),
    "set": ("set", "设置"),
}
STATUS_LABELS = {
    "planned": _("planned"),
    "released": _("released"),
    "in_progress": _("in progress"),
    "done": _("done"),
    "cancelled": _("cancelled"),
}


def _field(key: str, kind: Kind = Kind.TEXT, *, positional: bool = False) -> ReaderField:
    return ReaderField(key, kind, NAMES.get(key, ()), (), positional=positional)


TREE_FIELDS = (
    _field("product", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
)
SET_FIELDS = (
    _field("product", Kind.RECORD, positional=True),
    _field("component", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("scrap"),
    _field("yield"),
    _field("effective", Kind.DATE),
)
COMPONENT_FIELDS = (
    _field("component", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("scrap"),
    _field("yield"),
    _field("effective", Kind.DATE),
)
NEW_FIELDS = (
    _field("product", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("warehouse", Kind.RECORD, positional=True),
    _field("due", Kind.DATE),
)
ONE_FIELDS = (_field("order", Kind.RECORD, positional=True),)
REPORT_FIELDS = (
    _field("order", Kind.RECORD, positional=True),
    _field("qty", Kind.NUMBER, positional=True),
    _field("scrap", Kind.NUMBER),
)


class ProductionArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def bom(ctx: CommandContext, _args: ProductionArgs) -> Message:
    """/bom SKU [QTY]: the tree; /bom set SKU COMPONENT QTY [scrap=…]; …: a new version."""
    word, _space, rest = ctx.typed.strip().partition(" ")
    if word.lower() in VERBS["set"]:
        if not ctx.may(Permission.CATALOG_EDIT):
            log.warning("refused.erp_bom_set", member=ctx.actor.handle)
            raise Forbidden("Only the catalog's keepers change bills of materials.")
        return _set_bom(ctx, rest)
    values = _read(ctx, TREE_FIELDS, ctx.typed, ("product",))
    product = product_of(ctx, values["product"])
    quantity = quantity_of(values["qty"]) if "qty" in values else Decimal(1)
    tree = explode(ctx.session, product.id, quantity, ctx.now.date())
    return _tree_card(ctx, tree)


def mo(ctx: CommandContext, _args: ProductionArgs) -> Message:
    """/mo: open orders; /mo new SKU QTY [WAREHOUSE] [due=DATE]; /mo show|release|cancel MO…."""
    word, _space, rest = ctx.typed.strip().partition(" ")
    verb = next((v for v, words in VERBS.items() if word.lower() in words), None)
    if not ctx.typed.strip():
        return _list_card(ctx)
    if verb is None or verb == "new":
        return _new(ctx, rest if verb == "new" else ctx.typed)
    order = _by_number(ctx, _read(ctx, ONE_FIELDS, rest, ("order",))["order"])
    if verb == "release":
        return release(ctx, order)
    if verb == "cancel":
        return cancel(ctx, order)
    return order_card(ctx, order)


def produce(ctx: CommandContext, _args: ProductionArgs) -> Message:
    """/produce MO… QTY [scrap=N]: report what was made (and spoiled)."""
    values = _read(ctx, REPORT_FIELDS, ctx.typed, ("order", "qty"))
    order = _by_number(ctx, values["order"])
    good = _count(values["qty"])
    scrap = _count(values["scrap"]) if "scrap" in values else Decimal(0)
    key = f"chat:{ctx.event.address.channel}:{ctx.event.event_id}"
    reported = production.report_production(
        ctx.session, order.id, good, scrap, key, ctx.actor.id, ctx.now
    )
    if not reported.new:
        return order_card(ctx, order, ctx.t(_("Nothing changed.")))
    said = ctx.t(
        _("Reported {good} made and {scrap} scrapped; {value} into stock."),
        good=plain(good),
        scrap=plain(scrap),
        value=f"{reported.report.output_value:.2f}",
    )
    return order_card(ctx, order, said)


def release(ctx: CommandContext, order: ProductionOrder) -> Message:
    """Release an order: reserve its components, saying what is short; its tasks' cards go to
    the members who run them."""
    released = production.release_production(ctx.session, order.id, ctx.now)
    announce(ctx, released.tasks)
    if not released.shortages:
        return order_card(ctx, order, ctx.t(_("Released; every component is reserved.")))
    missing = "、".join(f"{s.sku} {plain(s.missing)}" for s in released.shortages)
    return order_card(ctx, order, ctx.t(_("Released; still short: {missing}."), missing=missing))


def cancel(ctx: CommandContext, order: ProductionOrder) -> Message:
    """Cancel an order, giving back what is reserved for it."""
    changed = production.cancel_production(ctx.session, order.id, ctx.now)
    said = _("Cancelled; what was reserved is free again.") if changed else _("Nothing changed.")
    return order_card(ctx, order, ctx.t(said))


def order_card(ctx: CommandContext, order: ProductionOrder, headline: str = "") -> Card:
    """A production order: its components, progress and cost so far, and its buttons."""
    product = _product(ctx, order.product_id)
    lines = [
        ctx.t(
            _("{sku} {name}: needs {required}, reserved {reserved}, consumed {consumed}"),
            sku=item.sku,
            name=product_name(ctx, item),
            required=plain(component.required),
            reserved=plain(component.reserved),
            consumed=plain(component.consumed),
        )
        for component in production.components_of(ctx.session, order.id)
        if (item := _product(ctx, component.product_id))
    ]
    lines += [task_line(ctx, task) for task in tasks_of_order(ctx.session, order.id)]
    fields = (
        CardField(ctx.t(_("Made")), f"{plain(order.produced)} / {plain(order.quantity)}"),
        CardField(ctx.t(_("Scrapped")), plain(order.scrapped)),
        CardField(ctx.t(_("Due")), order.due.isoformat() if order.due else "—"),
        CardField(ctx.t(_("Cost so far")), f"{order.output_value + order.scrap_value:.2f}"),
    )
    return Card(
        title=_title(ctx, order, product),
        body="\n".join(x for x in (headline, *lines) if x),
        fields=fields,
        status=_status(order),
        buttons=_buttons(ctx, order),
    )


def _new(ctx: CommandContext, text: str) -> Message:
    values = _read(ctx, NEW_FIELDS, text, ("product", "qty"))
    product = product_of(ctx, values["product"])
    quantity = in_stock_units(product, text, quantity_of(values["qty"]))
    warehouse = (
        warehouse_of(ctx, values["warehouse"]) if "warehouse" in values else _only_warehouse(ctx)
    )
    due = date.fromisoformat(values["due"]) if "due" in values else None
    order = production.create_production(
        ctx.session, product.id, quantity, main_location(ctx.session, warehouse), ctx.now,
        due=due, owner_id=ctx.actor.id, source="chat",
    )  # fmt: skip
    return order_card(
        ctx, order, ctx.t(_("Production order {number} planned."), number=order.number)
    )


def _set_bom(ctx: CommandContext, text: str) -> Message:
    first, *more = SEGMENTS.split(text)
    values = _read(ctx, SET_FIELDS, first, ("product", "component", "qty"))
    product = product_of(ctx, values["product"])
    options = dict(values)
    requests = [_component(ctx, values)]
    for segment in (s for s in more if s.strip()):
        extra = _read(ctx, COMPONENT_FIELDS, segment, ("component", "qty"))
        options |= {k: v for k, v in extra.items() if k in ("yield", "effective")}
        requests.append(_component(ctx, extra))
    starts = date.fromisoformat(options["effective"]) if "effective" in options else ctx.now.date()
    yield_rate = tax_rate_of(options["yield"]) if "yield" in options else Decimal(1)
    version = set_bom(ctx.session, product.id, requests, starts, ctx.now, yield_rate=yield_rate)
    said = ctx.t(
        _("Bill of materials version {version} of {sku}, in force from {day}."),
        version=version.version,
        sku=product.sku,
        day=starts.isoformat(),
    )
    tree = explode(ctx.session, product.id, Decimal(1), starts)
    return _tree_card(ctx, tree, said)


def _component(ctx: CommandContext, values: dict[str, str]) -> ComponentRequest:
    component = product_of(ctx, values["component"])
    scrap = tax_rate_of(values["scrap"]) if "scrap" in values else Decimal(0)
    return ComponentRequest(component.id, quantity_of(values["qty"]), scrap)


def _tree_card(ctx: CommandContext, tree: BomNode, headline: str = "") -> Card:
    if not tree.components:
        raise NotFound("{sku} has no bill of materials in force.", sku=tree.product.sku)
    rows = [row for child in tree.components for row in _tree_rows(ctx, child, depth=0)]
    short = any(_short_anywhere(child) for child in tree.components)
    return Card(
        title=ctx.t(
            _("Bill of materials: {sku} {name} × {qty}"),
            sku=tree.product.sku,
            name=product_name(ctx, tree.product),
            qty=plain(tree.needed),
        ),
        body="\n".join(x for x in (headline, *rows) if x),
        status=CardStatus.WARNING if short else CardStatus.INFO,
    )


def _tree_rows(ctx: CommandContext, node: BomNode, depth: int) -> list[str]:
    state = ctx.t(_("short {short}"), short=plain(node.short)) if node.short else ctx.t(_("enough"))
    row = ctx.t(
        _("{indent}{sku} {name} × {qty} {uom} · available {available} · {state}"),
        indent="    " * depth,
        sku=node.product.sku,
        name=product_name(ctx, node.product),
        qty=plain(node.needed),
        uom=node.product.uom,
        available=plain(node.available),
        state=state,
    )
    return [row, *(r for child in node.components for r in _tree_rows(ctx, child, depth + 1))]


def _short_anywhere(node: BomNode) -> bool:
    return node.short > 0 or any(_short_anywhere(child) for child in node.components)


def _list_card(ctx: CommandContext) -> Card:
    orders = open_orders(ctx.session, LISTED)
    lines = [_title(ctx, o, _product(ctx, o.product_id)) for o in orders]
    return Card(
        title=ctx.t(_("Open production orders")),
        body="\n".join(lines) or ctx.t(_("Nothing found.")),
    )


def _title(ctx: CommandContext, order: ProductionOrder, product: Product) -> str:
    return ctx.t(
        _("Production order {number} · {sku} {name} × {qty} · {status}"),
        number=order.number,
        sku=product.sku,
        name=product_name(ctx, product),
        qty=plain(order.quantity),
        status=ctx.t(STATUS_LABELS[order.status]),
    )


def _status(order: ProductionOrder) -> CardStatus:
    if order.status == "cancelled":
        return CardStatus.DANGER
    if order.status == "done":
        return CardStatus.SUCCESS
    return CardStatus.PENDING if order.status == "planned" else CardStatus.INFO


def _buttons(ctx: CommandContext, order: ProductionOrder) -> tuple[Button, ...]:
    zh = ctx.locale.startswith("zh")
    word = "/生产单" if zh else "/mo"
    buttons: list[Button] = []
    if order.status in OPEN:
        buttons.append(
            Button(
                ctx.t(_("Release") if order.status == "planned" else _("Reserve again")),
                Action(RELEASE_ACTION, str(order.id)),
                command=f"{word} {'下达' if zh else 'release'} {order.number}",
            )
        )
        buttons.append(
            Button(
                ctx.t(_("Cancel")),
                Action(CANCEL_ACTION, str(order.id)),
                command=f"{word} {'取消' if zh else 'cancel'} {order.number}",
            )
        )
    return tuple(buttons)


def _by_number(ctx: CommandContext, number: str) -> ProductionOrder:
    order = order_numbered(ctx.session, number)
    if order is None:
        raise NotFound("There is no production order {number}.", number=number[:32])
    return order


def _only_warehouse(ctx: CommandContext) -> Warehouse:
    warehouses = all_warehouses(ctx.session)
    if len(warehouses) != 1:
        raise DomainError(
            "Say which warehouse: {codes}.", codes=", ".join(w.code for w in warehouses)
        )
    return warehouses[0]


def _product(ctx: CommandContext, product_id: int) -> Product:
    product = ctx.session.get(Product, product_id)
    assert product is not None  # a foreign key
    return product


def _count(text: str) -> Decimal:
    """A reported count: 0 is allowed (nothing made, or nothing scrapped)."""
    if text.strip() in ("0", "0.0"):
        return Decimal(0)
    return quantity_of(text)


def _read(
    ctx: CommandContext, fields: tuple[ReaderField, ...], text: str, needed: tuple[str, ...]
) -> dict[str, str]:
    """Read a production command: the ERP's records, and production orders by number."""

    def order(item: ReaderField, word: str) -> bool:
        return item.key == "order" and order_numbered(ctx.session, word) is not None

    return read_required(ctx, fields, text, needed, known_records(ctx, order))


def _release_button(ctx: CommandContext, target: str, _args: dict[str, object]) -> Message | None:
    ctx.edit_card(release(ctx, production.locked_order(ctx.session, int(target))))
    return None


def _cancel_button(ctx: CommandContext, target: str, _args: dict[str, object]) -> Message | None:
    ctx.edit_card(cancel(ctx, production.locked_order(ctx.session, int(target))))
    return None


def register(router: Router) -> None:
    """Register /bom, /mo and /produce, and the production order card's buttons."""
    for spec in (
        CommandSpec(
            name="bom",
            summary=_("A product's bill of materials, with what is short; or set a new version"),
            handler=bom,
            args=ProductionArgs,
            aliases=("物料清单", "配方"),
            examples=(_("/bom STOOL-01 20"), _("/bom set STOOL-01 LEG-01 4 scrap=5%; SEAT-01 1")),
        ),
        CommandSpec(
            name="mo",
            summary=_("Production orders: plan, show, release, cancel"),
            handler=mo,
            args=ProductionArgs,
            aliases=("生产单", "生产订单"),
            permission=Permission.PRODUCE,
            examples=(_("/mo new STOOL-01 20 SH due=2026-12-20"), _("/mo release MO2026-00001")),
        ),
        CommandSpec(
            name="produce",
            summary=_("Report what a production order made (and scrapped)"),
            handler=produce,
            args=ProductionArgs,
            aliases=("报工", "完工"),
            permission=Permission.PRODUCE,
            examples=(_("/produce MO2026-00001 8 scrap=1"),),
        ),
    ):
        router.add(spec)
    for name, handler in ((RELEASE_ACTION, _release_button), (CANCEL_ACTION, _cancel_button)):
        router.add_action(ActionSpec(name, handler, permission=Permission.PRODUCE))

"""How the ERP commands read a line: one table of field names in both languages, products and
warehouses named by SKU, code or name, and the kernel's argument reader (its refusals and
questions are the CRM's, ``commands/crm/lines.py``).

``/产品 新增 BOLT-M6 螺栓 原材料 成本=0.35 安全库存=500``, ``/库存 BOLT-M6 上海仓``,
``/调拨 BOLT-M6 20 从 SH 到 BJ``, ``/盘盈盘亏 BOLT-M6 盘亏 3 SH 破损``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import normalise
from bot.picking import Ambiguous, Option, pick_card, replaced
from bot.reader import Choice, Field, Kind, Reading, Where, read
from bot.reader.amounts import ENGLISH_UNITS, MEASURES, PIECES, is_english_unit, read_amount
from commands.crm.lines import ask_for, unusable
from domain.erp.catalog import find_products, product_by_sku
from domain.erp.models import Product, Warehouse
from domain.erp.warehouses import warehouse_named
from domain.shared.errors import DomainError, NotFound

NAMES: dict[str, tuple[str, ...]] = {
    "sku": ("编码", "货号", "料号"),
    "name": ("名称", "品名"),
    "zh": ("中文名", "中文名称"),
    "en": ("英文名", "英文名称", "english"),
    "type": ("类型", "kind"),
    "uom": ("单位", "unit"),
    "purchase_unit": ("采购单位", "buy unit"),
    "factor": ("换算", "每采购单位", "per"),
    "cost": ("成本",),
    "price": ("售价", "价格", "list price"),
    "tax": ("税率", "tax rate"),
    "safety": ("安全库存", "safety stock"),
    "reorder": ("再订货点", "订货点", "reorder point"),
    "reorder_qty": ("订货量", "再订货量", "reorder qty"),
    "lead": ("采购周期", "交货期", "lead time"),
    "supplier": ("供应商", "默认供应商"),
    "negative": ("允许负库存", "负库存"),
    "active": ("启用", "状态"),
    "product": ("产品", "商品", "物料"),
    "warehouse": ("仓库",),
    "qty": ("数量", "quantity"),
    "from": ("从", "调出", "调出仓"),
    "to": ("到", "调入", "调入仓"),
    "direction": ("盘点结果",),
    "reason": ("原因", "理由", "备注", "note"),
    "page": ("页", "页码"),
}
KIND_CHOICES = (
    Choice("raw", ("原材料", "原料", "raw material")),
    Choice("semi", ("半成品", "semi-finished")),
    Choice("finished", ("成品", "产成品", "finished goods")),
    Choice("consumable", ("耗材", "消耗品", "易耗品")),
    Choice("service", ("服务",)),
)
YES_NO = (
    Choice("yes", ("是", "允许", "true", "on")),
    Choice("no", ("否", "不允许", "false", "off")),
)
DIRECTIONS = (
    Choice("gain", ("盘盈", "surplus")),
    Choice("loss", ("盘亏", "shortage")),
)
PICK_LIMIT = 8
COUNTED = re.compile(
    rf"(?<![A-Za-z0-9.])(?P<n>[0-9.零〇一二两三四五六七八九十百千万]+)\s*(?P<unit>[{MEASURES}])"
)
COUNTED_IN_ENGLISH = re.compile(
    r"(?<![A-Za-z0-9.])(?P<n>[0-9]+(?:\.[0-9]+)?)\s+(?P<unit>[A-Za-z]+)\b"
)
FILLERS = frozenset({"from", "to", "从", "到", "→", "->", "至"})


def field(
    key: str, kind: Kind = Kind.TEXT, *, positional: bool = False, choices: Sequence[Choice] = ()
) -> Field:
    """An ERP field with its names from the table."""
    return Field(key, kind, NAMES.get(key, ()), tuple(choices), positional=positional)


Known = Callable[[Field, str], bool]  # whether a word names a record of a field's kind


def read_line(ctx: CommandContext, fields: Sequence[Field], text: str) -> Reading:
    """Read a stock command's ``text`` against ``fields`` (``+120`` is a gain of 120)."""
    return read_fields(ctx, fields, text, known_records(ctx), gains=True)


def read_fields(
    ctx: CommandContext, fields: Sequence[Field], text: str, known: Known, *, gains: bool = False
) -> Reading:
    """Read ``text`` against ``fields`` (filler words dropped; ``gains``: a leading ``+``
    too); anything unusable is refused, all of it at once."""
    words = [w for w in text.split() if w.lower() not in FILLERS]
    if gains:
        words = [w.removeprefix("+") for w in words]
    reading = read(fields, " ".join(words), Where(ctx.actor.timezone, ctx.now, known))
    problems = unusable(ctx, fields, reading)
    if problems:
        raise DomainError("{problems}", problems=problems)
    return reading


def read_required(
    ctx: CommandContext,
    fields: Sequence[Field],
    text: str,
    needed: Sequence[str],
    known: Known | None = None,
) -> dict[str, str]:
    """Read ``text`` (a stock command's way, or with ``known``), asking for the first of
    ``needed`` it did not give; the values read."""
    if known is None:
        reading = read_line(ctx, fields, text)
    else:
        reading = read_fields(ctx, fields, text, known)
    require(ctx, fields, reading, needed)
    return reading.values


def tax_rate_of(text: str) -> Decimal:
    """``13%``, ``13`` or ``0.13`` as 0.13."""
    try:
        rate = Decimal(text.strip().rstrip("%％"))
    except ArithmeticError as exc:
        raise DomainError("{text} is not a tax rate; say 13%.", text=text) from exc
    return rate / 100 if rate >= 1 or "%" in text or "％" in text else rate


def require(
    ctx: CommandContext, fields: Sequence[Field], reading: Reading, keys: Sequence[str]
) -> None:
    """Ask for the first of ``keys`` the line did not give (the answer runs it again)."""
    by_key = {f.key: f for f in fields}
    missing = next((key for key in keys if key not in reading.values), None)
    if missing is not None:
        raise ask_for(ctx, by_key[missing])


def product_of(ctx: CommandContext, text: str) -> Product:
    """The product a member named by SKU, or by (part of) a name: one match is it, several are
    offered as buttons, none is answered plainly."""
    product = product_by_sku(ctx.session, text)
    if product is not None:
        return product
    found = find_products(ctx.session, text, limit=PICK_LIMIT + 1)
    exact = [p for p in found if text.casefold() in (p.name_zh.casefold(), p.name_en.casefold())]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0]
    if not found:
        raise NotFound("There is no product {sku}.", sku=text[:64])
    options = [
        Option(f"{p.sku} {p.name_zh or p.name_en}", replaced(ctx.event.text, text, p.sku))
        for p in found
    ]
    question = ctx.t(_("Which product do you mean by {name}?"), name=text)
    raise Ambiguous(pick_card(question, options))


def warehouse_of(ctx: CommandContext, text: str) -> Warehouse:
    """The warehouse a member named by code or by name."""
    return warehouse_named(ctx.session, text)


def quantity_of(text: str, *, signed: bool = False) -> Decimal:
    """A quantity the reader gave as plain decimal text; refused when it is 0 (or below)."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError("{text} is not a quantity.", text=text) from exc
    if value == 0 or (value < 0 and not signed):
        raise DomainError("A quantity is above 0, not {text}.", text=text)
    return value


def in_stock_units(product: Product, typed: str, quantity: Decimal) -> Decimal:
    """A quantity typed with a unit (``5箱``, ``5 boxes``) in the product's own unit: its
    purchase unit is converted (a box of 12: 60), its own unit or a plain counter (个, 件, pcs)
    is taken as it is, and any other unit is refused rather than guessed. A unit may be typed in
    either language (``boxes`` is a 箱 or a 盒, ``箱`` a box, carton or case; ``units`` is the
    product's own); one that could be both the product's units is refused too."""
    units = _units_typed(typed, quantity)
    if not units:
        return quantity
    (unit, *others) = units
    if others:
        raise DomainError("Give the quantity in one unit, not {units}.", units="、".join(units))
    own, bought = _means(unit, product.uom), _means(unit, product.purchase_uom)
    if own and bought and product.uom != product.purchase_uom:
        raise DomainError(
            "{unit} could be {uom} or {purchase_unit} of {sku}; say which.",
            unit=unit,
            uom=product.uom,
            purchase_unit=product.purchase_uom,
            sku=product.sku,
        )
    if bought:
        return quantity * product.purchase_factor
    if own or ENGLISH_UNITS.get(unit.lower()) == "":
        return quantity
    raise DomainError(
        "{sku} is counted in {uom}, not {unit}.", sku=product.sku, uom=product.uom, unit=unit
    )


def _units_typed(typed: str, quantity: Decimal) -> set[str]:
    """The units typed right after the quantity (``5箱``, ``5 boxes``), as typed."""
    text = normalise(typed)
    found = [*COUNTED.finditer(text)]
    found += [m for m in COUNTED_IN_ENGLISH.finditer(text) if is_english_unit(m["unit"])]
    return {
        m["unit"]
        for m in found
        if (amount := read_amount(m["n"])) is not None and amount.value == abs(quantity)
    }


def _means(typed: str, unit: str) -> bool:
    """Whether a typed unit names a product's unit: the same word, a plural, the other
    language's word, or a plain counter for a product counted in plain counters."""
    return bool(unit) and unit.casefold() in _spellings(typed)


def _spellings(unit: str) -> set[str]:
    """A unit in every way it is written: ``boxes`` is box, boxes, 箱 and 盒; ``箱`` is 箱,
    box(es), carton(s) and case(s); a plain counter is every plain counter."""
    word = unit.casefold()
    if word in ENGLISH_UNITS:
        measures = ENGLISH_UNITS[word]
        return {w for w, m in ENGLISH_UNITS.items() if m == measures} | set(measures)
    english = {w for w, m in ENGLISH_UNITS.items() if word and word in m}
    return {word} | english | (_spellings("pcs") if word in PIECES else set())


def known_records(ctx: CommandContext, also: Known | None = None) -> Known:
    """Products (and components) by SKU or name, warehouses by code or name; any other kind of
    record through ``also``."""

    def known(item: Field, text: str) -> bool:
        if item.key in ("product", "component"):
            return product_by_sku(ctx.session, text) is not None or (
                len(text) >= 2 and bool(find_products(ctx.session, text, limit=1))
            )
        if item.key in ("warehouse", "from", "to"):
            try:
                warehouse_named(ctx.session, text)
            except NotFound:
                return False
            return True
        return also is not None and also(item, text)

    return known

"""How the purchasing commands read a line and check who may see what: field names in both
languages, suppliers by name, requests and orders by number, and the kernel's argument reader
(its refusals and questions are the CRM's, as for the other ERP commands).

``/采购申请 BOLT-M6 100 需要日期=2026-12-20 理由=补货``, ``/收货 PO2026-00001 9 拒收=1``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import structlog

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Field, Kind, Reading
from commands.erp.lines import Known, read_fields
from domain.directory.roles import Permission
from domain.erp.catalog import find_products, product_by_sku
from domain.erp.purchase_models import PurchaseOrder, PurchaseRequest, Supplier
from domain.erp.purchasing import order_by_number, request_by_number
from domain.erp.suppliers import find_suppliers, supplier_named
from domain.erp.warehouses import warehouse_named
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.shared.quantity import plain

log = structlog.get_logger(__name__)
NAMES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "供应商名称"),
    "contact": ("联系人", "联系方式", "contacts"),
    "terms": ("付款条件", "账期", "payment terms"),
    "lead": ("交货期", "采购周期", "lead time"),
    "currency": ("币种", "货币"),
    "active": ("启用", "状态"),
    "supplier": ("供应商",),
    "product": ("产品", "商品", "物料"),
    "qty": ("数量", "quantity"),
    "price": ("价格", "单价", "报价"),
    "needed": ("需要日期", "需用日期", "needed by", "needed_by"),
    "reason": ("理由", "原因", "用途"),
    "request": ("采购申请", "申请", "pr"),
    "order": ("采购单", "订单", "po"),
    "warehouse": ("仓库",),
    "rejected": ("拒收", "不合格", "退回"),
}
REQUEST_NUMBER = re.compile(r"^PR\d{4}-\d+$", re.IGNORECASE)
ORDER_NUMBER = re.compile(r"^PO\d{4}-\d+$", re.IGNORECASE)


def pfield(key: str, kind: Kind = Kind.TEXT, *, positional: bool = False) -> Field:
    """A purchasing field with its names from the table."""
    return Field(key, kind, NAMES.get(key, ()), (), positional=positional)


def read_purchase(ctx: CommandContext, fields: Sequence[Field], text: str) -> Reading:
    """Read ``text`` against ``fields``; anything unusable is refused, all of it at once."""
    return read_fields(ctx, fields, text, _known(ctx))


def may_buy(ctx: CommandContext, command: str) -> None:
    """Refuse (and log) a member who is not a buyer."""
    if not ctx.may(Permission.PURCHASE):
        log.warning("refused.permission", member=ctx.actor.handle, command=command)
        raise Forbidden("Only buyers can do that.")


def request_of(ctx: CommandContext, text: str) -> PurchaseRequest:
    """A purchase request the member may see (raised it, or buys); anyone else is answered as
    if it did not exist, and the attempt is logged."""
    request = request_by_number(ctx.session, text)
    if request.requester_id != ctx.actor.id and not ctx.may(Permission.PURCHASE):
        log.warning("refused.purchase_not_yours", member=ctx.actor.handle, record=request.number)
        raise NotFound("There is no purchase request {number}.", number=text[:32])
    return request


def order_of(ctx: CommandContext, text: str) -> PurchaseOrder:
    """A purchase order, for buyers and the warehouse; anyone else is answered as if it did
    not exist, and the attempt is logged."""
    order = order_by_number(ctx.session, text)
    if not (ctx.may(Permission.PURCHASE) or ctx.may(Permission.STOCK_MOVE)):
        log.warning("refused.purchase_not_yours", member=ctx.actor.handle, record=order.number)
        raise NotFound("There is no purchase order {number}.", number=text[:32])
    return order


def supplier_of(ctx: CommandContext, text: str) -> Supplier:
    """The supplier a member named."""
    return supplier_named(ctx.session, text)


def quantity_or_zero(text: str | None) -> Decimal:
    """A quantity that may be left out (0)."""
    if text is None:
        return Decimal(0)
    try:
        value = Decimal(text)
    except ArithmeticError as exc:
        raise DomainError("{text} is not a quantity.", text=text) from exc
    if value < 0:
        raise DomainError("A quantity is above 0, not {text}.", text=text)
    return value


def whole_days(text: str) -> int:
    """A lead time in whole days."""
    value = Decimal(text)
    if value != value.to_integral_value() or value < 0:
        raise DomainError("A lead time is a whole number of days.")
    return int(value)


def typed_as(ctx: CommandContext, command: str, *words: str) -> str:
    """A command line as the reader would type it: ``/询价 …`` for a Chinese reader, keys
    (``price=…``) by their first Chinese name."""
    spec = ctx.router.find(command)
    name = spec.display_name(ctx.locale) if spec else command
    chinese = ctx.locale.startswith("zh")
    shown = [_key_word(w) if chinese else w for w in words]
    return " ".join([f"/{name}", *shown])


def _key_word(word: str) -> str:
    key, sep, value = word.partition("=")
    names = [n for n in NAMES.get(key, ()) if not n.isascii()] if sep else []
    return f"{names[0]}={value}" if names else word


def rate_text(ctx: CommandContext, rate: Decimal | None) -> str:
    """``95%``, or ``no receipts yet`` (in the reader's language)."""
    if rate is None:
        return ctx.t(_("no receipts yet"))
    return percent(rate)


def percent(rate: Decimal) -> str:
    """``99.5%`` for 0.995: the tenth a rate has is kept (rounded to a whole percent, one
    rejected unit of 200 would read as 100% accepted)."""
    return f"{plain(rate * 100)}%"


def _known(ctx: CommandContext) -> Known:
    def known(item: Field, text: str) -> bool:
        if item.key == "product":
            return product_by_sku(ctx.session, text) is not None or (
                len(text) >= 2 and bool(find_products(ctx.session, text, limit=1))
            )
        if item.key == "supplier":
            return bool(find_suppliers(ctx.session, text, limit=1)) and _one_supplier(ctx, text)
        if item.key == "request":
            return bool(REQUEST_NUMBER.match(text))
        if item.key == "order":
            return bool(ORDER_NUMBER.match(text))
        if item.key == "warehouse":
            try:
                warehouse_named(ctx.session, text)
            except NotFound:
                return False
            return True
        return False

    return known


def _one_supplier(ctx: CommandContext, text: str) -> bool:
    try:
        supplier_named(ctx.session, text)
    except DomainError:
        return False
    return True

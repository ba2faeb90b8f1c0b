"""The product catalog: add, change, look up and find products by SKU or name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from domain.erp.models import COST_DIGITS, RATE_DIGITS, Product
from domain.erp.mrp_lots import LotRule
from domain.shared.errors import Conflict, DomainError
from domain.shared.quantity import is_exact

PRODUCT_KINDS = ("raw", "semi", "finished", "consumable", "service")
SKU_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
TEXT_KEYS = ("name_zh", "name_en", "uom", "purchase_uom", "default_supplier")
QUANTITY_KEYS = (
    "purchase_factor",
    "safety_stock",
    "reorder_point",
    "reorder_qty",
    "lot_quantity",
)
MONEY_KEYS = ("cost", "list_price")
PRODUCT_KEYS = (
    *TEXT_KEYS,
    *QUANTITY_KEYS,
    *MONEY_KEYS,
    "kind",
    "tax_rate",
    "lead_days",
    "lead_calendar_days",
    "lot_rule",
    "allow_negative",
    "active",
)
Value = str | Decimal | int | bool


def add_product(
    session: Session, sku: str, values: Mapping[str, Value], currency: str, now: datetime
) -> Product:
    """Add a product under a new SKU (upper-cased); a SKU in use is refused."""
    sku = checked_sku(sku)
    if product_by_sku(session, sku) is not None:
        raise Conflict("There is already a product {sku}.", sku=sku)
    product = Product(sku=sku, currency=currency, created_at=now, updated_at=now)
    _apply(product, {"kind": "finished", "uom": "pcs", **values})
    if not (product.name_zh or product.name_en):
        raise DomainError("A product needs a name.")
    session.add(product)
    session.flush()
    return product


def edit_product(
    session: Session, product: Product, values: Mapping[str, Value], now: datetime
) -> Product:
    """Change the given fields of a product."""
    if not values:
        raise DomainError("Say what to change, for example: {example}", example="cost=12.5")
    _apply(product, values)
    product.updated_at = now
    session.flush()
    return product


def product_by_sku(session: Session, sku: str) -> Product | None:
    """The product with this SKU (any case), or None."""
    return session.scalar(select(Product).where(Product.sku == sku.strip().upper()))


def find_products(session: Session, text: str, limit: int = 20, offset: int = 0) -> list[Product]:
    """Products whose SKU or either name contains ``text``, by SKU (a page of them)."""
    query = select(Product).where(_matching(text)).order_by(Product.sku)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_products(session: Session, text: str) -> int:
    """How many products ``find_products`` finds for ``text`` in all."""
    return session.scalar(select(func.count()).select_from(Product).where(_matching(text))) or 0


def _matching(text: str) -> ColumnElement[bool]:
    pattern = f"%{text.strip().lower()}%"
    return or_(
        func.lower(Product.sku).like(pattern),
        func.lower(Product.name_zh).like(pattern),
        func.lower(Product.name_en).like(pattern),
    )


def checked_sku(sku: str) -> str:
    """The SKU as stored (upper case), or ``DomainError`` if it has the wrong shape."""
    if not SKU_SHAPE.match(sku.strip()):
        raise DomainError(
            "A SKU is letters, digits and . _ / - (up to 64), such as {example}.",
            example="BOLT-M6",
        )
    return sku.strip().upper()


def check_product_values(values: Mapping[str, Value]) -> None:
    """Refuse (``DomainError``) the first field a product cannot have or value it cannot take."""
    for key, value in values.items():
        if key not in PRODUCT_KEYS:
            raise DomainError("There is no field {key} here.", key=key)
        _check(key, value)
    rule, size = values.get("lot_rule"), values.get("lot_quantity")
    if rule not in (None, LotRule.LOT_FOR_LOT) and size is not None and size == 0:
        raise DomainError("A fixed, minimum or multiple lot rule needs a lot quantity above 0.")


def _apply(product: Product, values: Mapping[str, Value]) -> None:
    """Check every value, then set them all."""
    check_product_values(values)
    for key, value in values.items():
        setattr(product, key, value)


def _check(key: str, value: Value) -> None:
    if key == "kind" and value not in PRODUCT_KINDS:
        raise DomainError("{value} is not a product type.", value=value)
    if key == "lot_rule" and value not in tuple(LotRule):
        raise DomainError(
            "{value} is not a lot rule: lot_for_lot, fixed, minimum or multiple.", value=value
        )
    if key in QUANTITY_KEYS + MONEY_KEYS + ("tax_rate",):
        _check_number(key, value)
    if key == "lead_days" and (not isinstance(value, int) or not 0 <= value <= 3650):
        raise DomainError("A lead time is a whole number of days.")
    if key == "purchase_factor" and value == 0:
        raise DomainError("A purchase unit holds more than nothing.")


def _check_number(key: str, value: Value) -> None:
    digits = COST_DIGITS if key in MONEY_KEYS else RATE_DIGITS if key == "tax_rate" else 3
    if not isinstance(value, Decimal) or value < 0 or not is_exact(value, digits):
        raise DomainError(
            "Numbers here are not below 0 and have at most {digits} decimals.", digits=digits
        )
    if key == "tax_rate" and value >= 1:
        raise DomainError("A tax rate is below 100%.")

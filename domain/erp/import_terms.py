"""Suppliers and price lists in an import file (``bizbot erp import``): the terms the business
buys and sells on, checked and written through ``suppliers.py`` and ``pricing.py``.

A supplier is matched by its name, a price list by its name (any case, as the domain keys them),
and a price by its list, product and quantity break; the key is never changed by a file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.orgfile import Problem
from domain.erp.catalog import product_by_sku
from domain.erp.models import Product
from domain.erp.price_models import PriceLine, PriceList
from domain.erp.pricing import (
    add_price_list,
    check_price,
    check_price_list,
    edit_price_list,
    list_named,
    price_line,
    set_price,
)
from domain.erp.purchase_models import Supplier
from domain.erp.suppliers import (
    SupplierValue,
    add_supplier,
    checked_supplier_values,
    edit_supplier,
    supplier_by_name,
)
from domain.shared.errors import DomainError
from domain.shared.quantity import plain

Where = Callable[[str, str], Problem]  # field, message: the problem at a line's field
ExistingCustomers = Callable[[Session, Collection[int]], set[int]]  # which CRM numbers exist


class SupplierLine(BaseModel):
    """A supplier, by its name; the other fields as ``/supplier add`` takes them."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    contacts: str = Field(default="", max_length=500)
    payment_terms: str = Field(default="", max_length=200)
    lead_days: int = 0
    currency: str = "CNY"
    active: bool = True

    @property
    def key(self) -> str:
        """The name as the domain compares it."""
        return " ".join(self.name.split()).lower()

    def values(self) -> dict[str, SupplierValue]:
        """Every field but the name."""
        return self.model_dump(exclude={"name"})


class PriceListLine(BaseModel):
    """A price list, by its name: for one CRM customer (by number) or one tier."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    customer: int | None = None
    tier: str = ""
    currency: str = "CNY"
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True

    @property
    def key(self) -> str:
        """The name as the domain compares it."""
        return self.name.strip().lower()

    def terms(self) -> dict[str, Any]:
        """What ``add_price_list``/``edit_price_list`` take."""
        return {
            "customer_id": self.customer,
            "tier": self.tier,
            "currency": self.currency,
            "valid": (self.valid_from, self.valid_to),
        }


class PriceBreakLine(BaseModel):
    """A product's price in a list from a quantity on."""

    model_config = ConfigDict(extra="forbid")
    price_list: str = Field(min_length=1, max_length=100)
    sku: str = Field(min_length=1, max_length=64)
    min_qty: Decimal = Decimal(0)
    price: Decimal

    @property
    def key(self) -> str:
        """List, product and break: one price each."""
        return self.key_as_typed.lower()

    @property
    def key_as_typed(self) -> str:
        """The list as typed, the product and the break."""
        return f"{self.price_list.strip()} {self.sku.strip().upper()} from {plain(self.min_qty)}"


def supplier_problems(line: SupplierLine, where: Where) -> list[Problem]:
    """What the supplier rules refuse of a line."""
    try:
        checked_supplier_values({"name": line.name, **line.values()})
    except DomainError as exc:
        return [where("", str(exc))]
    return []


def price_list_problems(
    session: Session, line: PriceListLine, existing_customers: ExistingCustomers, where: Where
) -> list[Problem]:
    """What the price list rules refuse of a line, and a customer the CRM does not have."""
    problems = []
    try:
        check_price_list(line.name, **line.terms())
    except DomainError as exc:
        problems.append(where("", str(exc)))
    if line.customer is not None and not existing_customers(session, [line.customer]):
        problems.append(where("customer", f"no customer #{line.customer} in the CRM"))
    return problems


def price_problems(
    session: Session,
    line: PriceBreakLine,
    known: tuple[set[str], set[str]],
    where: Where,
) -> list[Problem]:
    """A price for a list or product that exists neither in the file nor in Bizbot, and what
    the pricing rules refuse."""
    lists, skus = known
    problems = []
    if (
        line.price_list.strip().lower() not in lists
        and list_named(session, line.price_list) is None
    ):
        problems.append(
            where("price_list", f"no price list {line.price_list} (in the file or in Bizbot)")
        )
    sku = line.sku.strip().upper()
    if sku not in skus and product_by_sku(session, sku) is None:
        problems.append(where("sku", f"no product {sku} (in the file or in Bizbot)"))
    try:
        check_price(line.price, line.min_qty)
    except DomainError as exc:
        problems.append(where("", str(exc)))
    return problems


def save_supplier(session: Session, line: SupplierLine, now: datetime) -> str:
    """Create or update the supplier of this name: ``created``, ``updated`` or ``unchanged``."""
    found = supplier_by_name(session, line.name)
    if found is None:
        add_supplier(session, line.name, line.values(), line.currency, now)
        return "created"
    wanted = checked_supplier_values(line.values())
    changed = {k: v for k, v in wanted.items() if getattr(found, k) != v}
    if not changed:
        return "unchanged"
    edit_supplier(session, found, changed)
    return "updated"


def save_price_list(session: Session, line: PriceListLine, now: datetime) -> str:
    """Create or update the price list of this name."""
    found = list_named(session, line.name)
    if found is None:
        add_price_list(session, line.name, **line.terms(), now=now, active=line.active)
        return "created"
    wanted = (line.customer, line.tier.strip(), line.currency.strip().upper(),
              line.valid_from, line.valid_to, line.active)  # fmt: skip
    if wanted == (found.customer_id, found.tier, found.currency,
                  found.valid_from, found.valid_to, found.active):  # fmt: skip
        return "unchanged"
    edit_price_list(session, found, **line.terms(), active=line.active)
    return "updated"


def save_price(session: Session, line: PriceBreakLine) -> str:
    """Set a product's price in a list from a break: new, changed or as it was."""
    price_list, product = list_named(session, line.price_list), product_by_sku(session, line.sku)
    if price_list is None or product is None:
        raise LookupError(f"save_price before price_problems: {line.price_list} {line.sku}")
    found = price_line(session, price_list, product, line.min_qty)
    if found is not None and found.price == line.price:
        return "unchanged"
    set_price(session, price_list, product, line.price, line.min_qty)
    return "created" if found is None else "updated"


def exported_suppliers(session: Session) -> list[dict[str, Any]]:
    """Every supplier, by name, as import lines."""
    suppliers = session.scalars(select(Supplier).order_by(Supplier.name))
    return [{name: getattr(s, name) for name in SupplierLine.model_fields} for s in suppliers]


def exported_price_lists(session: Session) -> list[dict[str, Any]]:
    """Every price list, by name, as import lines (what it leaves out takes the default)."""
    lists = session.scalars(select(PriceList).order_by(PriceList.name))
    return [_exported_list(p) for p in lists]


def _exported_list(price_list: PriceList) -> dict[str, Any]:
    line = {
        "name": price_list.name,
        "customer": price_list.customer_id,
        "tier": price_list.tier,
        "currency": price_list.currency,
        "valid_from": price_list.valid_from,
        "valid_to": price_list.valid_to,
        "active": price_list.active,
    }
    return {k: v for k, v in line.items() if v not in (None, "")}


def exported_prices(session: Session) -> list[dict[str, Any]]:
    """Every price of every list, by list, SKU and break, as import lines."""
    rows = session.execute(
        select(PriceList.name, Product.sku, PriceLine.min_qty, PriceLine.price)
        .join(PriceLine, PriceLine.price_list_id == PriceList.id)
        .join(Product, Product.id == PriceLine.product_id)
        .order_by(PriceList.name, Product.sku, PriceLine.min_qty)
    )
    return [
        {"price_list": name, "sku": sku, "min_qty": min_qty, "price": price}
        for name, sku, min_qty, price in rows
    ]

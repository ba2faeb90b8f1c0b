"""Price lists and the price of a product for a customer.

The price of a SKU for a customer and a quantity on a day comes from the most specific list that
is valid that day and prices the product at that quantity: the customer's own list, else their
tier's, else the product's list price. Within a list, the highest quantity break not above the
quantity applies. Among several valid lists of the same kind, the one that started last wins
(then the newest). Customers are plain numbers here: the CRM resolves them (``domain.erp``
imports no other business module).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from domain.erp.models import COST_DIGITS, Product
from domain.erp.price_models import PriceLine, PriceList
from domain.shared.errors import Conflict, DomainError, NotFound
from domain.shared.quantity import is_exact

CURRENCY = re.compile(r"^[A-Z]{3}$")
CUSTOMER, TIER, LIST_PRICE = "customer", "tier", "list"
TIER_LENGTH = 32  # erp_price_lists.tier


@dataclass(frozen=True, slots=True)
class Price:
    """A unit price and where it came from: ``customer``/``tier`` (a list) or ``list`` (the
    product's list price, ``price_list`` None)."""

    unit_price: Decimal
    currency: str
    source: str
    price_list: PriceList | None = None
    min_qty: Decimal = Decimal(0)


def add_price_list(
    session: Session,
    name: str,
    *,
    customer_id: int | None,
    tier: str,
    currency: str,
    valid: tuple[date | None, date | None],
    now: datetime,
    active: bool = True,
) -> PriceList:
    """A new list for one customer or one tier (exactly one of them)."""
    check_price_list(name, customer_id=customer_id, tier=tier, currency=currency, valid=valid)
    if list_named(session, name) is not None:
        raise Conflict("There is already a price list {name}.", name=name.strip())
    price_list = PriceList(name=name.strip(), created_at=now)
    _set_terms(price_list, customer_id, tier, currency, valid, active)
    session.add(price_list)
    session.flush()
    return price_list


def edit_price_list(
    session: Session,
    price_list: PriceList,
    *,
    customer_id: int | None,
    tier: str,
    currency: str,
    valid: tuple[date | None, date | None],
    active: bool,
) -> None:
    """Change whose prices a list holds, their currency, dates and whether it applies."""
    check_price_list(
        price_list.name, customer_id=customer_id, tier=tier, currency=currency, valid=valid
    )
    _set_terms(price_list, customer_id, tier, currency, valid, active)
    session.flush()


def check_price_list(
    name: str,
    *,
    customer_id: int | None,
    tier: str,
    currency: str,
    valid: tuple[date | None, date | None],
) -> None:
    """Refuse (``DomainError``) what a price list cannot be."""
    if not name.strip() or len(name.strip()) > 100:
        raise DomainError("A price list needs a name (up to 100 characters).")
    if (customer_id is None) == (not tier.strip()):
        raise DomainError("A price list is for one customer or for one tier.")
    if len(tier.strip()) > TIER_LENGTH:
        raise DomainError("A tier has at most {n} characters.", n=TIER_LENGTH)
    if not CURRENCY.match(currency.strip().upper()):
        raise DomainError("{currency} is not a currency code such as CNY.", currency=currency)
    if valid[0] and valid[1] and valid[1] < valid[0]:
        raise DomainError("A price list cannot end before it starts.")


def _set_terms(
    price_list: PriceList,
    customer_id: int | None,
    tier: str,
    currency: str,
    valid: tuple[date | None, date | None],
    active: bool,
) -> None:
    price_list.customer_id, price_list.tier = customer_id, tier.strip()
    price_list.currency = currency.strip().upper()
    price_list.valid_from, price_list.valid_to = valid
    price_list.active = active


def set_price(
    session: Session, price_list: PriceList, product: Product, price: Decimal, min_qty: Decimal
) -> PriceLine:
    """Set a product's price in a list from ``min_qty`` on (replacing that break's price)."""
    check_price(price, min_qty)
    line = price_line(session, price_list, product, min_qty)
    if line is None:
        line = PriceLine(price_list_id=price_list.id, product_id=product.id, min_qty=min_qty)
        session.add(line)
    line.price = price
    session.flush()
    return line


def check_price(price: Decimal, min_qty: Decimal) -> None:
    """Refuse (``DomainError``) a price or a quantity break a list cannot hold."""
    if price < 0 or not is_exact(price, COST_DIGITS):
        raise DomainError("A price is not below 0 and has at most 4 decimals.")
    if min_qty < 0 or not is_exact(min_qty):
        raise DomainError("A quantity break is 0 or more with at most 3 decimals.")


def price_line(
    session: Session, price_list: PriceList, product: Product, min_qty: Decimal
) -> PriceLine | None:
    """A product's price in a list from ``min_qty`` on, if the list has one."""
    return session.scalar(
        select(PriceLine).where(
            PriceLine.price_list_id == price_list.id,
            PriceLine.product_id == product.id,
            PriceLine.min_qty == min_qty,
        )
    )


def list_named(session: Session, name: str) -> PriceList | None:
    """The price list with this name (any case), or None."""
    wanted = name.strip().lower()
    return session.scalar(select(PriceList).where(func.lower(PriceList.name) == wanted))


def price_list_by_name(session: Session, name: str) -> PriceList:
    """The price list with this name; refused plainly when there is none."""
    found = list_named(session, name)
    if found is None:
        raise NotFound("There is no price list {name}.", name=name[:100])
    return found


def all_price_lists(session: Session, limit: int, offset: int) -> list[PriceList]:
    """A page of the price lists, by name."""
    query = select(PriceList).order_by(PriceList.name).limit(limit).offset(offset)
    return list(session.scalars(query))


def lines_of(session: Session, price_list: PriceList) -> list[tuple[Product, PriceLine]]:
    """A list's lines with their products, by SKU and quantity break."""
    rows = session.execute(
        select(Product, PriceLine)
        .join(PriceLine, PriceLine.product_id == Product.id)
        .where(PriceLine.price_list_id == price_list.id)
        .order_by(Product.sku, PriceLine.min_qty)
    )
    return [(product, line) for product, line in rows]


def price_for(
    session: Session,
    product_id: int,
    customer_id: int | None,
    tier: str | None,
    quantity: Decimal,
    on: date,
) -> Price:
    """The unit price of a product for a customer (and their tier) at a quantity on a day."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product #{id}.", id=product_id)
    if customer_id is not None:
        found = _from_lists(session, product_id, PriceList.customer_id == customer_id, quantity, on)
        if found is not None:
            return Price(found[1].price, found[0].currency, CUSTOMER, found[0], found[1].min_qty)
    if tier:
        found = _from_lists(session, product_id, PriceList.tier == tier, quantity, on)
        if found is not None:
            return Price(found[1].price, found[0].currency, TIER, found[0], found[1].min_qty)
    return Price(product.list_price, product.currency, LIST_PRICE)


def _from_lists(
    session: Session, product_id: int, whose: ColumnElement[bool], quantity: Decimal, on: date
) -> tuple[PriceList, PriceLine] | None:
    """The line of the best valid list of one kind: the latest start, the highest break."""
    query = (
        select(PriceList, PriceLine)
        .join(PriceLine, PriceLine.price_list_id == PriceList.id)
        .where(
            whose,
            PriceList.active.is_(True),
            or_(PriceList.valid_from.is_(None), PriceList.valid_from <= on),
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= on),
            PriceLine.product_id == product_id,
            PriceLine.min_qty <= quantity,
        )
        .order_by(
            PriceList.valid_from.desc().nulls_last(),
            PriceList.id.desc(),
            PriceLine.min_qty.desc(),
        )
        .limit(1)
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])

"""Suppliers: add, change, look up and find them; and each one's scorecard from its past
receipts (how many came on time, how much of what arrived was accepted)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from domain.erp.models import Product
from domain.erp.purchase_models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
)
from domain.shared.errors import Conflict, DomainError, NotFound

SupplierValue = str | int | bool
SUPPLIER_KEYS = ("contacts", "payment_terms", "lead_days", "currency", "active", "name")
RATE_PLACES = Decimal("0.001")  # rates are cut, never rounded up: 1 means every one


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A supplier's record: receipts, how many on time, units accepted and rejected."""

    receipts: int = 0
    on_time: int = 0
    accepted: Decimal = Decimal(0)
    rejected: Decimal = Decimal(0)

    @property
    def on_time_rate(self) -> Decimal | None:
        """Receipts on or before the expected day, of all receipts (None: no receipts yet)."""
        if not self.receipts:
            return None
        return (Decimal(self.on_time) / self.receipts).quantize(RATE_PLACES, ROUND_DOWN)

    @property
    def acceptance_rate(self) -> Decimal | None:
        """Units accepted of all units inspected (None: nothing inspected yet)."""
        inspected = self.accepted + self.rejected
        if not inspected:
            return None
        return (self.accepted / inspected).quantize(RATE_PLACES, ROUND_DOWN)


def add_supplier(
    session: Session, name: str, values: Mapping[str, SupplierValue], currency: str, now: datetime
) -> Supplier:
    """Add a supplier; its name is unique (any case)."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("A supplier needs a name.")
    if supplier_by_name(session, name) is not None:
        raise Conflict("There is already a supplier {name}.", name=name)
    supplier = Supplier(name=name, currency=currency, created_at=now)
    _apply(supplier, values)
    session.add(supplier)
    session.flush()
    return supplier


def edit_supplier(
    session: Session, supplier: Supplier, values: Mapping[str, SupplierValue]
) -> None:
    """Change a supplier's fields."""
    new_name = values.get("name")
    if isinstance(new_name, str) and supplier_by_name(session, new_name) not in (None, supplier):
        raise Conflict("There is already a supplier {name}.", name=new_name)
    _apply(supplier, values)
    session.flush()


def supplier_named(session: Session, text: str) -> Supplier:
    """The supplier a member means: by its exact name (any case), or a part only it has."""
    exact = supplier_by_name(session, text)
    if exact is not None:
        return exact
    found = find_suppliers(session, text, limit=2)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound("There is no supplier {name}.", name=text[:64])
    raise DomainError("Several suppliers match {name}; give the whole name.", name=text[:64])


def find_suppliers(session: Session, text: str, limit: int = 20) -> list[Supplier]:
    """Suppliers whose name or contacts contain the text, by name."""
    pattern = f"%{text.strip().lower()}%"
    return list(
        session.scalars(
            select(Supplier)
            .where(
                func.lower(Supplier.name).like(pattern)
                | func.lower(Supplier.contacts).like(pattern)
            )
            .order_by(Supplier.name)
            .limit(limit)
        )
    )


def supplier_of_product(session: Session, product: Product) -> Supplier | None:
    """The supplier a product's default supplier (text) names, if one has that name."""
    name = product.default_supplier.strip()
    return supplier_by_name(session, name) if name else None


def scorecard(session: Session, supplier_id: int) -> Scorecard:
    """A supplier's scorecard from its receipts."""
    return scorecards(session, [supplier_id]).get(supplier_id, Scorecard())


def scorecards(session: Session, supplier_ids: list[int]) -> dict[int, Scorecard]:
    """The scorecards of several suppliers, by id (two queries whatever their number)."""
    counted = session.execute(
        select(
            PurchaseOrder.supplier_id,
            func.count(Receipt.id),
            func.sum(case((Receipt.on_time, 1), else_=0)),
        )
        .join(Receipt, Receipt.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.supplier_id.in_(supplier_ids))
        .group_by(PurchaseOrder.supplier_id)
    )
    cards = {sid: Scorecard(int(n), int(on_time or 0)) for sid, n, on_time in counted}
    inspected = session.execute(
        select(PurchaseOrder.supplier_id, ReceiptLine.accepted, ReceiptLine.rejected)
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .join(ReceiptLine, ReceiptLine.order_line_id == PurchaseOrderLine.id)
        .where(PurchaseOrder.supplier_id.in_(supplier_ids))
    )
    for sid, accepted, rejected in inspected:  # quantities are stored scaled: summed in Python
        card = cards.get(sid, Scorecard())
        cards[sid] = Scorecard(
            card.receipts, card.on_time, card.accepted + accepted, card.rejected + rejected
        )
    return cards


def supplier_by_name(session: Session, name: str) -> Supplier | None:
    """The supplier with this whole name (any case, spaces tidied), or None."""
    wanted = " ".join(name.split()).lower()
    return session.scalar(select(Supplier).where(func.lower(Supplier.name) == wanted))


def checked_supplier_values(values: Mapping[str, SupplierValue]) -> dict[str, SupplierValue]:
    """The values as a supplier stores them (names and currencies tidied); ``DomainError`` for
    the first field a supplier cannot have or value it cannot take."""
    return {key: _checked(key, value) for key, value in values.items()}


def _apply(supplier: Supplier, values: Mapping[str, SupplierValue]) -> None:
    for key, value in values.items():
        setattr(supplier, key, _checked(key, value))


def _checked(key: str, value: SupplierValue) -> SupplierValue:
    """The value as stored (names and currencies tidied), or ``DomainError``."""
    if key not in SUPPLIER_KEYS:
        raise DomainError("A supplier has no field {key}.", key=key)
    if key == "lead_days" and (not isinstance(value, int) or value < 0):
        raise DomainError("A lead time is a whole number of days.")
    if key == "currency" and (not isinstance(value, str) or len(value.strip()) != 3):
        raise DomainError("A currency is three letters, like CNY.")
    if key == "currency" and isinstance(value, str):
        return value.strip().upper()
    if key == "name" and isinstance(value, str):
        if not value.split():
            raise DomainError("A supplier needs a name.")
        return " ".join(value.split())
    return value

"""What a customer has bought. The ERP will answer from its sales orders; until then, won deals
stand in, behind the same ``PurchaseHistory`` interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Deal


@dataclass(frozen=True, slots=True)
class Purchase:
    """One purchase: an order (or, for now, a won deal) with its amount."""

    reference: str
    day: date
    description: str
    amount: Decimal
    currency: str
    status: str


class PurchaseHistory(Protocol):
    """Where a customer's purchases come from."""

    def purchases(self, session: Session, customer_id: int) -> list[Purchase]:
        """The customer's purchases, newest first."""
        ...


class WonDealPurchases:
    """Purchases read from the customer's won deals (until the ERP has sales orders)."""

    def purchases(self, session: Session, customer_id: int) -> list[Purchase]:
        """The customer's won deals as purchases, newest first."""
        deals = session.scalars(
            select(Deal)
            .where(Deal.customer_id == customer_id, Deal.status == "won")
            .order_by(Deal.closed_at.desc(), Deal.id.desc())
        )
        return [
            Purchase(
                reference=f"deal #{d.id}",
                day=(d.closed_at or d.created_at).date(),
                description=d.name,
                amount=d.amount,
                currency=d.currency,
                status=d.status,
            )
            for d in deals
        ]

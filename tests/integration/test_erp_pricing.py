"""Price resolution on SQLite: a customer's own list beats their tier's, which beats the product's
list price; the highest quantity break not above the quantity applies; a list outside its dates
is ignored; a list is for one customer or one tier, never both."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.erp.models import Product
from domain.erp.price_models import PriceList
from domain.erp.pricing import add_price_list, price_for, set_price
from domain.shared.errors import Conflict, DomainError
from tests.integration.erp_rig import NOW, erp_session, seeded

ACME = 12  # a CRM customer's number: plain here, the CRM is the command layer's
DAY = date(2026, 12, 7)
ALWAYS: tuple[date | None, date | None] = (None, None)


def _list(
    s: Session,
    name: str,
    *,
    customer: int | None = None,
    tier: str = "",
    valid: tuple[date | None, date | None] = ALWAYS,
) -> PriceList:
    return add_price_list(
        s, name, customer_id=customer, tier=tier, currency="CNY", valid=valid, now=NOW
    )


def _priced(
    s: Session, product: Product, customer: int | None, tier: str | None, qty: str
) -> tuple[Decimal, str, str]:
    price = price_for(s, product.id, customer, tier, Decimal(qty), DAY)
    return price.unit_price, price.source, price.price_list.name if price.price_list else ""


def test_customer_beats_tier_beats_the_list_price(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, _sh, _bj = seeded(s, list_price=Decimal("1.20"))
        gold = _list(s, "Gold", tier="A")
        acme = _list(s, "Acme 2026", customer=ACME)
        set_price(s, gold, bolt, Decimal("1.00"), Decimal(0))
        set_price(s, acme, bolt, Decimal("0.90"), Decimal(0))
        assert _priced(s, bolt, ACME, "A", "1") == (Decimal("0.90"), "customer", "Acme 2026")
        assert _priced(s, bolt, 99, "A", "1") == (Decimal("1.00"), "tier", "Gold")
        assert _priced(s, bolt, 99, "B", "1") == (Decimal("1.20"), "list", "")
        assert _priced(s, bolt, None, None, "1") == (Decimal("1.20"), "list", "")


def test_the_highest_break_not_above_the_quantity_applies(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, _sh, _bj = seeded(s, list_price=Decimal("1.20"))
        acme = _list(s, "Acme", customer=ACME)
        set_price(s, acme, bolt, Decimal("1.00"), Decimal(100))
        set_price(s, acme, bolt, Decimal("0.80"), Decimal(1000))
        set_price(s, acme, bolt, Decimal("0.85"), Decimal(1000))  # the same break: replaced
        assert _priced(s, bolt, ACME, "", "99")[:2] == (Decimal("1.20"), "list")  # below breaks
        assert _priced(s, bolt, ACME, "", "100")[0] == Decimal("1.00")
        assert _priced(s, bolt, ACME, "", "999.5")[0] == Decimal("1.00")
        assert _priced(s, bolt, ACME, "", "1000")[0] == Decimal("0.85")


def test_a_list_outside_its_dates_is_ignored(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, _sh, _bj = seeded(s, list_price=Decimal("1.20"))
        old = _list(s, "Acme 2025", customer=ACME, valid=(date(2025, 1, 1), date(2025, 12, 31)))
        later = _list(s, "Acme 2027", customer=ACME, valid=(date(2027, 1, 1), None))
        winter = _list(s, "Gold winter", tier="A", valid=(date(2026, 12, 1), date(2026, 12, 7)))
        for price_list, price in ((old, "0.70"), (later, "0.75"), (winter, "1.05")):
            set_price(s, price_list, bolt, Decimal(price), Decimal(0))
        assert _priced(s, bolt, ACME, "A", "5") == (Decimal("1.05"), "tier", "Gold winter")
        tomorrow = price_for(s, bolt.id, ACME, "A", Decimal(5), date(2026, 12, 8))
        assert (tomorrow.unit_price, tomorrow.source) == (Decimal("1.20"), "list")


def test_a_list_is_for_one_customer_or_one_tier_and_names_are_unique(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        with pytest.raises(DomainError):
            _list(s, "Both", customer=ACME, tier="A")
        with pytest.raises(DomainError):
            _list(s, "Neither")
        _list(s, "Gold", tier="A")
        with pytest.raises(Conflict):
            _list(s, "gold", tier="B")

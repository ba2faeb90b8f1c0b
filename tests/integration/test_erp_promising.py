"""The quote's promise date (issue 14, point 4) in its four cases: from stock, from a purchase
order due later, from production with the components on hand, and from production that first
needs purchased components; and what confirmed orders wait for comes first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.erp.boms import ComponentRequest, set_bom
from domain.erp.catalog import add_product
from domain.erp.models import Product
from domain.erp.production import create_production
from domain.erp.promising import Promise, Way, promise
from domain.erp.purchasing import place_order
from domain.erp.routings import OperationRequest, add_work_centre, set_routing
from domain.erp.sales import LineRequest, Party, confirm_order, create_document
from domain.erp.stock import post_move
from domain.erp.warehouses import warehouse_by_code
from domain.worktime.calendar import WorkCalendar
from tests.integration.erp_rig import NOW, erp_session, receipt, seeded
from tests.integration.test_erp_purchasing import approved_request, supplier

TODAY = date(2026, 12, 7)  # a Monday
CALENDAR = WorkCalendar()


def workshop(s: Session) -> tuple[dict[str, Product], int]:
    """100 legs (bought in 5 working days) and 12 seats (in 3) at SH; a stool takes 4 legs and
    a seat, and an hour to set up and half an hour each at an 8-hour bench."""
    legs, sh, _bj = seeded(s, "LEG", kind="raw", lead_days=5)
    seat = add_product(s, "SEAT", {"name_en": "Seat", "kind": "raw", "lead_days": 3}, "CNY", NOW)
    stool = add_product(s, "STOOL", {"name_en": "Stool", "kind": "finished"}, "CNY", NOW)
    parts = [ComponentRequest(legs.id, Decimal(4)), ComponentRequest(seat.id, Decimal(1))]
    set_bom(s, stool.id, parts, date(2026, 1, 1), NOW)
    bench = add_work_centre(s, "ASM", "Assembly", Decimal(8), Decimal(50))
    steps = [OperationRequest("Assemble", bench.id, Decimal("0.5"), Decimal(1))]
    set_routing(s, stool.id, steps)
    post_move(s, receipt(legs, sh, "100", "legs"), None, NOW)
    post_move(s, receipt(seat, sh, "12", "seats"), None, NOW)
    return {"LEG": legs, "SEAT": seat, "STOOL": stool}, sh


def promised(s: Session, product: Product, quantity: int) -> Promise:
    return promise(s, product.id, Decimal(quantity), TODAY, CALENDAR)


def test_from_stock_it_ships_today(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        made, _sh = workshop(s)
        assert promised(s, made["LEG"], 40) == Promise(TODAY, Way.STOCK, Decimal(100))


def test_from_a_purchase_order_due_later_it_ships_when_that_arrives(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        made, _sh = workshop(s)
        request = approved_request(s, made["SEAT"].id, "20")
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        place_order(s, request, supplier(s, "Seats Co", lead=5), warehouse, None, NOW, TODAY)
        found = promised(s, made["SEAT"], 25)  # 12 here, 20 more on the 12th
        assert found == Promise(date(2026, 12, 12), Way.RECEIPT, Decimal(12), "PO2026-00001")


def test_made_from_components_on_hand_after_its_production_days(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        made, _sh = workshop(s)
        found = promised(s, made["STOOL"], 10)  # 1 + 10 × 0.5 = 6 hours: one working day
        assert found == Promise(date(2026, 12, 8), Way.MAKE, Decimal(0))


def test_made_once_the_bought_components_arrive(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        made, sh = workshop(s)
        # 20 seats needed, 12 here: bought in 3 working days (Thu 10th), then 11 hours of work
        found = promised(s, made["STOOL"], 20)
        assert found == Promise(date(2026, 12, 14), Way.MAKE_AFTER_BUYING, Decimal(0))
        # an order of 16 queued first: 9 hours at the bench, and 64 legs and 16 seats of its own,
        # so legs too are bought (5 working days: the 14th), then 2 + 2 working days of work
        create_production(s, made["STOOL"].id, Decimal(16), sh, NOW)
        later = promised(s, made["STOOL"], 20)
        assert later == Promise(date(2026, 12, 18), Way.MAKE_AFTER_BUYING, Decimal(0))


def test_what_confirmed_orders_wait_for_comes_before_a_quote(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        made, sh = workshop(s)
        line = [LineRequest(made["LEG"].id, Decimal(120))]
        order = create_document(s, "order", Party(7, "Acme", None), sh, line, NOW)
        confirm_order(s, order.id, NOW)  # 100 reserved, 20 waiting
        found = promised(s, made["LEG"], 10)
        assert found == Promise(date(2026, 12, 14), Way.BUY, Decimal(0))  # 5 working days

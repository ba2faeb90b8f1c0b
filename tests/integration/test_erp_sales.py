"""Sales on SQLite (the locking is PostgreSQL's test, test_erp_sales_pg): numbers without gaps,
a confirmed order reserves what is free and backorders the rest, goods arriving fill backorders
oldest order first, a delivery shipped twice moves stock once, cancelling releases, returns come
back, and each business event is recorded once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from domain.erp.levels import availability
from domain.erp.models import StockMove
from domain.erp.numbering import last_number, next_number
from domain.erp.safety import BELOW_SAFETY
from domain.erp.sales import (
    LineRequest,
    Party,
    cancel_document,
    confirm_order,
    create_document,
    lines_of,
    order_from_quote,
    return_goods,
    ship_order,
)
from domain.erp.sales_events import backordered
from domain.erp.sales_models import Delivery, SalesDocument
from domain.erp.stock import post_move
from domain.shared.domain_events import events_named
from domain.shared.errors import Conflict
from tests.integration.erp_rig import NOW, balances, erp_session, ledger_sums, receipt, seeded

ACME = Party(customer_id=7, customer_name="Acme", owner_id=None)


def order_of(s: Session, product_id: int, place: int, qty: str, minutes: int = 0) -> SalesDocument:
    """A draft order for ``qty`` of one product at a location."""
    when = NOW + timedelta(minutes=minutes)
    lines = [LineRequest(product_id, Decimal(qty))]
    return create_document(s, "order", ACME, place, lines, when)


def reserved_of(s: Session, order: SalesDocument) -> Sequence[tuple[Decimal, Decimal]]:
    return [(line.reserved, backordered(line)) for line in lines_of(s, order.id)]


def test_numbers_run_per_kind_and_year_and_a_rollback_leaves_no_gap(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        assert next_number(s, "SO", 2026) == "SO2026-00001"
        assert next_number(s, "QT", 2026) == "QT2026-00001"
        assert next_number(s, "SO", 2027) == "SO2027-00001"
    with Session(engine) as s:
        s.begin()
        assert next_number(s, "SO", 2026) == "SO2026-00002"
        s.rollback()
    with Session(engine) as s, s.begin():
        assert next_number(s, "SO", 2026) == "SO2026-00002"
        assert last_number(s, "SO", 2026) == 2
    engine.dispose()


def test_a_quotation_becomes_an_order_priced_from_the_list_price_unless_given(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s, list_price=Decimal("9.5"), tax_rate=Decimal("0.13"))
        lines = [
            LineRequest(product.id, Decimal(3)),
            LineRequest(product.id, Decimal(1), Decimal(8), Decimal(0)),
        ]
        quote = create_document(s, "quote", ACME, sh, lines, NOW)
        order = order_from_quote(s, quote.id, None, NOW)
        assert (quote.number, quote.status) == ("QT2026-00001", "accepted")
        assert (order.number, order.status, order.quote_id) == ("SO2026-00001", "draft", quote.id)
        priced = [(x.quantity, x.unit_price, x.tax_rate) for x in lines_of(s, order.id)]
        assert priced == [
            (Decimal(3), Decimal("9.5"), Decimal("0.13")),
            (Decimal(1), Decimal(8), Decimal(0)),
        ]
        with pytest.raises(Conflict):
            order_from_quote(s, quote.id, None, NOW)


def test_confirming_reserves_what_is_free_and_backorders_the_rest_once(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        post = receipt(product, sh, "6", "in-1")

        post_move(s, post, None, NOW)
        order = order_of(s, product.id, sh, "10")
        assert confirm_order(s, order.id, NOW)
        assert not confirm_order(s, order.id, NOW)
        assert reserved_of(s, order) == [(Decimal(6), Decimal(4))]
        stock = availability(s, product.id)
        assert (stock.on_hand, stock.reserved, stock.available) == (
            Decimal(6),
            Decimal(6),
            Decimal(0),
        )
        (event,) = events_named(s, "order.confirmed")
        assert event.source_id == order.number
        assert event.payload["customer_id"] == 7
        assert event.payload["lines"][0]["backordered"] == "4"


def test_arriving_goods_fill_backorders_oldest_order_first(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, bj = seeded(s)
        newer = order_of(s, product.id, sh, "5", minutes=1)
        older = order_of(s, product.id, sh, "5")
        elsewhere = order_of(s, product.id, bj, "5")
        confirm_order(s, older.id, NOW)
        confirm_order(s, newer.id, NOW + timedelta(minutes=1))
        confirm_order(s, elsewhere.id, NOW)
        post_move(s, receipt(product, sh, "7", "in-1"), None, NOW)
        assert reserved_of(s, older) == [(Decimal(5), Decimal(0))]
        assert reserved_of(s, newer) == [(Decimal(2), Decimal(3))]
        assert reserved_of(s, elsewhere) == [(Decimal(0), Decimal(5))]
        assert balances(s, product.id)[sh].reserved == Decimal(7)
        post_move(s, receipt(product, sh, "10", "in-2"), None, NOW)
        assert reserved_of(s, newer) == [(Decimal(5), Decimal(0))]
        assert availability(s, product.id, None).available == Decimal(7)


def test_a_delivery_shipped_twice_moves_stock_once_and_is_told_once(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, "10", "in-1", cost="3"), None, NOW)
        order = order_of(s, product.id, sh, "8")
        confirm_order(s, order.id, NOW)
        (line,) = lines_of(s, order.id)
        first = ship_order(s, order.id, {line.id: Decimal(3)}, "SF123", "chat:x:1", None, NOW)
        again = ship_order(s, order.id, {line.id: Decimal(3)}, "SF123", "chat:x:1", None, NOW)
        assert first.new and not again.new and again.delivery.id == first.delivery.id
        assert order.status == "partial"
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1
        stock = availability(s, product.id)
        assert (stock.on_hand, stock.reserved) == (Decimal(7), Decimal(5))
        ship_order(s, order.id, None, "SF124", "chat:x:2", None, NOW)
        assert order.status == "delivered"
        assert availability(s, product.id).on_hand == Decimal(2)
        events = events_named(s, "order.delivered")
        assert [e.payload["tracking"] for e in events] == ["SF123", "SF124"]
        assert events[0].payload["lines"][0]["cost"] == "9.00"
        assert events[0].payload["lines"][0]["quantity"] == "3"
        assert ledger_sums(s, product.id)[sh] == (Decimal(2), Decimal(6))
        with pytest.raises(Conflict):
            ship_order(s, order.id, None, "", "chat:x:3", None, NOW)


def test_only_what_is_reserved_ships(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        order = order_of(s, product.id, sh, "4")
        confirm_order(s, order.id, NOW)
        (line,) = lines_of(s, order.id)
        with pytest.raises(Conflict):
            ship_order(s, order.id, None, "", "k1", None, NOW)
        with pytest.raises(Conflict):
            ship_order(s, order.id, {line.id: Decimal(1)}, "", "k2", None, NOW)


def test_cancelling_releases_the_reservation_and_returns_come_back(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, "10", "in-1"), None, NOW)
        order = order_of(s, product.id, sh, "6")
        confirm_order(s, order.id, NOW)
        (line,) = lines_of(s, order.id)
        ship_order(s, order.id, {line.id: Decimal(2)}, "", "d1", None, NOW)
        assert cancel_document(s, order.id, NOW)
        assert not cancel_document(s, order.id, NOW)
        stock = availability(s, product.id)
        assert (stock.on_hand, stock.reserved) == (Decimal(8), Decimal(0))
        assert return_goods(s, order.id, line.id, Decimal(1), "r1", None, NOW)
        assert not return_goods(s, order.id, line.id, Decimal(1), "r1", None, NOW)
        with pytest.raises(Conflict):
            return_goods(s, order.id, line.id, Decimal(2), "r2", None, NOW)
        kinds = s.scalars(select(StockMove.kind).order_by(StockMove.id)).all()
        assert kinds == ["receipt", "delivery", "return"]
        assert availability(s, product.id).on_hand == Decimal(9)


def test_shipping_reserved_goods_below_safety_stock_is_no_new_breach(sqlite_url: str) -> None:
    """The order's reservation takes available below safety stock (one breach); shipping what
    it reserved leaves available as it is, so the two shipments report no breach again (each
    used to release first, which re-armed the watch, and the delivery then breached anew)."""
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s, safety_stock=Decimal(100))
        post_move(s, receipt(product, sh, "299", "in-1"), None, NOW)
        order = order_of(s, product.id, sh, "250")
        confirm_order(s, order.id, NOW)
        assert [e.payload["available"] for e in events_named(s, BELOW_SAFETY)] == ["49"]
        (line,) = lines_of(s, order.id)
        ship_order(s, order.id, {line.id: Decimal(150)}, "SF1", "d1", None, NOW)
        ship_order(s, order.id, None, "SF2", "d2", None, NOW)
        assert order.status == "delivered"
        assert len(events_named(s, BELOW_SAFETY)) == 1
        stock = availability(s, product.id)
        left = (Decimal(49), Decimal(0), Decimal(49))
        assert (stock.on_hand, stock.reserved, stock.available) == left
        ship_order(s, order.id, None, "SF2", "d2", None, NOW)  # the same shipment again
        assert availability(s, product.id).reserved == 0

"""The stock ledger on SQLite (the database's locking is PostgreSQL's test, test_erp_stock_pg):
posting twice moves once, stock never goes below what is reserved unless allowed, the moving
average follows the goods, and a safety-stock breach is reported once per breach."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.erp.catalog import edit_product, find_products, product_by_sku
from domain.erp.levels import availability, moves_of
from domain.erp.models import StockMove
from domain.erp.safety import BELOW_SAFETY
from domain.erp.stock import MoveRequest, locked_balance, post_move, release, reserve
from domain.shared.domain_events import events_named
from domain.shared.errors import Conflict, DomainError
from tests.integration.erp_rig import (
    NOW,
    balances,
    delivery,
    erp_session,
    ledger_sums,
    receipt,
    seeded,
)


def test_the_same_move_key_posted_twice_moves_stock_once(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        first = post_move(s, receipt(product, sh, "10", "po-1/line-1"), None, NOW)
        again = post_move(s, receipt(product, sh, "10", "po-1/line-1"), None, NOW)
        assert first.new and not again.new and again.move_id == first.move_id
        assert s.scalar(select(func.count()).select_from(StockMove)) == 1
        assert availability(s, product.id).on_hand == Decimal(10)


def test_stock_never_goes_below_what_is_reserved_unless_the_product_allows_it(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        post_move(s, receipt(product, sh, "5", "in-1"), None, NOW)
        reserve(s, product.id, sh, Decimal(3), NOW)
        with pytest.raises(Conflict):
            post_move(s, delivery(product, sh, "3", "out-1"), None, NOW)
        with pytest.raises(Conflict):
            reserve(s, product.id, sh, Decimal(3), NOW)
        with pytest.raises(Conflict):
            release(s, product.id, sh, Decimal(4), NOW)
        stock = availability(s, product.id)
        assert (stock.on_hand, stock.reserved, stock.available) == (
            Decimal(5),
            Decimal(3),
            Decimal(2),
        )
        assert (stock.incoming, stock.projected) == (Decimal(0), Decimal(2))
        edit_product(s, product, {"allow_negative": True}, NOW)
        post_move(s, delivery(product, sh, "7", "out-2"), None, NOW)
        assert availability(s, product.id).on_hand == Decimal(-2)


def test_moves_take_the_moving_average_and_a_transfer_carries_it(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, bj = seeded(s)
        post_move(s, receipt(product, sh, "10", "in-1", cost="2"), None, NOW)
        post_move(s, receipt(product, sh, "20", "in-2", cost="3.5"), None, NOW)  # 30 @ 3.00
        post_move(s, delivery(product, sh, "3", "out-1"), None, NOW)
        move = MoveRequest(
            "transfer", product.id, Decimal(7), "t-1", from_location=sh, to_location=bj
        )
        post_move(s, move, None, NOW)
        held = balances(s, product.id)
        assert (held[sh].on_hand, held[sh].value) == (Decimal(20), Decimal("60.00"))
        assert (held[bj].on_hand, held[bj].value) == (Decimal(7), Decimal("21.00"))
        post_move(s, delivery(product, bj, "7", "out-2"), None, NOW)
        assert balances(s, product.id)[bj].value == 0  # the last unit takes what value is left
        assert ledger_sums(s, product.id) == {
            place: (b.on_hand, b.value) for place, b in balances(s, product.id).items()
        }
        assert [m.kind for m in moves_of(s, product.id)][:2] == ["delivery", "transfer"]


def test_a_balance_loaded_earlier_in_the_transaction_shows_the_moves_posted_after_it(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        held = locked_balance(s, product.id, sh)
        post_move(s, receipt(product, sh, "10", "in-1", cost="2"), None, NOW)
        post_move(s, delivery(product, sh, "4", "out-1"), None, NOW)
        assert (held.on_hand, held.value) == (Decimal(6), Decimal("12.00"))
        s.expire_all()  # and the row holds the same
        assert (held.on_hand, held.value) == (Decimal(6), Decimal("12.00"))


def test_a_move_of_the_wrong_shape_or_quantity_is_refused(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s)
        for wrong in (
            MoveRequest("receipt", product.id, Decimal(1), "k1", from_location=sh),
            MoveRequest("transfer", product.id, Decimal(1), "k2", from_location=sh, to_location=sh),
            MoveRequest("receipt", product.id, Decimal("0.0001"), "k3", to_location=sh),
            MoveRequest("receipt", product.id, Decimal(-1), "k4", to_location=sh),
            MoveRequest("teleport", product.id, Decimal(1), "k5", to_location=sh),
            MoveRequest("receipt", product.id, Decimal(1), "k6", to_location=sh + 99),
            MoveRequest("receipt", product.id, Decimal(10**20), "k7", to_location=sh),
        ):
            with pytest.raises(DomainError):
                post_move(s, wrong, None, NOW)


def test_falling_below_safety_stock_is_reported_once_per_breach(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, bj = seeded(s, safety_stock=Decimal(10), reorder_qty=Decimal(50))
        post_move(s, receipt(product, sh, "20", "in-1"), None, NOW)
        post_move(s, receipt(product, bj, "5", "in-2"), None, NOW)
        post_move(s, delivery(product, sh, "14", "out-1"), None, NOW)  # 11 left: still at level
        assert events_named(s, BELOW_SAFETY) == []
        post_move(s, delivery(product, sh, "2", "out-2"), None, NOW)  # 9: below
        post_move(s, delivery(product, bj, "1", "out-3"), None, NOW)  # 8: still the same breach
        assert len(events_named(s, BELOW_SAFETY)) == 1
        post_move(s, receipt(product, sh, "2", "in-3"), None, NOW)  # 10: back at the level
        post_move(s, delivery(product, sh, "1", "out-4"), None, NOW)  # 9: a new breach
        alerts = events_named(s, BELOW_SAFETY)
        assert [a.payload["available"] for a in alerts] == ["9", "9"]
        assert alerts[0].payload["reorder_qty"] == "50" and alerts[0].payload["sku"] == "BOLT-M6"


def test_the_catalog_keeps_skus_unique_and_finds_by_either_name(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        seeded(s, "bolt-m6")
        with pytest.raises(Conflict):
            seeded(s, "BOLT-M6")
        assert product_by_sku(s, "Bolt-m6") is not None
        assert [p.sku for p in find_products(s, "螺栓")] == ["BOLT-M6"]
        assert [p.sku for p in find_products(s, "bolt")] == ["BOLT-M6"]


def test_a_reservation_that_takes_available_below_safety_stock_is_a_breach_too(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        product, sh, _bj = seeded(s, safety_stock=Decimal(10))
        post_move(s, receipt(product, sh, "12", "in-1"), None, NOW)
        reserve(s, product.id, sh, Decimal(3), NOW)  # 9 available
        reserve(s, product.id, sh, Decimal(1), NOW)  # 8: the same breach
        release(s, product.id, sh, Decimal(4), NOW)  # 12: re-armed
        reserve(s, product.id, sh, Decimal(5), NOW)  # 7: a new breach
        assert [a.payload["available"] for a in events_named(s, BELOW_SAFETY)] == ["9", "7"]

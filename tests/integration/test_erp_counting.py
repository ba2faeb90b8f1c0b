"""Stock takes on SQLite (the race with a delivery is test_erp_counting_pg's): the variance card's
figures, an approval that posts its adjustments once however often it is asked, a delivery
during the count kept, several counters added up, one open take per warehouse, and a cancelled
take that adjusts nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.erp.counting import approve, cancel, finish_counting, record_count, start_stock_take
from domain.erp.models import StockMove, Warehouse
from domain.erp.stock import post_move
from domain.erp.warehouses import warehouse_by_code
from domain.shared.errors import Conflict
from tests.integration.erp_rig import (
    NOW,
    balances,
    delivery,
    erp_session,
    ledger_sums,
    receipt,
    seeded,
)

ANN, BEN = 901, 902  # counters (plain SQLite engines do not enforce the members key)


def _warehouse(session: Session, code: str = "SH") -> Warehouse:
    found = warehouse_by_code(session, code)
    assert found is not None
    return found


def test_the_variance_card_values_each_difference_at_the_moving_average(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, sh, _bj = seeded(s)
        nut, _sh, _ = seeded(s, "NUT-M6", cost=Decimal("1"))
        washer, _sh, _ = seeded(s, "WASHER", cost=Decimal("1"))
        post_move(s, receipt(bolt, sh, "10", "r1", cost="2"), None, NOW)
        post_move(s, receipt(bolt, sh, "10", "r2", cost="3"), None, NOW)  # average 2.5
        post_move(s, receipt(nut, sh, "4", "r3", cost="1.5"), None, NOW)
        post_move(s, receipt(washer, sh, "7", "r4", cost="1"), None, NOW)
        take = start_stock_take(s, _warehouse(s), ANN, NOW)
        record_count(s, take, bolt, ANN, Decimal(17), NOW)  # 3 missing
        record_count(s, take, nut, ANN, Decimal(6), NOW)  # 2 found
        found = finish_counting(s, take, NOW)
        lines = {line.product.sku: (line.book, line.counted, value) for line, value in found.lines}
        assert lines == {
            "BOLT-M6": (Decimal(20), Decimal(17), Decimal("-7.50")),
            "NUT-M6": (Decimal(4), Decimal(6), Decimal("3.00")),
        }
        assert found.not_counted == 1  # the washers are left alone
        assert found.total_value == Decimal("-4.50")


def test_an_approval_tapped_twice_posts_each_adjustment_once(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, sh, _bj = seeded(s)
        post_move(s, receipt(bolt, sh, "20", "r1", cost="2"), None, NOW)
        take = start_stock_take(s, _warehouse(s), ANN, NOW)
        record_count(s, take, bolt, ANN, Decimal(17), NOW)
        finish_counting(s, take, NOW)
        first = approve(s, take.id, ANN, NOW)
        second = approve(s, take.id, ANN, NOW)
        assert (first.new, first.posted) == (True, 1)
        assert (second.new, second.posted) == (False, 0)
        assert s.scalar(select(func.count()).select_from(StockMove)) == 2
        held = balances(s, bolt.id)[sh]
        assert (held.on_hand, held.value) == (Decimal(17), Decimal("34.00"))
        assert ledger_sums(s, bolt.id)[sh] == (held.on_hand, held.value)
        with pytest.raises(Conflict):
            cancel(s, take.id, ANN, NOW)  # decided: nothing to cancel


def test_a_delivery_during_the_count_is_kept(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, sh, _bj = seeded(s)
        post_move(s, receipt(bolt, sh, "20", "r1"), None, NOW)
        take = start_stock_take(s, _warehouse(s), ANN, NOW)
        record_count(s, take, bolt, ANN, Decimal(18), NOW)  # 2 missing when the count began
        post_move(s, delivery(bolt, sh, "5", "d1"), None, NOW)  # shipped meanwhile
        finish_counting(s, take, NOW)
        approve(s, take.id, ANN, NOW)
        assert balances(s, bolt.id)[sh].on_hand == Decimal(13)  # 20 - 5 shipped - 2 missing


def test_counters_add_up_and_a_later_count_replaces_the_counters_own(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, sh, _bj = seeded(s)
        post_move(s, receipt(bolt, sh, "20", "r1"), None, NOW)
        take = start_stock_take(s, _warehouse(s), ANN, NOW)
        record_count(s, take, bolt, ANN, Decimal(9), NOW)
        record_count(s, take, bolt, ANN, Decimal(12), NOW)  # Ann recounted her shelf
        together = record_count(s, take, bolt, BEN, Decimal(10), NOW)
        assert together == Decimal(22)
        ((line, _value),) = finish_counting(s, take, NOW).lines
        assert (line.counted, line.counters, line.difference) == (Decimal(22), 2, Decimal(2))
        with pytest.raises(Conflict):
            record_count(s, take, bolt, BEN, Decimal(1), NOW)  # counting is over


def test_one_open_take_per_warehouse_and_a_cancelled_take_adjusts_nothing(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        bolt, sh, _bj = seeded(s)
        post_move(s, receipt(bolt, sh, "20", "r1"), None, NOW)
        take = start_stock_take(s, _warehouse(s), ANN, NOW)
        with pytest.raises(Conflict):
            start_stock_take(s, _warehouse(s), BEN, NOW)
        start_stock_take(s, _warehouse(s, "BJ"), BEN, NOW)  # another warehouse may count
        record_count(s, take, bolt, ANN, Decimal(3), NOW)
        cancel(s, take.id, ANN, NOW)
        assert approve(s, take.id, ANN, NOW).new is False
        assert balances(s, bolt.id)[sh].on_hand == Decimal(20)
        assert start_stock_take(s, _warehouse(s), ANN, NOW).id != take.id  # SH may count again

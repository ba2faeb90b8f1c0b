"""Bills of materials and production orders on SQLite (the locks are PostgreSQL's test,
test_erp_production_pg): versions in force by date, cycles refused with their path, the
exploded tree with what is short, and production orders that reserve, backflush, cost their
output and report once per key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.boms import ComponentRequest, bom_in_force, cycle_path, explode, set_bom
from domain.erp.catalog import add_product
from domain.erp.levels import availability
from domain.erp.models import Product, StockMove
from domain.erp.production import (
    REPORTED,
    cancel_production,
    components_of,
    create_production,
    release_production,
    report_production,
)
from domain.erp.routings import (
    OperationRequest,
    add_work_centre,
    production_days,
    routing_of,
    set_routing,
)
from domain.erp.safety import BELOW_SAFETY
from domain.erp.stock import post_move
from domain.shared.domain_events import events_named
from domain.shared.errors import Conflict, DomainError
from tests.integration.erp_rig import NOW, balances, erp_session, ledger_sums, receipt, seeded

TODAY = NOW.date()


def product(s: Session, sku: str, kind: str = "raw", cost: str = "0") -> Product:
    fields = {"name_en": sku, "kind": kind, "cost": Decimal(cost)}
    return add_product(s, sku, fields, "CNY", NOW)  # type: ignore[arg-type]


def uses(*pairs: tuple[Product, str]) -> list[ComponentRequest]:
    return [ComponentRequest(p.id, Decimal(q)) for p, q in pairs]


def stool_factory(s: Session) -> tuple[Product, Product, Product, int]:
    """A stool made of 4 legs and 1 seat at the SH main location, with a routing: assembly at
    50 an hour, 1 hour to set up and half an hour per stool."""
    legs, sh, _bj = seeded(s, "LEG", kind="raw", cost=Decimal("2"))
    seat = product(s, "SEAT", cost="3")
    stool = product(s, "STOOL", kind="finished")
    set_bom(s, stool.id, uses((legs, "4"), (seat, "1")), date(2026, 1, 1), NOW)
    bench = add_work_centre(s, "ASM", "Assembly", Decimal(8), Decimal(50))
    set_routing(s, stool.id, [OperationRequest("Assemble", bench.id, Decimal("0.5"), Decimal(1))])
    post_move(s, receipt(legs, sh, "100", "legs-in", cost="2"), None, NOW)
    post_move(s, receipt(seat, sh, "20", "seats-in", cost="3"), None, NOW)
    return stool, legs, seat, sh


def test_the_version_in_force_on_a_day_is_the_newest_that_started_by_then(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        legs, _, _ = seeded(s, "LEG")
        stool = product(s, "STOOL", kind="finished")
        first = set_bom(s, stool.id, uses((legs, "4")), date(2026, 12, 1), NOW)
        later = set_bom(s, stool.id, uses((legs, "3")), date(2027, 1, 1), NOW)
        assert bom_in_force(s, stool.id, date(2026, 11, 30)) is None
        assert bom_in_force(s, stool.id, date(2026, 12, 31)) == first
        assert bom_in_force(s, stool.id, date(2027, 1, 1)) == later
        assert (first.version, later.version) == (1, 2)


def test_a_cycle_is_refused_with_the_path_that_closes_it(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        legs, _, _ = seeded(s, "LEG", kind="raw")
        frame = product(s, "FRAME", kind="semi")
        seat = product(s, "SEAT", kind="semi")
        stool = product(s, "STOOL", kind="semi")
        set_bom(s, stool.id, uses((frame, "1"), (seat, "1")), TODAY, NOW)
        set_bom(s, frame.id, uses((legs, "4")), TODAY, NOW)
        with pytest.raises(DomainError) as refused:
            set_bom(s, legs.id, uses((stool, "1")), TODAY, NOW)  # legs are raw: not made here
        assert "not made here" in refused.value.message
        with pytest.raises(DomainError) as refused:
            set_bom(s, seat.id, uses((stool, "1")), TODAY, NOW)
        assert refused.value.params["path"] == "SEAT → STOOL → SEAT"
        with pytest.raises(DomainError) as refused:
            set_bom(s, frame.id, uses((stool, "2")), TODAY, NOW)
        assert refused.value.params["path"] == "FRAME → STOOL → FRAME"
        assert cycle_path(s, seat.id, [legs.id], TODAY) == []
        assert len(list(s.scalars(select(Product)))) == 4


def test_a_superseded_version_no_longer_counts_towards_a_cycle(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        legs, _, _ = seeded(s, "LEG")
        seat = product(s, "SEAT", kind="semi")
        stool = product(s, "STOOL", kind="semi")
        set_bom(s, stool.id, uses((seat, "1")), date(2026, 1, 1), NOW)
        set_bom(s, stool.id, uses((legs, "4")), date(2026, 6, 1), NOW)  # no seat any more
        assert set_bom(s, seat.id, uses((stool, "1")), TODAY, NOW).version == 1


def test_the_tree_shows_quantities_with_scrap_and_yield_and_what_is_short(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        legs, sh, _ = seeded(s, "LEG")
        frame = product(s, "FRAME", kind="semi")
        stool = product(s, "STOOL", kind="finished")
        set_bom(s, frame.id, [ComponentRequest(legs.id, Decimal(4), Decimal("0.05"))], TODAY, NOW)
        set_bom(s, stool.id, uses((frame, "1")), TODAY, NOW, yield_rate=Decimal("0.8"))
        post_move(s, receipt(legs, sh, "30", "legs"), None, NOW)
        tree = explode(s, stool.id, Decimal(8), TODAY)
        (frames,) = tree.components
        (leg_node,) = frames.components
        assert [tree.needed, frames.needed, leg_node.needed] == [8, 10, 42]  # 8/0.8; 10×4×1.05
        assert [frames.short, leg_node.available, leg_node.short] == [10, 30, 12]


def test_a_production_order_reserves_backflushes_and_costs_its_output(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        stool, legs, seat, sh = stool_factory(s)
        order = create_production(s, stool.id, Decimal(10), sh, NOW, source="SO2026-00001")
        assert order.number == "MO2026-00001" and order.status == "planned"
        assert availability(s, stool.id).incoming == 10
        assert release_production(s, order.id, NOW).shortages == []
        assert availability(s, legs.id).reserved == 40 and availability(s, seat.id).reserved == 10

        first = report_production(s, order.id, Decimal(4), Decimal(1), "chat:r1", None, NOW)
        again = report_production(s, order.id, Decimal(4), Decimal(1), "chat:r1", None, NOW)
        assert first.new and not again.new and again.report.id == first.report.id
        report = first.report
        # 5 stools' parts: 20 legs at 2 and 5 seats at 3 = 55; labour (1 + 5 × 0.5) h × 50 = 175
        assert (report.component_value, report.labour_value) == (Decimal(55), Decimal(175))
        assert (report.scrap_value, report.output_value) == (Decimal(46), Decimal(184))
        assert availability(s, stool.id).on_hand == 4
        assert availability(s, stool.id).value == Decimal(184)
        assert availability(s, legs.id).on_hand == 80 and availability(s, legs.id).reserved == 20
        assert order.status == "in_progress" and availability(s, stool.id).incoming == 5

        rest = report_production(s, order.id, Decimal(5), Decimal(0), "chat:r2", None, NOW)
        assert rest.report.labour_value == Decimal(125)  # no set-up the second time
        assert order.status == "done" and [order.produced, order.scrapped] == [9, 1]
        assert [(c.consumed, c.reserved) for c in components_of(s, order.id)] == [
            (Decimal(40), Decimal(0)),
            (Decimal(10), Decimal(0)),
        ]
        assert availability(s, stool.id).incoming == 0
        assert len(events_named(s, REPORTED)) == 2
        for item in (stool, legs, seat):
            sums = ledger_sums(s, item.id)
            for place, balance in balances(s, item.id).items():
                assert (balance.on_hand, balance.value) == sums[place]


def test_what_cannot_be_reported_is_refused_and_changes_nothing(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        stool, _legs, _seat, sh = stool_factory(s)
        order = create_production(s, stool.id, Decimal(5), sh, NOW)
        with pytest.raises(Conflict):
            report_production(s, order.id, Decimal(1), Decimal(0), "k0", None, NOW)  # planned
        release_production(s, order.id, NOW)
        with pytest.raises(Conflict) as refused:
            report_production(s, order.id, Decimal(6), Decimal(0), "k1", None, NOW)
        assert refused.value.params["left"] == "5"
        with pytest.raises(DomainError):
            report_production(s, order.id, Decimal(0), Decimal(0), "k2", None, NOW)
        with pytest.raises(DomainError):
            report_production(s, order.id, Decimal("0.0001"), Decimal(0), "k3", None, NOW)
        assert s.scalars(select(StockMove).where(StockMove.source == order.number)).all() == []
        assert order.produced == 0


def test_release_reports_shortages_tops_up_later_and_cancel_gives_back(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        stool, legs, seat, sh = stool_factory(s)
        order = create_production(s, stool.id, Decimal(25), sh, NOW)  # 25 seats needed, 20 here
        (short,) = release_production(s, order.id, NOW).shortages
        assert (short.sku, short.missing) == ("SEAT", Decimal(5))
        post_move(s, receipt(seat, sh, "15", "more-seats", cost="3"), None, NOW)
        assert release_production(s, order.id, NOW).shortages == []
        assert availability(s, seat.id).reserved == 25
        assert cancel_production(s, order.id, NOW)
        assert not cancel_production(s, order.id, NOW)
        assert availability(s, seat.id).reserved == 0 and availability(s, legs.id).reserved == 0
        assert availability(s, stool.id).incoming == 0


def test_an_order_needs_a_bill_of_materials_and_the_routing_gives_its_days(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        stool, _legs, _seat, sh = stool_factory(s)
        bare = product(s, "BARE", kind="finished")
        with pytest.raises(DomainError):
            create_production(s, bare.id, Decimal(1), sh, NOW)
        steps = routing_of(s, stool.id)
        assert production_days(steps, Decimal(14)) == 1  # 1 + 7 hours: one 8-hour day
        assert production_days(steps, Decimal(15)) == 2
        assert production_days(routing_of(s, bare.id), Decimal(15)) == 0


def test_consuming_reserved_components_below_safety_stock_is_no_new_breach(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        stool, legs, _seat, sh = stool_factory(s)
        legs.safety_stock = Decimal(70)
        order = create_production(s, stool.id, Decimal(10), sh, NOW)
        release_production(s, order.id, NOW)  # 40 legs reserved: 60 available, below 70
        assert len(events_named(s, BELOW_SAFETY)) == 1
        report_production(s, order.id, Decimal(5), Decimal(0), "k1", None, NOW)
        report_production(s, order.id, Decimal(5), Decimal(0), "k2", None, NOW)
        assert len(events_named(s, BELOW_SAFETY)) == 1
        assert availability(s, legs.id).on_hand == 60

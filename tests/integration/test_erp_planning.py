"""MRP on the database (issue 14): the inputs loaded from sales, stock, bills of materials,
purchase and production orders, planned by the pure engine; a confirmed production order is not
proposed again, a bill of materials change between two runs changes the plan (and nothing
else), two runs without changes give the same plan, and a confirmed plan run again proposes
nothing new."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.directory.models import Member
from domain.erp.boms import ComponentRequest, set_bom
from domain.erp.catalog import add_product
from domain.erp.forecasts import set_forecast
from domain.erp.models import Product
from domain.erp.mrp import Plan
from domain.erp.mrp_forecasts import Period, PeriodKind
from domain.erp.planning import plan_as_json, run_mrp
from domain.erp.production import create_production
from domain.erp.purchasing import Wanted, raise_request
from domain.erp.routings import OperationRequest, add_work_centre, set_routing
from domain.erp.sales import LineRequest, Party, confirm_order, create_document
from domain.erp.stock import post_move
from domain.erp.warehouses import main_location, warehouse_by_code
from domain.worktime.calendar import WorkCalendar
from tests.integration.erp_rig import NOW, erp_session, receipt, seeded
from tests.processes import bot_env, describe, run_cli
from tests.support import FIXTURES

TODAY = date(2026, 12, 7)  # a Monday
CALENDAR = WorkCalendar()


def stools_sold(s: Session) -> dict[str, Product]:
    """30 stools sold and confirmed, none in stock; a stool takes 4 legs (100 in stock, bought
    in 5 working days) and a seat (12 in stock, bought in multiples of 10 in 3 working days), and
    takes 2 working days to make."""
    legs, sh, _bj = seeded(s, "LEG", kind="raw", lead_days=5)
    seat = add_product(s, "SEAT", {"name_en": "Seat", "kind": "raw", "lead_days": 3}, "CNY", NOW)
    seat.lot_rule, seat.lot_quantity = "multiple", Decimal(10)
    stool = add_product(
        s, "STOOL", {"name_en": "Stool", "kind": "finished", "lead_days": 2}, "CNY", NOW
    )
    set_bom(
        s,
        stool.id,
        [ComponentRequest(legs.id, Decimal(4)), ComponentRequest(seat.id, Decimal(1))],
        date(2026, 1, 1),
        NOW,
    )
    post_move(s, receipt(legs, sh, "100", "legs"), None, NOW)
    post_move(s, receipt(seat, sh, "12", "seats"), None, NOW)
    order = create_document(
        s, "order", Party(7, "Acme", None), sh, [LineRequest(stool.id, Decimal(30))], NOW
    )
    confirm_order(s, order.id, NOW)
    return {"LEG": legs, "SEAT": seat, "STOOL": stool}


def orders(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    found = plan_as_json(plan, TODAY)["orders"]
    return [(o["sku"], o["kind"], o["quantity"], o["release"], o["due"]) for o in found]


def test_a_sale_plans_the_stools_and_the_parts_they_need_with_their_exceptions(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        stools_sold(s)
        plan = run_mrp(s, TODAY, CALENDAR)
        assert orders(plan) == [
            ("LEG", "buy", "20", "2026-11-26", "2026-12-03"),  # 120 needed, 100 on hand
            ("SEAT", "buy", "20", "2026-11-30", "2026-12-03"),  # 18 short: multiples of 10
            ("STOOL", "make", "30", "2026-12-03", "2026-12-07"),  # two working days earlier
        ]
        exceptions = plan_as_json(plan, TODAY)["exceptions"]
        assert [(e["kind"], e["sku"]) for e in exceptions] == [
            ("short", "LEG"),
            ("short", "SEAT"),
            ("expedite", "STOOL"),
        ]
        assert orders(run_mrp(s, TODAY, CALENDAR)) == orders(plan)  # nothing changed: the same


def test_a_confirmed_production_order_is_planned_against_and_a_bom_change_shows(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        made = stools_sold(s)
        sh = seeded_location(s)
        create_production(s, made["STOOL"].id, Decimal(30), sh, NOW, due=TODAY)
        plan = run_mrp(s, TODAY, CALENDAR)
        assert orders(plan) == [  # the order's components are needed on its due date
            ("LEG", "buy", "20", "2026-11-30", "2026-12-07"),
            ("SEAT", "buy", "20", "2026-12-02", "2026-12-07"),
        ]
        legs, seat = made["LEG"], made["SEAT"]
        lighter = [ComponentRequest(legs.id, Decimal(3)), ComponentRequest(seat.id, Decimal(1))]
        set_bom(s, made["STOOL"].id, lighter, TODAY, NOW)
        later = create_production(s, made["STOOL"].id, Decimal(10), sh, NOW, due=TODAY)
        assert later.number == "MO2026-00002"
        # 120 legs for the first order and 30 for the second, by its new bill: 50 short
        first = orders(run_mrp(s, TODAY, CALENDAR))[0]
        assert first == ("LEG", "buy", "50", "2026-11-30", "2026-12-07")


def test_the_horizon_leaves_later_demand_out(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        stools_sold(s)
        assert orders(run_mrp(s, TODAY, CALENDAR, horizon=date(2026, 12, 6))) == []


def test_a_made_part_with_a_routing_takes_the_days_of_its_steps(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        made = stools_sold(s)
        saw = add_work_centre(s, "SAW", "Saw", Decimal(8), Decimal(0))
        paint = add_work_centre(s, "PAINT", "Paint", Decimal(4), Decimal(0))
        steps = [  # for one stool (its lot): (6 + 10) / 8 + 2 / 4 = 2.5 working days, so 3
            OperationRequest("Cut", saw.id, Decimal(6), Decimal(10)),
            OperationRequest("Paint", paint.id, Decimal(2)),
        ]
        set_routing(s, made["STOOL"].id, steps)
        set_routing(s, made["LEG"].id, steps)  # bought: its purchase lead time still counts
        assert orders(run_mrp(s, TODAY, CALENDAR)) == [
            ("LEG", "buy", "20", "2026-11-25", "2026-12-02"),
            ("SEAT", "buy", "20", "2026-11-27", "2026-12-02"),
            ("STOOL", "make", "30", "2026-12-02", "2026-12-07"),  # three working days earlier
        ]


def seeded_location(s: Session) -> int:
    """The SH warehouse's main location."""
    warehouse = warehouse_by_code(s, "SH")
    assert warehouse is not None
    return main_location(s, warehouse)


def test_bizbot_mrp_run_prints_the_plan_as_json_and_as_tables(sqlite_url: str) -> None:
    with erp_session(sqlite_url) as s:
        stools_sold(s)
    env = bot_env(sqlite_url)
    assert run_cli("org", "import", FIXTURES / "crm_org.yaml", env=env).returncode == 0
    printed = run_cli("mrp", "run", "--json", env=env)
    assert printed.returncode == 0, describe(printed)
    planned = json.loads(printed.stdout)
    found = [(o["sku"], o["kind"], o["quantity"], o["for"]) for o in planned["orders"]]
    assert sorted(found) == [
        ("LEG", "buy", "20", ["STOOL"]),
        ("SEAT", "buy", "20", ["STOOL"]),
        ("STOOL", "make", "30", ["SO2026-00001"]),
    ]
    assert {e["kind"] for e in planned["exceptions"]} <= {"expedite", "short"}
    tables = run_cli("mrp", "run", "--bucket", "week", env=env)
    assert tables.returncode == 0 and "Planned orders" in tables.stdout
    assert "STOOL" in tables.stdout and "SO2026-00001" in tables.stdout
    release = next(o["release"] for o in planned["orders"] if o["sku"] == "STOOL")
    year, week, _ = date.fromisoformat(release).isocalendar()
    assert f"{year}-W{week:02d}" in tables.stdout
    assert all(o["bucket"] == o["release"] for o in planned["orders"])  # by day by default


def test_an_order_wanted_later_is_planned_for_its_date_without_exceptions(
    sqlite_url: str,
) -> None:
    with erp_session(sqlite_url) as s:
        made = stools_sold(s)
        sh = seeded_location(s)
        line = [LineRequest(made["STOOL"].id, Decimal(10))]
        wanted = date(2027, 1, 8)  # a Friday, four weeks out
        party = Party(7, "Acme", None)
        later = create_document(s, "order", party, sh, line, NOW, wanted_on=wanted)
        confirm_order(s, later.id, NOW)
        plan = run_mrp(s, TODAY, CALENDAR)
        stools = [o for o in orders(plan) if o[0] == "STOOL"]
        assert stools == [
            ("STOOL", "make", "30", "2026-12-03", "2026-12-07"),  # the first order: due today
            ("STOOL", "make", "10", "2027-01-06", "2027-01-08"),  # two working days before
        ]
        late = {(e.kind, e.part_id, e.day) for e in plan.exceptions}
        assert all(day < wanted for _kind, _part, day in late)  # none for the later order


def test_a_bom_change_alone_between_two_runs_changes_exactly_what_it_should(
    sqlite_url: str,
) -> None:
    """Issue 14, "must show": a stool now takes 5 legs instead of 4 (in force today). The 30
    stools and their seats are planned as before; the legs needed become 150, so 50 are bought
    instead of 20 (100 on hand), on the same dates. A version dated later changes nothing
    today."""
    with erp_session(sqlite_url) as s:
        made = stools_sold(s)
        before = orders(run_mrp(s, TODAY, CALENDAR))
        legs, seat = made["LEG"], made["SEAT"]
        later = [ComponentRequest(legs.id, Decimal(6)), ComponentRequest(seat.id, Decimal(1))]
        set_bom(s, made["STOOL"].id, later, date(2027, 1, 4), NOW)
        assert orders(run_mrp(s, TODAY, CALENDAR)) == before
        heavier = [ComponentRequest(legs.id, Decimal(5)), ComponentRequest(seat.id, Decimal(1))]
        set_bom(s, made["STOOL"].id, heavier, TODAY, NOW)
        after = orders(run_mrp(s, TODAY, CALENDAR))
        assert after == [
            ("LEG", "buy", "50", "2026-11-26", "2026-12-03"),
            *before[1:],
        ]
        assert before[0] == ("LEG", "buy", "20", "2026-11-26", "2026-12-03")


def test_a_confirmed_plan_run_again_proposes_nothing_new(sqlite_url: str) -> None:
    """Issue 14, "must show": every planned order confirmed as the /mrp card does (a
    production order for what is made, a purchase request for what is bought), with a forecast
    among the demand; the next run proposes nothing, and a third changes nothing either."""
    with erp_session(sqlite_url) as s:
        made = stools_sold(s)
        january = Period(date(2027, 1, 1), PeriodKind.MONTH)
        set_forecast(s, made["STOOL"], january, Decimal(15), NOW)
        plan = run_mrp(s, TODAY, CALENDAR)
        assert {(o[0], o[2]) for o in orders(plan)} >= {("STOOL", "30"), ("STOOL", "15")}
        planner = Member(handle="pat", name="Pat", created_at=NOW, updated_at=NOW)
        s.add(planner)
        s.flush()
        sh = seeded_location(s)
        for order in plan.orders:
            if order.kind == "make":
                create_production(s, order.part_id, order.quantity, sh, NOW, due=order.due)
            else:
                wanted = [Wanted(order.part_id, order.quantity)]
                raise_request(s, planner.id, wanted, order.due, "MRP", NOW)
        assert orders(run_mrp(s, TODAY, CALENDAR)) == []
        assert orders(run_mrp(s, TODAY, CALENDAR)) == []

"""MRP properties over random acyclic bills of materials and demand: with the plan's orders
applied, no part's projected balance is below safety stock on a day it is needed (or today), no
order breaks its lot rule, every past release is reported, and the plan does not depend on the
order of its inputs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.erp.mrp import (
    ExceptionKind,
    LotRule,
    Need,
    Part,
    Plan,
    Supply,
    Usage,
    plan,
)
from domain.worktime.calendar import WorkCalendar

TODAY = date(2027, 3, 3)  # a Wednesday
CALENDAR = WorkCalendar(holidays=frozenset({date(2027, 3, 8)}))
quantities = st.integers(1, 400).map(lambda n: Decimal(n) / 4)
days = st.integers(-5, 40).map(lambda n: TODAY + timedelta(days=n))


@st.composite
def parts(draw: st.DrawFn, part_id: int) -> Part:
    rule = draw(st.sampled_from(LotRule))
    size = Decimal(0) if rule is LotRule.LOT_FOR_LOT else draw(quantities)
    return Part(
        part_id,
        f"P{part_id}",
        make=draw(st.booleans()),
        lead_days=draw(st.integers(0, 6)),
        calendar_days=draw(st.booleans()),
        on_hand=draw(st.integers(0, 50).map(Decimal)),
        safety=draw(st.sampled_from([Decimal(0), Decimal(5), Decimal("2.5")])),
        lot_rule=rule,
        lot_quantity=size,
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Part], list[Usage], list[Need], list[Supply]]:
    count = draw(st.integers(1, 7))
    drawn = [draw(parts(i)) for i in range(1, count + 1)]
    edges = [(p, c) for p in range(1, count + 1) for c in range(p + 1, count + 1)]
    chosen = draw(st.lists(st.sampled_from(edges), unique=True, max_size=10)) if edges else []
    per_unit = st.sampled_from([Decimal(1), Decimal(2), Decimal("0.5"), Decimal("1.25")])
    usages = [Usage(p, c, draw(per_unit)) for p, c in chosen]
    ids = st.integers(1, count)
    needs = draw(st.lists(st.builds(Need, ids, days, quantities, st.just("SO")), max_size=12))
    supplies = draw(
        st.lists(
            st.builds(Supply, ids, days, quantities, st.sampled_from(["PO1", "PO2"])), max_size=4
        )
    )
    return drawn, usages, needs, supplies


def gross_from(
    plan_: Plan, usages: list[Usage], needs: list[Need]
) -> dict[int, dict[date, Decimal]]:
    """Gross requirements recomputed from the needs and the plan's own orders."""
    gross: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for need in needs:
        gross[need.part_id][need.due] += need.quantity
    for order in plan_.orders:
        if order.kind == "make":
            for usage in usages:
                if usage.parent_id == order.part_id:
                    gross[usage.component_id][order.release] += order.quantity * usage.per_unit
    return gross


def balance_at(
    part: Part, day: date, plan_: Plan, gross: dict[date, Decimal], supplies: list[Supply]
) -> Decimal:
    arrived = sum(s.quantity for s in supplies if s.part_id == part.id and s.due <= day)
    ordered = sum(o.quantity for o in plan_.orders if o.part_id == part.id and o.due <= day)
    used = sum(q for d, q in gross.items() if d <= day)
    return part.on_hand + arrived + ordered - used


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_plan_keeps_safety_stock_on_every_need_day_within_the_lot_rules(
    case: tuple[list[Part], list[Usage], list[Need], list[Supply]],
) -> None:
    drawn, usages, needs, supplies = case
    result = plan(drawn, usages, needs, supplies, today=TODAY, calendar=CALENDAR)
    gross = gross_from(result, usages, needs)
    for part in drawn:
        for day in {*gross[part.id], TODAY}:
            assert balance_at(part, day, result, gross[part.id], supplies) >= part.safety
    reported = {(e.kind, e.part_id, e.quantity) for e in result.exceptions}
    for order in result.orders:
        part = result.parts[order.part_id]
        assert order.quantity > 0
        assert order.kind == ("make" if part.make else "buy")
        if part.lot_rule is LotRule.FIXED:
            assert order.quantity == part.lot_quantity
        elif part.lot_rule is LotRule.MINIMUM:
            assert order.quantity >= part.lot_quantity
        elif part.lot_rule is LotRule.MULTIPLE:
            assert order.quantity % part.lot_quantity == 0
        if order.due < TODAY:
            assert (ExceptionKind.SHORT, order.part_id, order.quantity) in reported
        elif order.release < TODAY:
            assert (ExceptionKind.EXPEDITE, order.part_id, order.quantity) in reported
    again = plan(
        drawn[::-1], usages[::-1], needs[::-1], supplies[::-1], today=TODAY, calendar=CALENDAR
    )
    assert (again.orders, again.exceptions) == (result.orders, result.exceptions)

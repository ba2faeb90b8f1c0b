"""The MRP engine (domain/erp/mrp.py), pure: a textbook record computed by hand, low-level codes
and cycles, each exception, each lot rule, working-day offsets, buckets."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.erp.mrp import (
    ExceptionKind,
    LotRule,
    Need,
    Part,
    Plan,
    PlannedOrder,
    Supply,
    Usage,
    low_level_codes,
    plan,
)
from domain.erp.mrp_lots import lot_sizes
from domain.erp.mrp_records import Bucket, bucket_label, orders_by_bucket, record
from domain.shared.errors import DomainError
from domain.worktime.calendar import WorkCalendar

D = Decimal
MONDAY = date(2027, 1, 4)  # "today" and the first day of week 1
CALENDAR = WorkCalendar()
A, B, C, DD = 1, 2, 3, 4
TWO = D(2)


def week(n: int) -> date:
    return MONDAY + timedelta(days=7 * (n - 1))


def textbook(per_b: Decimal = TWO) -> Plan:
    parts = [
        Part(A, "A", make=True, lead_days=7, calendar_days=True, on_hand=D(10)),
        Part(B, "B", make=True, lead_days=14, calendar_days=True, on_hand=D(20)),
        Part(C, "C", False, 7, True, D(30), lot_rule=LotRule.FIXED, lot_quantity=D(50)),
        Part(DD, "D", make=False, lead_days=14, calendar_days=True, on_hand=D(40), safety=D(10)),
    ]
    usages = [Usage(A, B, per_b), Usage(A, C, D(1)), Usage(B, C, D(2)), Usage(B, DD, D(1))]
    needs = [Need(A, week(5), D(40), "SO-1"), Need(A, week(7), D(30), "SO-2")]
    supplies = [Supply(B, week(4), D(10), "MO-1"), Supply(C, week(2), D(50), "PO-1")]
    return plan(parts, usages, needs, supplies, today=MONDAY, calendar=CALENDAR)


def releases(result: Plan, part_id: int) -> dict[int, Decimal]:
    """Planned order releases by week number, summed."""
    by_week: dict[int, Decimal] = {}
    for order in result.orders:
        if order.part_id == part_id:
            n = (order.release - MONDAY).days // 7 + 1
            by_week[n] = by_week.get(n, D(0)) + order.quantity
    return by_week


def test_the_textbook_record_computed_by_hand() -> None:
    """A four-item case built for this test (not copied from a book: no published example is
    reproduced here from memory), computed by hand with the time-phased MRP record as standard
    texts draw it (e.g. Vollmann, Berry, Whybark & Jacobs, "Manufacturing Planning and Control
    for Supply Chain Management": gross requirements, scheduled receipts, projected on hand, net
    requirements, planned receipts, planned order releases per period). One period = one
    week = 7 calendar days; week 1 is today.

    Product structure: A = 2 B + 1 C; B = 2 C + 1 D. C is used at level 1 (under A) and level 2
    (under B): its low-level code is 2 and it is planned once, after A and B.

    | item | lead | on hand | safety | lot size       | scheduled receipts |
    |------|------|---------|--------|----------------|--------------------|
    | A    | 1 wk | 10      | 0      | lot-for-lot    | –                  |
    | B    | 2 wk | 20      | 0      | lot-for-lot    | 10 in week 4       |
    | C    | 1 wk | 30      | 0      | fixed, 50 each | 50 in week 2       |
    | D    | 2 wk | 40      | 10     | lot-for-lot    | –                  |

    Independent demand for A: 40 in week 5, 30 in week 7.

    A (LT 1, OH 10)          wk1  wk2  wk3  wk4  wk5  wk6  wk7  wk8
      gross requirements                          40        30
      scheduled receipts
      projected on hand  10   10   10   10   10    0    0    0    0
      net requirements                            30        30
      planned receipts                            30        30
      planned releases                       30        30

    B (LT 2, OH 20)          gross = 2 × A's releases
      gross requirements                     60        60
      scheduled receipts                     10
      projected on hand  20   20   20   20    0    0    0    0    0
      net requirements                       30        60
      planned receipts                       30        60
      planned releases             30        60

    C (LT 1, OH 30, fixed 50) gross = 1 × A's releases + 2 × B's releases
      gross requirements       60       150        30             (wk2: 2×30; wk4: 30 + 2×60)
      scheduled receipts       50
      projected on hand  30   30   20   20   20   20   40   40   40
      net requirements                      130        10
      planned receipts                      150        50        (three lots of 50; one lot)
      planned releases                 150        50

    D (LT 2, OH 40, SS 10)   gross = 1 × B's releases
      gross requirements       30        60
      projected on hand  40   40   10   10   10   10   10   10   10
      net requirements                       60                   (10 − (10 − 60) to keep 10)
      planned receipts                       60
      planned releases             60

    Every scheduled receipt is used in the week it arrives, and no release is before week 1:
    no exceptions.
    """
    result = textbook()
    assert result.low_level_codes == {A: 0, B: 1, C: 2, DD: 2}
    assert releases(result, A) == {4: 30, 6: 30}
    assert releases(result, B) == {2: 30, 4: 60}
    assert releases(result, C) == {3: 150, 5: 50}
    assert releases(result, DD) == {2: 60}
    assert [o.quantity for o in result.orders if o.part_id == C] == [50, 50, 50, 50]
    assert result.exceptions == []
    rows = record(result, C, Bucket.WEEK, week(1), week(8))
    assert [r.gross for r in rows] == [0, 60, 0, 150, 0, 30, 0, 0]
    assert [r.scheduled for r in rows] == [0, 50, 0, 0, 0, 0, 0, 0]
    assert [r.projected for r in rows] == [30, 20, 20, 20, 20, 40, 40, 40]
    assert [r.planned_receipts for r in rows] == [0, 0, 0, 150, 0, 50, 0, 0]
    assert [r.planned_releases for r in rows] == [0, 0, 150, 0, 50, 0, 0, 0]
    assert [r.projected for r in record(result, DD, Bucket.WEEK, week(1), week(8))] == [40] + [
        10
    ] * 7


def test_planned_orders_say_what_they_are_for_and_whether_made_or_bought() -> None:
    orders = textbook().orders
    assert orders[0] == PlannedOrder(B, "make", D(30), week(2), week(4), ("A",))
    assert {o.kind for o in orders if o.part_id == C} == {"buy"}
    assert {o.sources for o in orders if o.part_id == C and o.due == week(4)} == {("A", "B")}
    assert [o.sources for o in orders if o.part_id == A] == [("SO-1",), ("SO-2",)]


def test_a_bom_change_between_two_runs_changes_the_plan_as_expected() -> None:
    """A now takes 3 B instead of 2: B's gross is 90 in weeks 4 and 6, so its releases are 60
    (90 − 20 − 10) in week 2 and 90 in week 4; C then needs 120 in week 2 (30 + 50 − 120: 40
    short, one lot of 50) and 30 + 180 = 210 in week 4 (10 left: 200, four lots), 30 in week 6
    (0 left: one lot)."""
    before, after = textbook(), textbook(per_b=D(3))
    assert releases(before, B) == {2: 30, 4: 60}
    assert releases(after, B) == {2: 60, 4: 90}
    assert releases(after, C) == {1: 50, 3: 200, 5: 50}
    assert releases(after, A) == releases(before, A)


def test_running_twice_gives_the_same_plan_whatever_the_input_order() -> None:
    first = textbook()
    assert textbook() == first
    parts = list(first.parts.values())[::-1]
    needs = [Need(A, week(7), D(30), "SO-2"), Need(A, week(5), D(40), "SO-1")]
    supplies = [Supply(C, week(2), D(50), "PO-1"), Supply(B, week(4), D(10), "MO-1")]
    usages = [Usage(B, DD, D(1)), Usage(B, C, D(2)), Usage(A, C, D(1)), Usage(A, B, D(2))]
    again = plan(parts, usages, needs, supplies, today=MONDAY, calendar=CALENDAR)
    assert again.orders == first.orders
    assert again.exceptions == first.exceptions


def part(part_id: int, sku: str, **fields: object) -> Part:
    values: dict[str, object] = {"make": False, "lead_days": 0, "calendar_days": True}
    values["on_hand"] = D(0)
    values.update(fields)
    return Part(part_id, sku, **values)  # type: ignore[arg-type]


def test_low_level_codes_put_a_shared_part_at_its_lowest_level() -> None:
    parts = {i: part(i, f"P{i}") for i in range(1, 7)}
    usages = [Usage(1, 2, D(1)), Usage(2, 3, D(1)), Usage(3, 4, D(1)), Usage(1, 4, D(1))]
    usages.append(Usage(5, 3, D(1)))
    assert low_level_codes(parts, usages) == {1: 0, 2: 1, 3: 2, 4: 3, 5: 0, 6: 0}


def test_a_cycle_is_refused_with_the_path_that_closes_it() -> None:
    parts = {i: part(i, sku) for i, sku in enumerate(["TOP", "GEAR", "SHAFT", "PIN"], 1)}
    usages = [Usage(1, 2, D(1)), Usage(2, 3, D(1)), Usage(3, 4, D(1)), Usage(4, 2, D(1))]
    with pytest.raises(DomainError) as refused:
        low_level_codes(parts, usages)
    assert refused.value.message == "The bill of materials has a cycle: {path}."
    assert refused.value.params == {"path": "GEAR → SHAFT → PIN → GEAR"}
    with pytest.raises(DomainError, match="PIN → PIN"):
        low_level_codes(parts, [Usage(4, 4, D(1))])
    with pytest.raises(DomainError, match="cycle"):
        plan(parts.values(), usages, [], [], today=MONDAY, calendar=CALENDAR)


def test_needs_or_receipts_of_parts_not_given_are_refused() -> None:
    with pytest.raises(ValueError, match="part 9"):
        plan(
            [part(1, "X")], [], [Need(9, MONDAY, D(1), "SO-1")], [], today=MONDAY, calendar=CALENDAR
        )
    with pytest.raises(ValueError, match="part 9"):
        plan(
            [part(1, "X")],
            [],
            [],
            [Supply(9, MONDAY, D(1), "PO-1")],
            today=MONDAY,
            calendar=CALENDAR,
        )
    with pytest.raises(ValueError, match="part 9"):
        low_level_codes({1: part(1, "X")}, [Usage(1, 9, D(1))])


def test_a_release_already_past_is_expedited_and_a_due_date_past_is_short() -> None:
    widget = part(1, "W", lead_days=10, on_hand=D(5))
    needs = [Need(1, MONDAY + timedelta(days=3), D(8), "SO-1")]
    needs.append(Need(1, MONDAY - timedelta(days=2), D(7), "SO-0"))
    result = plan([widget], [], needs, [], today=MONDAY, calendar=CALENDAR)
    assert [(o.quantity, o.release, o.due) for o in result.orders] == [
        (D(2), MONDAY - timedelta(days=12), MONDAY - timedelta(days=2)),
        (D(8), MONDAY - timedelta(days=7), MONDAY + timedelta(days=3)),
    ]
    assert [(e.kind, e.day, e.quantity, e.source) for e in result.exceptions] == [
        (ExceptionKind.EXPEDITE, MONDAY - timedelta(days=7), D(8), "SO-1"),
        (ExceptionKind.SHORT, MONDAY - timedelta(days=2), D(2), "SO-0"),
    ]


def test_a_receipt_early_is_postponed_and_one_never_needed_is_cancelled() -> None:
    bolt = part(1, "BOLT", on_hand=D(10))
    needs = [Need(1, week(3), D(15), "SO-1")]
    supplies = [Supply(1, week(1), D(20), "PO-1"), Supply(1, week(2), D(5), "PO-2")]
    result = plan([bolt], [], needs, supplies, today=MONDAY, calendar=CALENDAR)
    assert result.orders == []
    postponed, cancelled = result.exceptions
    assert (postponed.kind, postponed.source, postponed.day, postponed.to) == (
        ExceptionKind.POSTPONE, "PO-1", week(1), week(3),
    )  # fmt: skip
    assert (cancelled.kind, cancelled.source, cancelled.day, cancelled.to) == (
        ExceptionKind.CANCEL, "PO-2", week(2), None,
    )  # fmt: skip


def test_stock_below_safety_is_restored_from_today() -> None:
    """On hand 2, safety 5: a receipt of 10 due today is needed on arrival and nothing is
    planned; due in week 2 instead, the textbook plans the 3 missing today, and the receipt,
    needed by nothing after that, is to be cancelled."""
    nut = part(1, "NUT", on_hand=D(2), safety=D(5))
    on_time = plan(
        [nut], [], [], [Supply(1, MONDAY, D(10), "PO-1")], today=MONDAY, calendar=CALENDAR
    )
    assert (on_time.orders, on_time.exceptions) == ([], [])
    late = plan([nut], [], [], [Supply(1, week(2), D(10), "PO-1")], today=MONDAY, calendar=CALENDAR)
    assert [(o.quantity, o.due) for o in late.orders] == [(D(3), MONDAY)]
    assert [(e.kind, e.source) for e in late.exceptions] == [(ExceptionKind.CANCEL, "PO-1")]


@pytest.mark.parametrize(
    ("rule", "size", "net", "lots"),
    [
        (LotRule.LOT_FOR_LOT, D(0), D("7.5"), [D("7.5")]),
        (LotRule.LOT_FOR_LOT, D(0), D("0.0001"), [D("0.001")]),  # up to the ledger's scale
        (LotRule.FIXED, D(50), D(120), [D(50), D(50), D(50)]),
        (LotRule.FIXED, D(50), D(50), [D(50)]),
        (LotRule.MINIMUM, D(100), D(30), [D(100)]),
        (LotRule.MINIMUM, D(100), D(130), [D(130)]),
        (LotRule.MULTIPLE, D(12), D(30), [D(36)]),
        (LotRule.MULTIPLE, D("0.5"), D("2.25"), [D("2.5")]),
    ],
)
def test_each_lot_rule(rule: LotRule, size: Decimal, net: Decimal, lots: list[Decimal]) -> None:
    assert lot_sizes(part(1, "X", lot_rule=rule, lot_quantity=size), net) == lots


def test_a_lot_rule_without_a_quantity_and_a_negative_lead_time_are_refused() -> None:
    with pytest.raises(DomainError, match="X: this lot rule"):
        part(1, "X", lot_rule=LotRule.MINIMUM)
    with pytest.raises(DomainError, match="X: the lead time"):
        part(1, "X", lead_days=-1)


def test_working_day_lead_times_skip_the_weekend_and_a_holiday() -> None:
    """Due Wednesday 13 Jan 2027 with 3 working days' lead and Monday 11 Jan a holiday:
    Tuesday 12, Friday 8, Thursday 7. In calendar days it is Sunday 10."""
    calendar = WorkCalendar(holidays=frozenset({date(2027, 1, 11)}))
    due = date(2027, 1, 13)
    working = part(1, "W", lead_days=3, calendar_days=False)
    flat = part(2, "F", lead_days=3, calendar_days=True)
    needs = [Need(1, due, D(1), "SO-1"), Need(2, due, D(1), "SO-1")]
    result = plan([working, flat], [], needs, [], today=MONDAY, calendar=calendar)
    assert [(o.part_id, o.release) for o in result.orders] == [
        (1, date(2027, 1, 7)),
        (2, date(2027, 1, 10)),
    ]


def test_a_bought_part_is_not_exploded_and_components_need_the_parent_release_date() -> None:
    kit = part(1, "KIT", make=True, lead_days=2)
    box = part(2, "BOX", lead_days=1)
    insert = part(3, "INSERT")
    usages = [Usage(1, 2, D("1.5")), Usage(2, 3, D(4))]
    result = plan(
        [kit, box, insert],
        usages,
        [Need(1, week(2), D(4), "SO-1")],
        [],
        today=MONDAY,
        calendar=CALENDAR,
    )
    assert [(o.part_id, o.quantity, o.release, o.due) for o in result.orders] == [
        (2, D(6), week(2) - timedelta(days=3), week(2) - timedelta(days=2)),
        (1, D(4), week(2) - timedelta(days=2), week(2)),
    ]


def test_orders_by_day_or_iso_week() -> None:
    result = textbook()
    weeks = orders_by_bucket(result, Bucket.WEEK)
    assert list(weeks) == [week(2), week(3), week(4), week(5), week(6)]
    assert [o.part_id for o in weeks[week(2)]] == [B, DD]
    assert bucket_label(week(2), Bucket.WEEK) == "2027-W02"
    assert bucket_label(week(2), Bucket.DAY) == "2027-01-11"
    days = record(result, A, Bucket.DAY, week(5) - timedelta(days=1), week(5) + timedelta(days=1))
    assert [(r.start, r.gross, r.projected) for r in days] == [
        (week(5) - timedelta(days=1), D(0), D(10)),  # on hand before: the first column
        (week(5), D(40), D(0)),
        (week(5) + timedelta(days=1), D(0), D(0)),
    ]

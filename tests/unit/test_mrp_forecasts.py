"""Demand forecasts in the pure MRP engine (domain/erp/mrp_forecasts.py): periods, forecast
consumption by sales orders, and the plan it gives, with numbers worked by hand; a property:
each week not over needs exactly the larger of forecast and orders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.erp.mrp import ExceptionKind, Need, Part, PlannedOrder, plan
from domain.erp.mrp_forecasts import Forecast, Period, PeriodKind, consume, period_of, read_period
from domain.erp.mrp_records import Bucket, record
from domain.worktime.calendar import WorkCalendar

D = Decimal
A = 1
WEDNESDAY = date(2027, 1, 6)  # today: week 2027-W01 runs from Monday 4 to Sunday 10 January
CALENDAR = WorkCalendar()


def weekly(week: str, quantity: int) -> Forecast:
    found = period_of(week)
    assert found is not None
    return Forecast(A, found, D(quantity))


ORDERS = [
    Need(A, date(2027, 1, 6), D(30), "SO-1"),  # W01
    Need(A, date(2027, 1, 12), D(35), "SO-2"),  # W02
    Need(A, date(2027, 1, 15), D(10), "SO-3"),  # W02
    Need(A, date(2027, 1, 20), D(45), "SO-4"),  # W03
]
FORECASTS = [
    weekly("2026-W53", 100),  # over before today: ignored
    weekly("2027-W01", 50),
    weekly("2027-W02", 40),
    weekly("2027-W03", 60),
]


def test_orders_consume_the_forecast_of_their_period() -> None:
    """By hand, per week: forecast − orders due in the week, never below 0.

    | week     | forecast | orders       | left | due                          |
    |----------|----------|--------------|------|------------------------------|
    | 2026-W53 | 100      | –            | –    | (the week is over: ignored)  |
    | 2027-W01 | 50       | 30           | 20   | today, 6 Jan (week under way) |
    | 2027-W02 | 40       | 35 + 10 = 45 | 0    | (orders exceed the forecast) |
    | 2027-W03 | 60       | 45           | 15   | Monday 18 Jan                |
    """
    assert consume(FORECASTS, ORDERS, WEDNESDAY) == [
        Need(A, WEDNESDAY, D(20), "forecast 2027-W01"),
        Need(A, date(2027, 1, 18), D(15), "forecast 2027-W03"),
    ]


def test_the_plan_takes_the_larger_of_forecast_and_orders_in_each_week() -> None:
    """A bought part, lead time 2 calendar days, 20 on hand, lot-for-lot. Gross requirements:
    6 Jan 30 + 20 = 50, 12 Jan 35, 15 Jan 10, 18 Jan 15, 20 Jan 45; by week 50, 45 and 60 (the
    larger of forecast and orders each week, never their sum: 90, 85 and 105). Netting from 20
    on hand: 30 due 6 Jan (released 4 Jan, already past: expedite), then each requirement in
    full: 35 (12 Jan, released 10 Jan), 10 (15 Jan, 13 Jan), 15 (18 Jan, 16 Jan), 45 (20 Jan,
    18 Jan)."""
    part = Part(A, "A", make=False, lead_days=2, calendar_days=True, on_hand=D(20))
    needs = [*ORDERS, *consume(FORECASTS, ORDERS, WEDNESDAY)]
    result = plan([part], [], needs, [], today=WEDNESDAY, calendar=CALENDAR)
    assert [(o.quantity, o.release, o.due) for o in result.orders] == [
        (D(30), date(2027, 1, 4), date(2027, 1, 6)),
        (D(35), date(2027, 1, 10), date(2027, 1, 12)),
        (D(10), date(2027, 1, 13), date(2027, 1, 15)),
        (D(15), date(2027, 1, 16), date(2027, 1, 18)),
        (D(45), date(2027, 1, 18), date(2027, 1, 20)),
    ]
    assert result.orders[0].sources == ("SO-1", "forecast 2027-W01")
    assert [(e.kind, e.quantity) for e in result.exceptions] == [(ExceptionKind.EXPEDITE, D(30))]
    by_week = record(result, A, Bucket.WEEK, WEDNESDAY, date(2027, 1, 20))
    assert [p.gross for p in by_week] == [D(50), D(45), D(60)]
    assert [p.projected for p in by_week] == [D(0), D(0), D(0)]


def test_a_month_forecast_is_consumed_by_the_months_orders_delivered_or_not() -> None:
    """Today 7 Dec 2026. December: forecast 100; orders 20 (delivered on the 3rd) and 30 (due the
    10th) consume 50, so 50 is due today. January: 80, no orders, due 1 Jan. November is over."""
    today = date(2026, 12, 7)
    months = [
        Forecast(A, Period(date(2026, 11, 1), PeriodKind.MONTH), D(500)),
        Forecast(A, Period(date(2026, 12, 1), PeriodKind.MONTH), D(100)),
        Forecast(A, Period(date(2027, 1, 1), PeriodKind.MONTH), D(80)),
    ]
    sold = [Need(A, date(2026, 12, 3), D(20), "SO-9"), Need(A, date(2026, 12, 10), D(30), "SO-10")]
    assert consume(months, sold, today) == [
        Need(A, today, D(50), "forecast 2026-12"),
        Need(A, date(2027, 1, 1), D(80), "forecast 2027-01"),
    ]


def test_orders_of_another_part_or_period_do_not_consume() -> None:
    other = Need(2, date(2027, 1, 12), D(99), "SO-X")
    later = Need(A, date(2027, 1, 25), D(99), "SO-Y")  # W04
    assert consume([weekly("2027-W02", 40)], [other, later], WEDNESDAY) == [
        Need(A, date(2027, 1, 11), D(40), "forecast 2027-W02")
    ]


def test_a_forecast_of_zero_or_fully_consumed_plans_nothing() -> None:
    exact = Need(A, date(2027, 1, 12), D(40), "SO-1")
    forecasts = [weekly("2027-W02", 40), weekly("2027-W03", 0)]
    assert consume(forecasts, [exact], WEDNESDAY) == []
    with pytest.raises(ValueError, match="forecast of -1"):
        weekly("2027-W02", -1)


def test_forecasts_alone_give_planned_orders_that_say_so() -> None:
    part = Part(A, "A", make=True, lead_days=0, calendar_days=True, on_hand=D(0))
    needs = consume([weekly("2027-W02", 40)], [], WEDNESDAY)
    result = plan([part], [], needs, [], today=WEDNESDAY, calendar=CALENDAR)
    monday = date(2027, 1, 11)
    assert result.orders == [PlannedOrder(A, "make", D(40), monday, monday, ("forecast 2027-W02",))]


@pytest.mark.parametrize(
    ("typed", "start", "kind"),
    [
        ("2026-12", date(2026, 12, 1), PeriodKind.MONTH),
        ("2026-W50", date(2026, 12, 7), PeriodKind.WEEK),
        ("2026w50", date(2026, 12, 7), PeriodKind.WEEK),
        ("2026年12月", date(2026, 12, 1), PeriodKind.MONTH),
        ("12月", date(2026, 12, 1), PeriodKind.MONTH),
        ("1月", date(2027, 1, 1), PeriodKind.MONTH),  # the next January
        ("2027年第2周", date(2027, 1, 11), PeriodKind.WEEK),
        ("第50周", date(2026, 12, 7), PeriodKind.WEEK),
        ("Dec 2026", date(2026, 12, 1), PeriodKind.MONTH),
        ("november", date(2027, 11, 1), PeriodKind.MONTH),  # this one is over
        ("week 51", date(2026, 12, 14), PeriodKind.WEEK),
    ],
)
def test_periods_as_people_type_them(typed: str, start: date, kind: PeriodKind) -> None:
    assert read_period(typed, date(2026, 12, 7)) == Period(start, kind)


@pytest.mark.parametrize("typed", ["2026-13", "2026-W54", "2026-00", "PUMP-100", "50台", "mayo"])
def test_what_is_not_a_period(typed: str) -> None:
    assert read_period(typed, date(2026, 12, 7)) is None


def test_a_period_starts_where_its_kind_starts_and_knows_its_end() -> None:
    with pytest.raises(ValueError, match="Monday"):
        Period(date(2026, 12, 8), PeriodKind.WEEK)
    with pytest.raises(ValueError, match="1st"):
        Period(date(2026, 12, 2), PeriodKind.MONTH)
    assert Period(date(2026, 12, 1), PeriodKind.MONTH).end == date(2027, 1, 1)
    assert Period(date(2026, 12, 28), PeriodKind.WEEK).label == "2026-W53"


MONDAYS = [date(2027, 1, 4) + timedelta(days=7 * n) for n in range(-2, 8)]


@settings(max_examples=200, deadline=None)
@given(
    weeks=st.dictionaries(
        st.tuples(st.sampled_from([1, 2]), st.sampled_from(MONDAYS)),
        st.integers(0, 60),
        max_size=12,
    ),
    orders=st.lists(
        st.tuples(st.sampled_from([1, 2]), st.integers(-14, 70), st.integers(1, 40)), max_size=25
    ),
)
def test_each_week_not_over_needs_the_larger_of_forecast_and_orders(
    weeks: dict[tuple[int, date], int], orders: list[tuple[int, int, int]]
) -> None:
    """Whatever the forecasts and orders: in every week not yet over, the orders plus what the
    forecast adds come to exactly max(forecast, orders); the forecast's part is due in the week
    and not before today; a week over adds nothing."""
    forecasts = [Forecast(p, Period(m, PeriodKind.WEEK), D(q)) for (p, m), q in weeks.items()]
    sold = [Need(p, WEDNESDAY + timedelta(days=d), D(q), f"SO-{i}") for i, (p, d, q) in
            enumerate(orders)]  # fmt: skip
    added = consume(forecasts, sold, WEDNESDAY)
    for forecast in forecasts:
        period, part = forecast.period, forecast.part_id
        mine = [n for n in added if n.part_id == part and n.source.endswith(period.label)]
        ordered = sum((o.quantity for o in sold if o.part_id == part and period.holds(o.due)), D(0))
        if period.end <= WEDNESDAY:
            assert mine == []
            continue
        assert ordered + sum((n.quantity for n in mine), D(0)) == max(forecast.quantity, ordered)
        assert all(period.holds(n.due) and n.due >= WEDNESDAY for n in mine)
    assert len(added) <= len(forecasts)

"""Recurrence: local wall-clock repeats, DST edges, RFC 5545 text, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.shared.recurrence import Frequency, Recurrence, local_to_utc

BERLIN = "Europe/Berlin"
SH = "Asia/Shanghai"
# Zones with DST at 02:00 (Berlin, New York), at midnight (Santiago), by 30 minutes
# (Lord Howe), on the other side of the date line (Chatham, +12:45/+13:45) and none (Shanghai).
ZONES = [
    BERLIN,
    SH,
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "UTC",
]


def berlin(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(BERLIN))


def local(moment: datetime, tz: str = BERLIN) -> str:
    return moment.astimezone(ZoneInfo(tz)).isoformat(sep=" ", timespec="minutes")


def series(rule: Recurrence, after: datetime, count: int) -> list[str]:
    found: list[str] = []
    for _ in range(count):
        after = rule.next_after(after)
        found.append(local(after, rule.tz))
    return found


def test_every_monday_at_nine_stays_at_nine_across_both_changes() -> None:
    monday = Recurrence(Frequency.WEEKLY, time(9), BERLIN, date(2026, 1, 1), weekdays=(0,))
    assert series(monday, berlin(2026, 3, 20, 12), 3) == [
        "2026-03-23 09:00+01:00",
        "2026-03-30 09:00+02:00",
        "2026-04-06 09:00+02:00",
    ]
    assert series(monday, berlin(2026, 10, 20, 12), 2) == [
        "2026-10-26 09:00+01:00",
        "2026-11-02 09:00+01:00",
    ]


def test_a_time_missing_on_the_spring_day_moves_forward_by_the_gap() -> None:
    nightly = Recurrence(Frequency.DAILY, time(2, 30), BERLIN, date(2026, 1, 1))
    assert series(nightly, berlin(2026, 3, 28, 12), 3) == [
        "2026-03-29 03:30+02:00",
        "2026-03-30 02:30+02:00",
        "2026-03-31 02:30+02:00",
    ]


def test_a_shifted_occurrence_is_found_even_when_its_wall_time_has_passed() -> None:
    # 03:10 CEST on the spring day: the 02:30 wall time is "earlier", but its instant,
    # moved out of the gap to 03:30, is still ahead.
    nightly = Recurrence(Frequency.DAILY, time(2, 30), BERLIN, date(2026, 1, 1))
    moment = datetime(2026, 3, 29, 1, 10, tzinfo=UTC)
    assert local(moment) == "2026-03-29 03:10+02:00"
    assert local(nightly.next_after(moment)) == "2026-03-29 03:30+02:00"


def test_a_time_that_exists_twice_in_autumn_is_the_first() -> None:
    nightly = Recurrence(Frequency.DAILY, time(2, 30), BERLIN, date(2026, 1, 1))
    assert series(nightly, berlin(2026, 10, 24, 12), 2) == [
        "2026-10-25 02:30+02:00",
        "2026-10-26 02:30+01:00",
    ]
    # During the second 02:00-03:00 hour the first 02:30 is over: the next is tomorrow.
    second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)
    assert local(second_pass) == "2026-10-25 02:15+01:00"
    assert local(nightly.next_after(second_pass)) == "2026-10-26 02:30+01:00"


def test_local_to_utc_applies_the_same_rule() -> None:
    assert local_to_utc(datetime(2026, 3, 29, 2, 30), BERLIN) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), BERLIN) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_shanghai_is_exact() -> None:
    daily = Recurrence(Frequency.DAILY, time(8, 30), SH, date(2026, 1, 1))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(400):
        moment = daily.next_after(moment)
        assert (moment.hour, moment.minute) == (0, 30)


def test_weekdays_skip_the_weekend() -> None:
    workdays = Recurrence(Frequency.WEEKDAYS, time(9), SH, date(2026, 11, 18))
    friday = datetime(2026, 11, 20, 10, tzinfo=ZoneInfo(SH))
    assert local(workdays.next_after(friday), SH) == "2026-11-23 09:00+08:00"


def test_the_interval_counts_from_the_start() -> None:
    fortnightly = Recurrence(
        Frequency.WEEKLY, time(9), SH, date(2026, 11, 23), interval=2, weekdays=(0,)
    )
    assert series(fortnightly, datetime(2026, 11, 18, tzinfo=UTC), 3) == [
        "2026-11-23 09:00+08:00",
        "2026-12-07 09:00+08:00",
        "2026-12-21 09:00+08:00",
    ]


def test_monthly_on_the_31st_skips_shorter_months() -> None:
    month_end = Recurrence(Frequency.MONTHLY, time(18), SH, date(2026, 1, 1), monthday=31)
    assert series(month_end, datetime(2026, 1, 1, tzinfo=UTC), 3) == [
        "2026-01-31 18:00+08:00",
        "2026-03-31 18:00+08:00",
        "2026-05-31 18:00+08:00",
    ]


def test_nothing_happens_before_the_start() -> None:
    later = Recurrence(Frequency.DAILY, time(9), SH, date(2027, 1, 1))
    assert local(later.next_after(datetime(2026, 1, 1, tzinfo=UTC)), SH) == "2027-01-01 09:00+08:00"


def test_rrule_text() -> None:
    rule = Recurrence(
        Frequency.WEEKLY, time(9, 30), BERLIN, date(2026, 3, 2), interval=2, weekdays=(3, 0)
    )
    assert rule.weekdays == (0, 3)
    assert rule.to_rrule() == (
        "DTSTART;TZID=Europe/Berlin:20260302T093000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"
    )
    workdays = Recurrence(Frequency.WEEKDAYS, time(9), SH, date(2026, 11, 19))
    assert workdays.to_rrule().endswith("RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR")
    assert Recurrence.from_rrule(workdays.to_rrule()) == workdays


def test_the_rrule_text_means_the_same_to_dateutil() -> None:
    """What goes into an .ics file gives the same local occurrences in another reader."""
    rule = Recurrence(Frequency.WEEKDAYS, time(9), BERLIN, date(2026, 3, 25))
    theirs = [o.replace(tzinfo=None) for o in islice(rrulestr(rule.to_rrule()), 6)]
    ours, moment = [], berlin(2026, 3, 24, 12)
    for _ in range(6):
        moment = rule.next_after(moment)
        ours.append(moment.astimezone(ZoneInfo(BERLIN)).replace(tzinfo=None))
    assert theirs == ours


@pytest.mark.parametrize(
    "text",
    [
        "RRULE:FREQ=DAILY",
        "DTSTART;TZID=Europe/Berlin:20260101T090000",
        "DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=YEARLY",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=DAILY;COUNT=3",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=WEEKLY;BYDAY=1MO",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=WEEKLY",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=DAILY;BYDAY=MO,WE",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=MONTHLY",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=DAILY;INTERVAL=0",
        "DTSTART;TZID=Mars/Olympus:20260101T090000\nRRULE:FREQ=DAILY",
        "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=DAILY;FREQ=DAILY",
    ],
)
def test_from_rrule_refuses_what_it_cannot_hold(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        Recurrence.from_rrule(text)


@pytest.mark.parametrize(
    "fields",
    [
        {"frequency": Frequency.WEEKLY},
        {"frequency": Frequency.DAILY, "weekdays": (1,)},
        {"frequency": Frequency.MONTHLY},
        {"frequency": Frequency.MONTHLY, "monthday": 32},
        {"frequency": Frequency.DAILY, "interval": 0},
        {"frequency": Frequency.WEEKDAYS, "interval": 2},
        {"frequency": Frequency.WEEKLY, "weekdays": (7,)},
        {"frequency": Frequency.DAILY, "tz": "Nowhere/Town"},
        {"frequency": Frequency.DAILY, "at": time(9, tzinfo=UTC)},
    ],
)
def test_invalid_recurrences_are_refused(fields: dict[str, object]) -> None:
    values: dict[str, object] = {"at": time(9), "tz": SH, "start": date(2026, 1, 1)} | fields
    with pytest.raises(ValueError):  # noqa: PT011
        Recurrence(**values)  # type: ignore[arg-type]


def test_next_after_needs_an_aware_moment() -> None:
    daily = Recurrence(Frequency.DAILY, time(9), SH, date(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        daily.next_after(datetime(2026, 1, 1))


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    frequency = draw(st.sampled_from(Frequency))
    weekly = frequency is Frequency.WEEKLY
    return Recurrence(
        frequency=frequency,
        at=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45, 59]))),
        tz=draw(st.sampled_from(ZONES)),
        start=draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
        interval=1 if frequency is Frequency.WEEKDAYS else draw(st.integers(1, 3)),
        weekdays=tuple(draw(st.sets(st.integers(0, 6), min_size=1))) if weekly else (),
        monthday=draw(st.integers(1, 31)) if frequency is Frequency.MONTHLY else None,
    )


moments = st.datetimes(
    min_value=datetime(2019, 6, 1), max_value=datetime(2031, 6, 1), timezones=st.just(UTC)
)


def nominal_date(rule: Recurrence, occurrence: datetime) -> date:
    """The local date whose ``rule.at`` wall time is ``occurrence`` (a gap may move it a day)."""
    day = occurrence.astimezone(ZoneInfo(rule.tz)).date()
    for candidate in (day, day - timedelta(days=1)):
        if local_to_utc(datetime.combine(candidate, rule.at), rule.tz) == occurrence:
            return candidate
    raise AssertionError(f"{occurrence} is not at {rule.at} local")


def allowed(rule: Recurrence, day: date) -> bool:
    """Whether ``day`` is on the rule, ignoring the interval."""
    if day < rule.start:
        return False
    if rule.frequency is Frequency.WEEKLY:
        return day.weekday() in rule.weekdays
    if rule.frequency is Frequency.WEEKDAYS:
        return day.weekday() < 5
    if rule.frequency is Frequency.MONTHLY:
        return day.day == rule.monthday
    return True


@settings(max_examples=300, deadline=None)
@given(recurrences(), moments)
def test_next_after_is_strictly_after_on_an_allowed_day_at_the_local_time(
    rule: Recurrence, moment: datetime
) -> None:
    found = rule.next_after(moment)
    assert found > moment
    assert found.tzinfo is UTC
    day = nominal_date(rule, found)
    assert allowed(rule, day)
    wall = datetime.combine(day, rule.at)
    exists = local_to_utc(wall, rule.tz).astimezone(ZoneInfo(rule.tz)).replace(tzinfo=None) == wall
    if exists:
        assert found.astimezone(ZoneInfo(rule.tz)).time() == rule.at


@settings(max_examples=200, deadline=None)
@given(recurrences(), moments)
def test_no_occurrence_is_skipped(rule: Recurrence, moment: datetime) -> None:
    """With interval 1, no allowed day between ``moment`` and the answer is left out."""
    rule = Recurrence(rule.frequency, rule.at, rule.tz, rule.start, 1, rule.weekdays, rule.monthday)
    found = rule.next_after(moment)
    day = moment.astimezone(ZoneInfo(rule.tz)).date() - timedelta(days=1)
    while day < nominal_date(rule, found):
        if allowed(rule, day):
            assert local_to_utc(datetime.combine(day, rule.at), rule.tz) <= moment
        day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(recurrences(), moments, st.sampled_from(ZONES))
def test_round_trips_and_ignores_the_zone_of_the_moment(
    rule: Recurrence, moment: datetime, other: str
) -> None:
    assert Recurrence.from_rrule(rule.to_rrule()) == rule
    assert rule.next_after(moment.astimezone(ZoneInfo(other))) == rule.next_after(moment)

"""Working days and working hours in the org's time zone. Pure: no database here.

A day is a working day when it is Monday to Friday and not a holiday, or when it is a make-up
working day (a weekend day the org works, as Chinese holidays require). Working hours run from
``start`` to ``end`` local time on working days; SLAs count only those hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from domain.shared.recurrence import local_to_utc, zone

MAX_DAYS = 3660  # no span counted or searched is longer than ten years
SATURDAY = 5


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """When the org works."""

    timezone: str = "UTC"
    start: time = time(9)
    end: time = time(18)
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """Whether the org works on ``day``."""
        if day in self.workdays:
            return True
        return day.weekday() < SATURDAY and day not in self.holidays

    def working_days(self, first: date, last: date) -> int:
        """How many working days ``first`` to ``last`` (both included) contain."""
        if last < first:
            return 0
        span = (last - first).days + 1
        if span > MAX_DAYS:
            raise ValueError("span too long")
        return sum(self.is_working_day(first + timedelta(days=i)) for i in range(span))

    def working_days_before(self, day: date, n: int) -> date:
        """The working day ``n`` working days before ``day`` (``day`` itself when ``n`` is 0):
        a lead time of one working day before a Monday is the Friday."""
        if n < 0:
            raise ValueError("a negative number of working days")
        for _ in range(MAX_DAYS):
            if n == 0:
                return day
            day -= timedelta(days=1)
            n -= self.is_working_day(day)
        raise ValueError("no such working day within ten years")

    def working_days_after(self, day: date, n: int) -> date:
        """The working day ``n`` working days after ``day`` (``day`` itself when ``n`` is 0):
        two working days after a Friday is the Tuesday."""
        if n < 0:
            raise ValueError("a negative number of working days")
        for _ in range(MAX_DAYS):
            if n == 0:
                return day
            day += timedelta(days=1)
            n -= self.is_working_day(day)
        raise ValueError("no such working day within ten years")

    def hours_per_day(self) -> Decimal:
        """The length of a working day in hours."""
        minutes = (self.end.hour * 60 + self.end.minute) - (
            self.start.hour * 60 + self.start.minute
        )
        return Decimal(minutes) / 60

    def add_working_hours(self, start: datetime, hours: Decimal) -> datetime:
        """The UTC instant ``hours`` working hours after ``start`` (a UTC instant)."""
        remaining = timedelta(seconds=float(hours * 3600))
        local = start.astimezone(zone(self.timezone)).replace(tzinfo=None)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens = datetime.combine(day, self.start)
                closes = datetime.combine(day, self.end)
                begin = max(opens, local) if day == local.date() else opens
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return local_to_utc(begin + remaining, self.timezone)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found within ten years")

    def day_bounds(self, first: date, last: date) -> tuple[datetime, datetime]:
        """The UTC instants at local midnight before ``first`` and after ``last``."""
        begins = local_to_utc(datetime.combine(first, time(0)), self.timezone)
        ends = local_to_utc(datetime.combine(last + timedelta(days=1), time(0)), self.timezone)
        return begins, ends

"""Demand forecasts in MRP, pure: the periods a forecast is given for (an ISO week or a calendar
month), and forecast consumption, which turns forecasts and confirmed sales orders into the
independent demand the engine plans (``domain.erp.mrp.Need``).

In each forecast period the gross requirement is the larger of the forecast and the sales
orders due in that period: orders consume the forecast and are never added on top of it. The
orders are needs of their own on their due dates; what is left of the forecast is one more need,
due on the first day of the period, or today for the period that holds today. A period already
past is ignored. docs/ERP.md, "Demand forecasts"."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.erp.mrp import Need
from domain.erp.mrp_lots import ZERO

__all__ = [
    "Forecast",
    "Period",
    "PeriodKind",
    "consume",
    "period_of",
    "read_period",
]


class PeriodKind(StrEnum):
    WEEK = "week"  # an ISO week, Monday to Sunday
    MONTH = "month"  # a calendar month


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One forecast period: a week from its Monday, or a month from its 1st."""

    start: date
    kind: PeriodKind

    def __post_init__(self) -> None:
        if self.kind is PeriodKind.WEEK and self.start.weekday() != 0:
            raise ValueError(f"a week starts on a Monday, not {self.start}")
        if self.kind is PeriodKind.MONTH and self.start.day != 1:
            raise ValueError(f"a month starts on its 1st, not {self.start}")

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.kind is PeriodKind.WEEK:
            return self.start + timedelta(days=7)
        year, month = divmod(self.start.year * 12 + self.start.month, 12)
        return date(year, month + 1, 1)

    def holds(self, day: date) -> bool:
        """Whether ``day`` is in the period."""
        return self.start <= day < self.end

    @property
    def label(self) -> str:
        """``2026-12`` for a month, ``2026-W50`` for an ISO week."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class Forecast:
    """How many of a part are expected to sell in a period."""

    part_id: int
    period: Period
    quantity: Decimal

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValueError(f"a forecast of {self.quantity} ({self.period.label})")


def consume(forecasts: Iterable[Forecast], orders: Iterable[Need], today: date) -> list[Need]:
    """What is left of each forecast once the sales orders due in its period have consumed it,
    as needs (source ``forecast 2026-12``): due on the period's first day, or ``today`` for the
    period holding today; nothing for a period already past or a forecast fully consumed.
    ``orders`` are what consumes: confirmed sales orders' quantities on their due dates. In
    O((forecasts + orders) log orders): each part's orders are summed once, by date."""
    sold = _running_totals(orders)
    needs = []
    for forecast in sorted(forecasts, key=lambda f: (f.part_id, f.period)):
        period = forecast.period
        if period.end <= today:
            continue
        left = forecast.quantity - _sold_within(sold.get(forecast.part_id), period)
        if left > 0:
            due = max(period.start, today)
            needs.append(Need(forecast.part_id, due, left, f"forecast {period.label}"))
    return needs


_Totals = tuple[list[date], list[Decimal]]  # due dates in order; the quantity due up to each


def _running_totals(orders: Iterable[Need]) -> dict[int, _Totals]:
    """Per part, the orders' due dates in order and the running total up to each."""
    by_part: dict[int, list[Need]] = defaultdict(list)
    for order in orders:
        by_part[order.part_id].append(order)
    totals: dict[int, _Totals] = {}
    for part_id, found in by_part.items():
        found.sort(key=lambda o: o.due)
        days, sums, total = [], [], ZERO
        for order in found:
            total += order.quantity
            days.append(order.due)
            sums.append(total)
        totals[part_id] = (days, sums)
    return totals


def _sold_within(totals: _Totals | None, period: Period) -> Decimal:
    """The quantity of orders due in the period."""
    if totals is None:
        return ZERO
    days, sums = totals
    first, last = bisect_left(days, period.start), bisect_left(days, period.end)
    before = sums[first - 1] if first else ZERO
    return (sums[last - 1] if last else ZERO) - before


CANONICAL_MONTH = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})")
CANONICAL_WEEK = re.compile(r"(?P<year>\d{4})-?W(?P<week>\d{1,2})", re.IGNORECASE)
CHINESE_MONTH = re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月(?:份)?")
CHINESE_WEEK = re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?第\s*(?P<week>\d{1,2})\s*周")
ENGLISH_WEEK = re.compile(r"(?:week|wk)\s*(?P<week>\d{1,2})(?:\s*(?:of\s*)?(?P<year>\d{4}))?",
                          re.IGNORECASE)  # fmt: skip
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
ENGLISH_MONTH = re.compile(r"(?P<name>[A-Za-z]{3,9})\.?(?:\s+(?P<year>\d{4}))?")


def period_of(text: str) -> Period | None:
    """A period as a file gives it: ``2026-12`` (a month) or ``2026-W50`` (an ISO week);
    ``None`` for anything else, or a month or week that does not exist."""
    text = text.strip()
    week = CANONICAL_WEEK.fullmatch(text)
    if week:
        return _week(int(week["year"]), int(week["week"]))
    month = CANONICAL_MONTH.fullmatch(text)
    if month:
        return _month(int(month["year"]), int(month["month"]))
    return None


def read_period(text: str, today: date) -> Period | None:
    """A period as people type it: ``2026-12``, ``2026-W50``, ``2026年12月``, ``2026年第50周``,
    ``Dec 2026``, ``week 50``; without a year, the next such month or week from today (the
    current one included). ``None`` when ``text`` is not one period."""
    text = text.strip()
    found = period_of(text)
    if found is not None:
        return found
    for pattern, make in ((CHINESE_MONTH, _month), (CHINESE_WEEK, _week), (ENGLISH_WEEK, _week)):
        match = pattern.fullmatch(text)
        if match:
            number = int(match["month"] if "month" in match.groupdict() else match["week"])
            return _with_year(match["year"], number, make, today)
    match = ENGLISH_MONTH.fullmatch(text)
    if match is None:
        return None
    word = match["name"].lower()
    month = next((n for n, name in enumerate(MONTHS, 1) if name.startswith(word)), None)
    return None if month is None else _with_year(match["year"], month, _month, today)


def _with_year(
    year: str | None, number: int, make: Callable[[int, int], Period | None], today: date
) -> Period | None:
    """The period of that number in the year given, else the next one not yet over."""
    if year is not None:
        return make(int(year), number)
    for candidate in (today.year, today.year + 1):
        found = make(candidate, number)
        if found is not None and found.end > today:
            return found
    return None


def _month(year: int, month: int) -> Period | None:
    if not (1 <= month <= 12 and 1 <= year <= 9998):
        return None
    return Period(date(year, month, 1), PeriodKind.MONTH)


def _week(year: int, week: int) -> Period | None:
    try:
        return Period(date.fromisocalendar(year, week, 1), PeriodKind.WEEK)
    except ValueError:
        return None

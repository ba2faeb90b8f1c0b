"""The pipeline (open deals by stage) and the forecast (revenue by period), in exact decimals.

Amounts in different currencies are never added together: every total is per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.deals import visible, weighted
from domain.crm.models import Deal
from domain.crm.scope import Scope
from domain.crm.stages import Stages

Totals = dict[str, Decimal]  # currency -> amount


@dataclass(slots=True)
class StageLine:
    """The open deals at one stage: how many, their amounts and their weighted amounts."""

    stage: str
    probability: int
    count: int = 0
    amount: Totals = field(default_factory=dict)
    weighted: Totals = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Open deals by stage, in the configured order, with the totals."""

    lines: tuple[StageLine, ...]

    @property
    def count(self) -> int:
        """How many open deals."""
        return sum(line.count for line in self.lines)

    @property
    def amount(self) -> Totals:
        """The open amount, per currency."""
        return _sum(line.amount for line in self.lines)

    @property
    def weighted(self) -> Totals:
        """The weighted open amount, per currency."""
        return _sum(line.weighted for line in self.lines)


class Grain(StrEnum):
    """How long a forecast period is."""

    MONTH = "month"
    QUARTER = "quarter"


@dataclass(slots=True)
class PeriodLine:
    """One period of the forecast: revenue won in it and open deals weighted by their close date."""

    start: date
    won: Totals = field(default_factory=dict)
    weighted: Totals = field(default_factory=dict)

    @property
    def total(self) -> Totals:
        """Won plus weighted, per currency."""
        return _sum([self.won, self.weighted])


def pipeline(session: Session, scope: Scope, stages: Stages) -> Pipeline:
    """The open deals in scope, by stage (deals at a stage no longer configured come last)."""
    lines = {s.name: StageLine(s.name, s.probability) for s in stages.open}
    query = visible(select(Deal.stage, Deal.probability, Deal.amount, Deal.currency), scope)
    for stage, probability, amount, currency in session.execute(query.where(Deal.status == "open")):
        line = lines.setdefault(stage, StageLine(stage, probability))
        line.count += 1
        _add(line.amount, currency, amount)
        _add(line.weighted, currency, weighted(amount, probability))
    return Pipeline(tuple(lines.values()))


def forecast(
    session: Session, scope: Scope, grain: Grain, now: datetime, tz: str
) -> list[PeriodLine]:
    """From the current period on: revenue won in each period (by the day it was won, in ``tz``)
    and open deals weighted by their expected close (an overdue one counts in the current one)."""
    zone = ZoneInfo(tz)
    current = period_start(now.astimezone(zone).date(), grain)
    lines: dict[date, PeriodLine] = {current: PeriodLine(current)}
    for amount, currency, probability, close in session.execute(
        visible(
            select(Deal.amount, Deal.currency, Deal.probability, Deal.expected_close), scope
        ).where(Deal.status == "open")
    ):
        if close is not None:
            start = max(period_start(close, grain), current)
            _add(_line(lines, start).weighted, currency, weighted(amount, probability))
    since = datetime.combine(current, time(), zone)
    for amount, currency, closed_at in session.execute(
        visible(select(Deal.amount, Deal.currency, Deal.closed_at), scope).where(
            Deal.status == "won", Deal.closed_at >= since
        )
    ):
        if closed_at is not None:
            start = period_start(closed_at.astimezone(zone).date(), grain)
            _add(_line(lines, start).won, currency, amount)
    return [lines[start] for start in sorted(lines)]


def _line(lines: dict[date, PeriodLine], start: date) -> PeriodLine:
    return lines.setdefault(start, PeriodLine(start))


def period_start(day: date, grain: Grain) -> date:
    """The first day of the month or quarter ``day`` is in."""
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _add(totals: Totals, currency: str, amount: Decimal) -> None:
    totals[currency] = totals.get(currency, Decimal(0)) + amount


def _sum(parts: Iterable[Totals]) -> Totals:
    found: defaultdict[str, Decimal] = defaultdict(Decimal)
    for totals in parts:
        for currency, amount in totals.items():
            found[currency] += amount
    return dict(found)

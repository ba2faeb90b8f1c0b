"""The org's work calendar: read it, and import it from YAML (docs/APPROVALS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.services import get_org
from domain.shared.yamlfile import parse_definition
from domain.worktime.calendar import WorkCalendar
from domain.worktime.models import WorkCalendarDay, WorkHours

MAX_RANGE_DAYS = 366
Day = date


class HoursSpec(BaseModel):
    """``hours: {start: "09:00", end: "18:00"}``."""

    model_config = ConfigDict(extra="forbid")
    start: time = time(9)
    end: time = time(18)

    @model_validator(mode="after")
    def _ordered(self) -> HoursSpec:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DaySpec(BaseModel):
    """One day (``date``) or a run of days (``from`` .. ``to``), with a name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    day: Day | None = Field(default=None, alias="date")
    first: Day | None = Field(default=None, alias="from")
    last: Day | None = Field(default=None, alias="to")
    name: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _one_way(self) -> DaySpec:
        if (self.day is None) == (self.first is None or self.last is None):
            raise ValueError("give either date, or from and to")
        if self.first and self.last and not 0 <= (self.last - self.first).days < MAX_RANGE_DAYS:
            raise ValueError("to must be on or after from, within a year")
        return self

    def days(self) -> list[Day]:
        """Every day this entry covers."""
        if self.day is not None:
            return [self.day]
        assert self.first is not None
        assert self.last is not None
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


class WorkCalendarFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")
    hours: HoursSpec | None = None
    holidays: list[DaySpec] = []
    workdays: list[DaySpec] = []

    @field_validator("holidays", "workdays")
    @classmethod
    def _bounded(cls, value: list[DaySpec]) -> list[DaySpec]:
        if len(value) > 1000:
            raise ValueError("at most 1000 entries")
        return value


@dataclass(frozen=True, slots=True)
class CalendarImport:
    """What an import wrote."""

    holidays: int
    workdays: int
    hours: tuple[time, time]


def work_calendar(session: Session) -> WorkCalendar:
    """The org's work calendar, in the org's time zone."""
    hours = session.get(WorkHours, 1)
    rows = session.execute(select(WorkCalendarDay.day, WorkCalendarDay.working)).all()
    return WorkCalendar(
        timezone=get_org(session).timezone,
        start=_clock(hours.start_minute) if hours else time(9),
        end=_clock(hours.end_minute) if hours else time(18),
        holidays=frozenset(day for day, working in rows if not working),
        workdays=frozenset(day for day, working in rows if working),
    )


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def import_work_calendar(session: Session, text: str) -> CalendarImport:
    """Add or change the listed days (and the hours); all or nothing, idempotent."""
    spec, _root = parse_definition(WorkCalendarFile, text)
    for entries, working in ((spec.holidays, False), (spec.workdays, True)):
        for entry in entries:
            for day in entry.days():
                row = session.get(WorkCalendarDay, day) or WorkCalendarDay(day=day)
                row.working, row.name = working, entry.name
                session.add(row)
    hours = session.get(WorkHours, 1) or WorkHours(id=1)
    if spec.hours is not None:
        hours.start_minute = spec.hours.start.hour * 60 + spec.hours.start.minute
        hours.end_minute = spec.hours.end.hour * 60 + spec.hours.end.minute
        session.add(hours)
    session.flush()
    calendar = work_calendar(session)
    return CalendarImport(
        holidays=sum(len(e.days()) for e in spec.holidays),
        workdays=sum(len(e.days()) for e in spec.workdays),
        hours=(calendar.start, calendar.end),
    )

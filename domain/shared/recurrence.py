"""Repeating times in a member's time zone, computed on the local wall clock.

A ``Recurrence`` says "every Monday at 09:00 in Europe/Berlin": it stays at 09:00 local across
daylight-saving changes. Occurrences come from python-dateutil's ``rrule`` on naive local wall
times and are then placed on the time line with ``local_to_utc``, which applies one DST rule:

- a wall time that does not exist (spring forward, 02:30 on the last Sunday of March in Berlin)
  is moved forward by the length of the gap (02:30 -> 03:30 CEST);
- a wall time that exists twice (fall back, 02:30 on the last Sunday of October) is the first
  of the two (02:30 CEST, the earlier instant).

This is what PEP 495 gives for ``fold=0``. A rule is stored as RFC 5545 text, ``DTSTART;TZID=``
plus ``RRULE:``, in one column and can be exported to .ics as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as rr

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORKDAYS = (0, 1, 2, 3, 4)
# No time zone moves its clocks by more than this at once; searching from this far before the
# moment finds an occurrence whose wall time is earlier but whose instant, shifted out of a
# spring-forward gap, is still later.
_MAX_SHIFT = timedelta(hours=3)
_DTSTART = re.compile(r"^DTSTART;TZID=(?P<tz>[^:;]+):(?P<at>\d{8}T\d{6})$")


class Frequency(StrEnum):
    """How often a recurrence repeats."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"  # Monday to Friday
    WEEKLY = "weekly"  # on the given weekdays
    MONTHLY = "monthly"  # on the given day of the month


def zone(tz: str) -> ZoneInfo:
    """The IANA time zone ``tz``; ValueError if there is no such zone."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def local_to_utc(wall: datetime, tz: str) -> datetime:
    """The UTC instant of a naive local wall time (gap: moved forward; overlap: the first)."""
    return wall.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A repeating local time: frequency, interval, weekdays or day of month, time and zone.

    ``weekdays`` are 0 = Monday .. 6 = Sunday (WEEKLY only); ``monthday`` is 1..31 (MONTHLY
    only; months without that day are skipped, as RFC 5545 says). ``start`` is the local date
    the series starts on; ``interval`` counts from it (every 2nd week, every 3rd day).
    """

    frequency: Frequency
    at: time
    tz: str
    start: date
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthday: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))
        zone(self.tz)
        if self.at.tzinfo is not None:
            raise ValueError("the time of day is local and must be naive")
        if isinstance(self.start, datetime):
            raise ValueError("start is a local date, not a datetime")
        if self.interval < 1:
            raise ValueError("interval must be at least 1")
        if any(not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if (self.frequency is Frequency.WEEKLY) != bool(self.weekdays):
            raise ValueError("weekly recurrences, and only they, name weekdays")
        if (self.frequency is Frequency.MONTHLY) != (self.monthday is not None):
            raise ValueError("monthly recurrences, and only they, name a day of the month")
        if self.monthday is not None and not 1 <= self.monthday <= 31:
            raise ValueError("the day of the month is 1 to 31")
        if self.frequency is Frequency.WEEKDAYS and self.interval != 1:
            raise ValueError("weekday recurrences repeat every weekday")

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after ``moment`` (timezone-aware), in UTC."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        wall = moment.astimezone(zone(self.tz)).replace(tzinfo=None)
        rule = self._rule()
        candidate = rule.after(wall - _MAX_SHIFT)
        while candidate is not None:
            instant = local_to_utc(candidate, self.tz)
            if instant > moment:
                return instant
            candidate = rule.after(candidate)
        raise ValueError("the recurrence has no further occurrence")  # pragma: no cover

    def to_rrule(self) -> str:
        """RFC 5545 ``DTSTART;TZID=…`` and ``RRULE:…`` lines (one column, .ics-ready)."""
        first = datetime.combine(self.start, self.at)
        parts = [f"FREQ={_rfc_freq(self.frequency)}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        days = WORKDAYS if self.frequency is Frequency.WEEKDAYS else self.weekdays
        if days:
            parts.append("BYDAY=" + ",".join(WEEKDAY_CODES[d] for d in days))
        if self.monthday is not None:
            parts.append(f"BYMONTHDAY={self.monthday}")
        return f"DTSTART;TZID={self.tz}:{first:%Y%m%dT%H%M%S}\nRRULE:{';'.join(parts)}"

    @classmethod
    def from_rrule(cls, text: str) -> Recurrence:
        """Read what ``to_rrule`` writes; ValueError for rules a Recurrence cannot hold."""
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        starts = [m for m in map(_DTSTART.match, lines) if m]
        rules = [line[len("RRULE:") :] for line in lines if line.startswith("RRULE:")]
        if len(starts) != 1 or len(rules) != 1 or len(lines) != 2:
            raise ValueError("expected one DTSTART;TZID= line and one RRULE: line")
        first = datetime.strptime(starts[0]["at"], "%Y%m%dT%H%M%S")
        fields = _rule_fields(rules[0])
        frequency, weekdays = _frequency(fields)
        return cls(
            frequency=frequency,
            at=first.time(),
            tz=starts[0]["tz"],
            start=first.date(),
            interval=int(fields.pop("INTERVAL", "1")),
            weekdays=weekdays,
            monthday=int(fields.pop("BYMONTHDAY")) if "BYMONTHDAY" in fields else None,
        )

    def _rule(self) -> rr.rrule:
        days = WORKDAYS if self.frequency is Frequency.WEEKDAYS else self.weekdays
        return rr.rrule(
            _DATEUTIL_FREQ[self.frequency],
            dtstart=datetime.combine(self.start, self.at),
            interval=self.interval,
            wkst=rr.MO,
            byweekday=days or None,
            bymonthday=self.monthday,
            cache=False,
        )


_DATEUTIL_FREQ = {
    Frequency.DAILY: rr.DAILY,
    Frequency.WEEKDAYS: rr.DAILY,
    Frequency.WEEKLY: rr.WEEKLY,
    Frequency.MONTHLY: rr.MONTHLY,
}


def _rfc_freq(frequency: Frequency) -> str:
    return "DAILY" if frequency is Frequency.WEEKDAYS else frequency.name


def _rule_fields(rule: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in rule.split(";"):
        key, sep, value = part.partition("=")
        if not sep or key.upper() in fields:
            raise ValueError(f"bad RRULE part {part!r}")
        fields[key.upper()] = value.upper()
    unknown = set(fields) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY"}
    if unknown:
        raise ValueError(f"unsupported RRULE parts: {', '.join(sorted(unknown))}")
    return fields


def _frequency(fields: dict[str, str]) -> tuple[Frequency, tuple[int, ...]]:
    """The frequency and weekdays an RRULE's FREQ and BYDAY stand for."""
    days = _weekdays(fields.pop("BYDAY")) if "BYDAY" in fields else ()
    freq = fields.pop("FREQ", "")
    if freq == "DAILY" and days == WORKDAYS:
        return Frequency.WEEKDAYS, ()
    if freq in ("DAILY", "WEEKLY", "MONTHLY") and (freq == "WEEKLY" or not days):
        return Frequency[freq], days
    raise ValueError(
        f"unsupported FREQ={freq} with BYDAY={','.join(WEEKDAY_CODES[d] for d in days)}"
    )


def _weekdays(byday: str) -> tuple[int, ...]:
    try:
        return tuple(sorted({WEEKDAY_CODES.index(code) for code in byday.split(",")}))
    except ValueError as exc:
        raise ValueError(f"unsupported BYDAY={byday}") from exc

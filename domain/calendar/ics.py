"""iCalendar (RFC 5545) text of a member's events, for calendar apps that subscribe to a feed.

Lines end in CRLF and are folded at 75 octets without splitting a character; text values are
escaped. A single meeting has UTC ``DTSTART``/``DTEND``; a repeating one carries the stored
``DTSTART;TZID=`` and ``RRULE:`` lines as they are, a ``DTEND;TZID=`` on the same wall clock, and a
``VTIMEZONE`` for its zone (yearly rules derived from the zone's transitions).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.calendar.models import EventStatus
from domain.calendar.views import EventView, Person
from domain.shared.recurrence import WEEKDAY_CODES, Recurrence

CRLF = "\r\n"
PRODID = "-//Bizbot//Calendar//EN"
LINE_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped, control characters gone."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(raw, escaped)
    return value


def quoted_param(value: str) -> str:
    """A parameter value in double quotes (which it may not contain)."""
    return '"' + _CONTROL.sub("", value.replace('"', "").replace("\n", " ")) + '"'


def fold(line: str) -> str:
    """One content line folded to at most 75 octets per physical line."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > LINE_OCTETS:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def utc_stamp(moment: datetime) -> str:
    """``20261201T070000Z``."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def render_calendar(events: Iterable[EventView], *, name: str, host: str, now: datetime) -> str:
    """A VCALENDAR with one VEVENT per event (cancelled ones say STATUS:CANCELLED)."""
    events = list(events)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for tz, since in _zones(events).items():
        lines += vtimezone(tz, since)
    for event in events:
        lines += vevent(event, host=host, now=now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def _zones(events: list[EventView]) -> dict[str, datetime]:
    """Each zone a repeating event uses, with the earliest start in it."""
    zones: dict[str, datetime] = {}
    for event in events:
        if event.recurrence:
            tz = Recurrence.from_rrule(event.recurrence).tz
            zones[tz] = min(zones.get(tz, event.starts_at), event.starts_at)
    return dict(sorted(zones.items()))


def vevent(event: EventView, *, host: str, now: datetime) -> list[str]:
    """The VEVENT lines of one event."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{event.id}@{host}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"LAST-MODIFIED:{utc_stamp(event.updated_at)}",
        f"SEQUENCE:{event.version - 1}",
        *_times(event),
        f"SUMMARY:{escape_text(event.title)}",
    ]
    if event.place:
        lines.append(f"LOCATION:{escape_text(event.place)}")
    if event.notes:
        lines.append(f"DESCRIPTION:{escape_text(event.notes)}")
    cancelled = event.status == EventStatus.CANCELLED
    lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
    lines.append(f"ORGANIZER;CN={quoted_param(event.organiser.name)}:{address(event.organiser)}")
    for a in event.attendees:
        lines.append(
            f"ATTENDEE;CN={quoted_param(a.person.name)};ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT={a.response.upper()}:{address(a.person)}"
        )
    if event.alarm_minutes is not None and not cancelled:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(event.title)}",
            f"TRIGGER:-PT{event.alarm_minutes}M",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def _times(event: EventView) -> list[str]:
    if not event.recurrence:
        return [f"DTSTART:{utc_stamp(event.starts_at)}", f"DTEND:{utc_stamp(event.ends_at)}"]
    rule = Recurrence.from_rrule(event.recurrence)
    end = datetime.combine(rule.start, rule.at) + event.duration
    return [*event.recurrence.splitlines(), f"DTEND;TZID={rule.tz}:{end:%Y%m%dT%H%M%S}"]


def address(person: Person) -> str:
    """A member's calendar address: their e-mail, or a URN naming their handle."""
    return f"mailto:{person.email}" if person.email else f"urn:x-bizbot:member:{person.handle}"


def vtimezone(tz: str, since: datetime) -> list[str]:
    """A VTIMEZONE for ``tz`` valid from the year before ``since`` on."""
    zone = ZoneInfo(tz)
    year = since.astimezone(zone).year - 1
    changes = transitions(zone, year)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz}"]
    if not changes:
        moment = datetime(year, 1, 1, tzinfo=UTC)
        offset = _offset(zone, moment)
        name = moment.astimezone(zone).tzname()
        lines += _observance("STANDARD", "19700101T000000", offset, offset, name)
    for at in changes:
        before, after = _offset(zone, at - timedelta(seconds=1)), _offset(zone, at)
        wall = (at + _delta(before)).replace(tzinfo=None)
        local = at.astimezone(zone)
        kind = "DAYLIGHT" if local.dst() else "STANDARD"
        rule = f"RRULE:FREQ=YEARLY;BYMONTH={wall.month};BYDAY={_nth_weekday(wall)}"
        lines += _observance(kind, f"{wall:%Y%m%dT%H%M%S}", before, after, local.tzname(), rule)
    return [*lines, "END:VTIMEZONE"]


def _observance(
    kind: str, start: str, before: str, after: str, name: str | None, rule: str = ""
) -> list[str]:
    lines = [f"BEGIN:{kind}", f"DTSTART:{start}", f"TZOFFSETFROM:{before}", f"TZOFFSETTO:{after}"]
    lines += [rule] if rule else []
    lines += [f"TZNAME:{escape_text(name)}"] if name else []
    return [*lines, f"END:{kind}"]


def transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """The UTC instants in ``year`` at which the zone's offset changes (to the second)."""
    found: list[datetime] = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        following = day + timedelta(days=1)
        if _utc_offset(zone, day) != _utc_offset(zone, following):
            low, high = day, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (
                    (middle, high)
                    if _utc_offset(zone, middle) == _utc_offset(zone, low)
                    else (low, middle)
                )
            found.append(high.replace(microsecond=0))
        day = following
    return found


def _utc_offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    """The zone's offset at a UTC instant (``zone.utcoffset`` would read it as wall time)."""
    return moment.astimezone(zone).utcoffset() or timedelta()


def _offset(zone: ZoneInfo, moment: datetime) -> str:
    return _format_offset(_utc_offset(zone, moment))


def _delta(offset: str) -> timedelta:
    sign = -1 if offset[0] == "-" else 1
    return sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _nth_weekday(day: datetime) -> str:
    """``-1SU`` for the last Sunday of its month, ``2SU`` for the second, and so on."""
    code = WEEKDAY_CODES[day.weekday()]
    last = calendar.monthrange(day.year, day.month)[1]
    return f"-1{code}" if day.day + 7 > last else f"{(day.day - 1) // 7 + 1}{code}"

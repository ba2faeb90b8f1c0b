"""iCalendar text: escaping, folding, time zones, and a strict read of a whole calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from domain.calendar.ics import escape_text, fold, render_calendar, vtimezone
from domain.calendar.views import AttendeeView, EventView, Person
from domain.shared.recurrence import Frequency, Recurrence
from tests.ical import components, properties, unfold

NOW = datetime(2026, 11, 30, tzinfo=UTC)
ALICE = Person(1, "alice", "Alice Admin", None)
BOB = Person(2, "bob", 'Bob "B"; Li', "bob@example.com")


def event(**changes: Any) -> EventView:
    base = EventView(
        id=7,
        title="Weekly sync",
        starts_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
        ends_at=datetime(2026, 12, 7, 10, tzinfo=UTC),
        place="",
        notes="",
        organiser=ALICE,
        recurrence=None,
        alarm_minutes=15,
        status="scheduled",
        version=1,
        organiser_card_id=None,
        attendees=(AttendeeView(BOB, "tentative", None),),
        updated_at=NOW,
    )
    return replace(base, **changes)


def test_text_values_are_escaped() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\x07") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_folding_keeps_lines_short_and_characters_whole() -> None:
    line = "SUMMARY:" + "中文标题" * 30
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line


def test_a_whole_calendar_reads_back_strictly() -> None:
    weekly = Recurrence(
        Frequency.WEEKLY, time(10), "Europe/Berlin", date(2026, 12, 7), weekdays=(0,)
    )
    text = render_calendar(
        [
            event(place="Room; 5", notes="bring\nnumbers", title="Sync, 中文" * 8),
            event(id=8, recurrence=weekly.to_rrule(), alarm_minutes=None),
        ],
        name="Alice Admin (Bizbot)",
        host="chat.example.com",
        now=NOW,
    )
    calendar = components(unfold(text))
    single, repeating = calendar["VEVENT"]
    assert single["DTSTART"] == ["20261207T090000Z"]
    assert single["LOCATION"] == ["Room\\; 5"]
    assert single["DESCRIPTION"] == ["bring\\nnumbers"]
    assert properties(single, "ATTENDEE") == [
        'CN="Bob B; Li";ROLE=REQ-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:bob@example.com'
    ]
    assert properties(single, "ORGANIZER") == ['CN="Alice Admin":urn:x-bizbot:member:alice']
    assert repeating["DTSTART;TZID=Europe/Berlin"] == ["20261207T100000"]
    assert repeating["DTEND;TZID=Europe/Berlin"] == ["20261207T110000"]
    assert repeating["RRULE"] == ["FREQ=WEEKLY;BYDAY=MO"]
    assert "VALARM" not in repeating
    [berlin] = calendar["VTIMEZONE"]
    assert berlin["TZID"] == ["Europe/Berlin"]


def test_time_zones_with_and_without_daylight_saving() -> None:
    since = datetime(2026, 12, 7, tzinfo=UTC)
    assert vtimezone("Europe/Berlin", since)[2:16] == [
        "BEGIN:DAYLIGHT",
        "DTSTART:20250330T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "TZNAME:CEST",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "DTSTART:20251026T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "TZNAME:CET",
        "END:STANDARD",
    ]
    new_york = vtimezone("America/New_York", since)
    assert "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU" in new_york
    assert "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU" in new_york
    assert vtimezone("Asia/Shanghai", since) == [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Shanghai",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "TZNAME:CST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]

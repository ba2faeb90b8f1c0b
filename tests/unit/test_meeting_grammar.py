"""Reading /meeting lines: where the title ends and the time begins, and the clauses after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n import t
from bot.parsing import ArgumentError, split_words
from bot.timeparse import Moment, UnparsableTime
from commands.calendar.grammar import read_duration, read_meeting
from domain.shared.recurrence import Recurrence

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
TOMORROW_3PM = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def read(line: str) -> tuple[str, object, timedelta | None, tuple[str, ...], str]:
    text = read_meeting(split_words(line), "en", "Asia/Shanghai", NOW)
    when = text.when.at if isinstance(text.when, Moment) else text.when.to_rrule()
    return text.title, when, text.duration, text.handles, text.place


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Budget review tomorrow 3pm for 1h with @bob @carol at Room 5",
            ("Budget review", TOMORROW_3PM, HOUR, ("bob", "carol"), "Room 5"),
        ),
        ('"Q4 plan 2" tomorrow 3pm with @bob', ("Q4 plan 2", TOMORROW_3PM, None, ("bob",), "")),
        ("Q4 plan 2 tomorrow 3pm with @bob", ("Q4 plan 2", TOMORROW_3PM, None, ("bob",), "")),
        (
            "Monday planning tomorrow 3pm for 90m with @bob, @carol and @emma",
            ("Monday planning", TOMORROW_3PM, 1.5 * HOUR, ("bob", "carol", "emma"), ""),
        ),
        (
            "tomorrow 3pm Budget review with @bob",
            ("Budget review", TOMORROW_3PM, None, ("bob",), ""),
        ),
        ("Focus tomorrow 3pm for 2h at Room 5", ("Focus", TOMORROW_3PM, 2 * HOUR, (), "Room 5")),
        (
            "Review tomorrow at 3pm at the cafe with @bob for 45 min",
            ("Review", TOMORROW_3PM, 0.75 * HOUR, ("bob",), "the cafe"),
        ),
        (
            "Prep for launch tomorrow 3pm with @bob at Room 5 for 1h30",
            ("Prep for launch", TOMORROW_3PM, 1.5 * HOUR, ("bob",), "Room 5"),
        ),
        (
            "预算评审 明天下午3点 持续1小时 和 @bob @carol 在 3号会议室",
            ("预算评审", TOMORROW_3PM, HOUR, ("bob", "carol"), "3号会议室"),
        ),
        (
            "预算评审明天下午3点 和@bob、@carol 在3号会议室",
            ("预算评审", TOMORROW_3PM, None, ("bob", "carol"), "3号会议室"),
        ),
        (
            "周会 每周一上午10点 持续 一个半小时 和 @bob",
            (
                "周会",
                "DTSTART;TZID=Asia/Shanghai:20261207T100000\nRRULE:FREQ=WEEKLY;BYDAY=MO",
                1.5 * HOUR,
                ("bob",),
                "",
            ),
        ),
        (
            "Standup every weekday 9:30 for 15m with @bob",
            (
                "Standup",
                "DTSTART;TZID=Asia/Shanghai:20261201T093000\nRRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
                0.25 * HOUR,
                ("bob",),
                "",
            ),
        ),
    ],
)
def test_meeting_lines(line: str, expected: tuple[object, ...]) -> None:
    assert read(line) == expected


def test_alarm_and_notes_options() -> None:
    words = split_words('Review tomorrow 3pm with @bob alarm=1h notes="bring numbers"')
    text = read_meeting(words, "en", "Asia/Shanghai", NOW)
    assert (text.alarm_given, text.alarm_minutes, text.notes) == (True, 60, "bring numbers")
    off = read_meeting(split_words("评审 明天下午3点 提醒=关"), "zh_CN", "Asia/Shanghai", NOW)
    assert (off.alarm_given, off.alarm_minutes) == (True, None)
    default = read_meeting(split_words("Review tomorrow 3pm"), "en", "Asia/Shanghai", NOW)
    assert default.alarm_given is False
    assert isinstance(default.when, Moment)


def test_a_repeat_is_a_recurrence() -> None:
    text = read_meeting(split_words("Sync every Thursday 10:00"), "en", "Asia/Shanghai", NOW)
    assert isinstance(text.when, Recurrence)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90m", 90),
        ("1h30", 90),
        ("1 hour", 60),
        ("1.5h", 90),
        ("2 hours", 120),
        ("1 hour 30 minutes", 90),
        ("1:30", 90),
        ("45min", 45),
        ("一个半小时", 90),
        ("两小时", 120),
        ("90分钟", 90),
        ("半小时", 30),
        ("1小时30分", 90),
        ("四十五分钟", 45),
        ("3", None),
        ("soon", None),
        ("0m", None),
    ],
)
def test_durations(text: str, minutes: int | None) -> None:
    span = read_duration(text)
    assert (span.total_seconds() // 60 if span else None) == minutes


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Review with @bob", "I can't find when the meeting is."),
        ("Review tomorrow with @bob", "Say at what time the meeting starts"),
        ("tomorrow 3pm with @bob", "Give the meeting a title before the time"),
        ("Review tomorrow 3pm with @bob over there", 'I don\'t understand "over there".'),
        ("Review tomorrow 3pm at A with @bob at B", "Give the place only once."),
        ("Review tomorrow 3pm alarm=soon", 'I can\'t read the alarm "soon".'),
        ("Review today 9am with @bob", '"today 9am" (2026-11-30 09:00) has already passed.'),
    ],
)
def test_what_is_refused(line: str, message: str) -> None:
    with pytest.raises((ArgumentError, UnparsableTime)) as caught:
        read_meeting(split_words(line), "en", "Asia/Shanghai", NOW)
    error = caught.value
    assert isinstance(error, ArgumentError)
    assert t("en", error.message, **error.params).startswith(message)

"""parse_when / split_when: Chinese and English phrase tables, DST, past times, refusals.

``NOW`` is Wednesday 2026-11-18 14:00 in Asia/Shanghai. Every test in this module runs twice,
with the process time zone set to two zones far from Shanghai, because jionlp-time and
dateparser both know about the process's local time and the results must not depend on it.
"""

from __future__ import annotations

import re
import time as systime
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import t
from bot.parsing import ArgumentError
from bot.timeparse import (
    EXAMPLES,
    REPEAT_EXAMPLES,
    Moment,
    UnparsableTime,
    When,
    parse_when,
    split_when,
)
from bot.timewords import Problem
from domain.shared.recurrence import Recurrence

SH = "Asia/Shanghai"
BERLIN = "Europe/Berlin"
NOW = datetime(2026, 11, 18, 14, 0, tzinfo=ZoneInfo(SH))


@pytest.fixture(autouse=True, params=["America/Los_Angeles", "Pacific/Kiritimati"])
def process_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run each test with the process TZ set to UTC-8 and to UTC+14."""
    monkeypatch.setenv("TZ", request.param)
    systime.tzset()
    yield request.param
    monkeypatch.undo()
    systime.tzset()


def describe(when: When, tz: str = SH, now: datetime = NOW) -> str:
    """A moment as local ``YYYY-MM-DD HH:MM`` (+ `` date``), a recurrence as its rule -> next."""
    zone = ZoneInfo(tz)
    if isinstance(when, Moment):
        assert when.at.tzinfo is UTC
        return f"{when.at.astimezone(zone):%Y-%m-%d %H:%M}" + (" date" if when.date_only else "")
    rule = when.to_rrule().split("RRULE:")[1]
    first = when.next_after(now).astimezone(zone)
    return f"{rule} {when.at:%H:%M} -> {first:%Y-%m-%d %H:%M}"


WORKDAYS = "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"

CHINESE = [
    ("明天下午3点", "2026-11-19 15:00"),
    ("下周一", "2026-11-23 09:00 date"),
    ("两小时后", "2026-11-18 16:00"),
    ("30分钟后", "2026-11-18 14:30"),
    ("后天上午10点", "2026-11-20 10:00"),
    ("周五下午三点", "2026-11-20 15:00"),
    ("今晚8点", "2026-11-18 20:00"),
    ("12月1日 9:30", "2026-12-01 09:30"),
    ("下个月1号", "2026-12-01 09:00 date"),
    ("每周一上午9点", "FREQ=WEEKLY;BYDAY=MO 09:00 -> 2026-11-23 09:00"),
    ("每天早上8点半", "FREQ=DAILY 08:30 -> 2026-11-19 08:30"),
    ("工作日9点", f"{WORKDAYS} 09:00 -> 2026-11-19 09:00"),
    ("每月1号", "FREQ=MONTHLY;BYMONTHDAY=1 09:00 -> 2026-12-01 09:00"),
    ("明天", "2026-11-19 09:00 date"),
    ("后天", "2026-11-20 09:00 date"),
    ("大后天早上7点", "2026-11-21 07:00"),
    ("9点", "2026-11-19 09:00"),  # 09:00 has passed today
    ("下午5点", "2026-11-18 17:00"),
    ("下午2点", "2026-11-19 14:00"),  # exactly now: the next one
    ("晚上10点", "2026-11-18 22:00"),
    ("中午12点", "2026-11-19 12:00"),
    ("12点半", "2026-11-19 12:30"),
    ("零点", "2026-11-19 00:00"),
    ("周三上午9点", "2026-11-25 09:00"),  # today is Wednesday, 09:00 has passed
    ("周三下午5点", "2026-11-18 17:00"),  # ... 17:00 has not
    ("周一", "2026-11-23 09:00 date"),
    ("星期五下午三点", "2026-11-20 15:00"),
    ("礼拜天", "2026-11-22 09:00 date"),
    ("本周五", "2026-11-20 09:00 date"),
    ("下周五晚上7点半", "2026-11-27 19:30"),
    ("下下周一", "2026-11-30 09:00 date"),
    ("1号", "2026-12-01 09:00 date"),
    ("20号", "2026-11-20 09:00 date"),
    ("15号下午3点", "2026-12-15 15:00"),
    ("11月1日", "2027-11-01 09:00 date"),
    ("12月25日", "2026-12-25 09:00 date"),
    ("2027年1月5日上午10点", "2027-01-05 10:00"),
    ("明早8点", "2026-11-19 08:00"),
    ("明晚9点", "2026-11-19 21:00"),
    ("明天 9:30", "2026-11-19 09:30"),
    ("明天15:00", "2026-11-19 15:00"),
    ("一个半小时后", "2026-11-18 15:30"),
    ("半小时后", "2026-11-18 14:30"),
    ("10分钟之后", "2026-11-18 14:10"),
    ("三个小时以后", "2026-11-18 17:00"),
    ("1天2小时后", "2026-11-19 16:00"),
    ("3天后", "2026-11-21 09:00 date"),
    ("两周后", "2026-12-02 09:00 date"),
    ("每天", "FREQ=DAILY 09:00 -> 2026-11-19 09:00"),
    ("每周四 10:00", "FREQ=WEEKLY;BYDAY=TH 10:00 -> 2026-11-19 10:00"),
    ("每周一三五上午9点", "FREQ=WEEKLY;BYDAY=MO,WE,FR 09:00 -> 2026-11-20 09:00"),
    ("每两周周一上午9点", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO 09:00 -> 2026-11-23 09:00"),
    ("每周日晚上8点", "FREQ=WEEKLY;BYDAY=SU 20:00 -> 2026-11-22 20:00"),
    ("每个工作日上午9点", f"{WORKDAYS} 09:00 -> 2026-11-19 09:00"),
    ("周一至周五每天9点", f"{WORKDAYS} 09:00 -> 2026-11-19 09:00"),
    ("每月15号上午10点", "FREQ=MONTHLY;BYMONTHDAY=15 10:00 -> 2026-12-15 10:00"),
    ("每两天早上7点", "FREQ=DAILY;INTERVAL=2 07:00 -> 2026-11-19 07:00"),
    ("１２月１日　９：３０", "2026-12-01 09:30"),  # full-width digits and space
    ("明儿下午3点", "2026-11-19 15:00"),
]

ENGLISH = [
    ("tomorrow 9am", "2026-11-19 09:00"),
    ("in 2 hours", "2026-11-18 16:00"),
    ("in 30 minutes", "2026-11-18 14:30"),
    ("next Monday", "2026-11-23 09:00 date"),
    ("friday 3pm", "2026-11-20 15:00"),
    ("tonight 8pm", "2026-11-18 20:00"),
    ("12/01 14:30", "2026-12-01 14:30"),  # month/day
    ("Dec 1 9:30", "2026-12-01 09:30"),
    ("every Thursday 10:00", "FREQ=WEEKLY;BYDAY=TH 10:00 -> 2026-11-19 10:00"),
    ("every day at 8:30", "FREQ=DAILY 08:30 -> 2026-11-19 08:30"),
    ("every weekday 9am", f"{WORKDAYS} 09:00 -> 2026-11-19 09:00"),
    ("every month on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1 09:00 -> 2026-12-01 09:00"),
    ("noon", "2026-11-19 12:00"),
    ("at 17:00", "2026-11-18 17:00"),
    ("9am", "2026-11-19 09:00"),  # 09:00 has passed today
    ("5pm", "2026-11-18 17:00"),
    ("2pm", "2026-11-19 14:00"),  # exactly now: the next one
    ("at 9", "2026-11-19 09:00"),  # a bare hour is on the 24-hour clock
    ("midnight", "2026-11-19 00:00"),
    ("9:30pm", "2026-11-18 21:30"),
    ("tomorrow", "2026-11-19 09:00 date"),
    ("tomorrow at 9", "2026-11-19 09:00"),
    ("tomorrow noon", "2026-11-19 12:00"),
    ("day after tomorrow 10am", "2026-11-20 10:00"),
    ("wednesday 9am", "2026-11-25 09:00"),  # today is Wednesday, 09:00 has passed
    ("wednesday 5pm", "2026-11-18 17:00"),  # ... 17:00 has not
    ("monday", "2026-11-23 09:00 date"),
    ("sat 10am", "2026-11-21 10:00"),
    ("next tuesday 10am", "2026-11-24 10:00"),
    ("Friday at noon", "2026-11-20 12:00"),
    ("Nov 1", "2027-11-01 09:00 date"),
    ("Dec 25", "2026-12-25 09:00 date"),
    ("12/25 3pm", "2026-12-25 15:00"),
    ("1/2 9am", "2027-01-02 09:00"),  # month/day
    ("25/12", "2026-12-25 09:00 date"),  # the only reading: 25 is no month
    ("2027-01-05 10:00", "2027-01-05 10:00"),
    ("the 20th", "2026-11-20 09:00 date"),
    ("on the 1st at 10am", "2026-12-01 10:00"),
    ("in an hour", "2026-11-18 15:00"),
    ("in half an hour", "2026-11-18 14:30"),
    ("in an hour and a half", "2026-11-18 15:30"),
    ("in 90 minutes", "2026-11-18 15:30"),
    ("in 1h30m", "2026-11-18 15:30"),
    ("2 hours from now", "2026-11-18 16:00"),
    ("in 3 days", "2026-11-21 09:00 date"),
    ("in 2 weeks", "2026-12-02 09:00 date"),
    ("in 1 month", "2026-12-18 09:00 date"),
    ("every day", "FREQ=DAILY 09:00 -> 2026-11-19 09:00"),
    ("daily at 8:30", "FREQ=DAILY 08:30 -> 2026-11-19 08:30"),
    ("weekdays 9am", f"{WORKDAYS} 09:00 -> 2026-11-19 09:00"),
    ("every other monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO 09:00 -> 2026-11-23 09:00"),
    ("every mon, wed and fri at 9:30", "FREQ=WEEKLY;BYDAY=MO,WE,FR 09:30 -> 2026-11-20 09:30"),
    ("every monday to friday 9am", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR 09:00 -> 2026-11-19 09:00"),
    ("every 2 weeks on tuesday 10am", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU 10:00 -> 2026-11-24 10:00"),
    ("every 15th of the month", "FREQ=MONTHLY;BYMONTHDAY=15 09:00 -> 2026-12-15 09:00"),
    ("  Tomorrow   9AM ", "2026-11-19 09:00"),
    ("everyday at 9am", "FREQ=DAILY 09:00 -> 2026-11-19 09:00"),
]


@pytest.mark.parametrize(("text", "expected"), CHINESE)
def test_chinese_phrases(text: str, expected: str) -> None:
    assert describe(parse_when(text, "zh_CN", SH, NOW)) == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english_phrases(text: str, expected: str) -> None:
    assert describe(parse_when(text, "en", SH, NOW)) == expected


def test_threads_get_their_own_answers() -> None:
    """jionlp-time's parser keeps per-call state; concurrent calls must not mix."""
    table = CHINESE + ENGLISH
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda row: describe(parse_when(row[0], "en", SH, NOW)), table * 3))
    assert seen == [expected for _, expected in table * 3]


def test_the_tables_are_big_enough() -> None:
    assert len(CHINESE) >= 40
    assert len(ENGLISH) >= 40


def test_the_language_follows_the_text_not_the_reader() -> None:
    assert describe(parse_when("明天下午3点", "en", SH, NOW)) == "2026-11-19 15:00"
    assert describe(parse_when("tomorrow 3pm", "zh_CN", SH, NOW)) == "2026-11-19 15:00"


def test_date_only_phrases_take_the_default_time() -> None:
    eight = time(8, 30)
    assert describe(parse_when("明天", "zh_CN", SH, NOW, default_time=eight)) == (
        "2026-11-19 08:30 date"
    )
    assert describe(parse_when("every monday", "en", SH, NOW, default_time=eight)) == (
        "FREQ=WEEKLY;BYDAY=MO 08:30 -> 2026-11-23 08:30"
    )


def test_tomorrow_is_the_members_tomorrow() -> None:
    # NOW is 01:00 on the 18th in New York, so "tomorrow 9am" there is 09:00 EST on the 19th.
    new_york = parse_when("tomorrow 9am", "en", "America/New_York", NOW)
    assert isinstance(new_york, Moment)
    assert new_york.at == datetime(2026, 11, 19, 14, 0, tzinfo=UTC)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("tomorrow", "en", SH, datetime(2026, 11, 18, 14, 0))


# Europe/Berlin: clocks go forward on Sunday 2026-03-29 (02:00 -> 03:00) and back on
# Sunday 2026-10-25 (03:00 -> 02:00).
DST = [
    # Recurrences keep their local hour; the UTC offset changes under them.
    (
        "every Monday 09:00",
        "2026-03-23 10:00",
        ["2026-03-30 09:00+02:00", "2026-04-06 09:00+02:00"],
    ),
    (
        "每周一上午9点",
        "2026-03-16 10:00",
        ["2026-03-23 09:00+01:00", "2026-03-30 09:00+02:00"],
    ),
    (
        "每天早上8点",
        "2026-03-28 10:00",
        ["2026-03-29 08:00+02:00", "2026-03-30 08:00+02:00"],
    ),
    (
        "every day at 8:30",
        "2026-10-24 09:00",
        ["2026-10-25 08:30+01:00", "2026-10-26 08:30+01:00"],
    ),
    (
        "每周一上午9点",
        "2026-10-23 10:00",
        ["2026-10-26 09:00+01:00", "2026-11-02 09:00+01:00"],
    ),
    (
        "every weekday 9am",
        "2026-10-23 10:00",
        ["2026-10-26 09:00+01:00", "2026-10-27 09:00+01:00"],
    ),
    # 02:30 does not exist on 29 March: that day it is 03:30 (moved forward by the gap).
    (
        "every day at 2:30",
        "2026-03-28 12:00",
        ["2026-03-29 03:30+02:00", "2026-03-30 02:30+02:00"],
    ),
    # 02:30 exists twice on 25 October: the first (summer time) one is taken.
    (
        "every day at 2:30",
        "2026-10-24 12:00",
        ["2026-10-25 02:30+02:00", "2026-10-26 02:30+01:00"],
    ),
    ("tomorrow 2:30am", "2026-03-28 12:00", ["2026-03-29 03:30+02:00"]),
    ("明天凌晨2点半", "2026-10-24 12:00", ["2026-10-25 02:30+02:00"]),
    ("tomorrow 9am", "2026-03-28 12:00", ["2026-03-29 09:00+02:00"]),
    ("明天上午9点", "2026-10-24 12:00", ["2026-10-25 09:00+01:00"]),
    # Spans in hours are real time: 01:30 CET + 2 h is 04:30 CEST, not 03:30.
    ("in 2 hours", "2026-03-29 01:30", ["2026-03-29 04:30+02:00"]),
    ("两小时后", "2026-03-29 01:30", ["2026-03-29 04:30+02:00"]),
    ("in 90 minutes", "2026-10-25 01:45", ["2026-10-25 02:15+01:00"]),
    # Spans in days move the calendar date and keep the (default) local time.
    ("in 1 day", "2026-03-28 12:00", ["2026-03-29 09:00+02:00"]),
]


@pytest.mark.parametrize(("text", "said_at", "expected"), DST)
def test_berlin_across_daylight_saving(text: str, said_at: str, expected: list[str]) -> None:
    zone = ZoneInfo(BERLIN)
    now = datetime.fromisoformat(said_at).replace(tzinfo=zone)
    when = parse_when(text, "zh_CN", BERLIN, now)
    seen: list[str] = []
    moment = now
    for _ in expected:
        moment = when.next_after(moment) if isinstance(when, Recurrence) else when.at
        seen.append(moment.astimezone(zone).isoformat(sep=" ", timespec="minutes"))
    assert seen == expected


def test_in_two_hours_is_two_real_hours_across_the_change() -> None:
    now = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo(BERLIN))
    for text in ("in 2 hours", "两小时后"):
        when = parse_when(text, "en", BERLIN, now)
        assert isinstance(when, Moment)
        assert when.at - now.astimezone(UTC) == datetime(1, 1, 1, 2) - datetime(1, 1, 1)


def test_shanghai_has_no_daylight_saving() -> None:
    when = parse_when("每周一上午9点", "zh_CN", SH, NOW)
    assert isinstance(when, Recurrence)
    moment = NOW
    for _ in range(60):  # more than a year of Mondays, all at 01:00 UTC
        moment = when.next_after(moment)
        assert (moment.weekday(), moment.hour, moment.minute) == (0, 1, 0)


UNPARSABLE = [
    ("banana", "en", Problem.UNREADABLE),
    ("sdkfj qwpoe zzz", "en", Problem.UNREADABLE),
    ("17", "en", Problem.UNREADABLE),
    ("13/13", "en", Problem.UNREADABLE),
    ("2/30", "en", Problem.UNREADABLE),  # dateparser alone would say 2028-11-02
    ("tomorrow 25:00", "en", Problem.UNREADABLE),
    ("in 99999999 years", "en", Problem.UNREADABLE),
    ("next week", "en", Problem.VAGUE),
    ("monday 9", "en", Problem.VAGUE),
    ("today 9am", "en", Problem.PAST),
    ("yesterday", "en", Problem.PAST),
    ("in 0 minutes", "en", Problem.PAST),
    ("every hour", "en", Problem.REPEAT),
    ("every week", "en", Problem.REPEAT),
    ("every year on Dec 1", "en", Problem.REPEAT),
    ("香蕉", "zh_CN", Problem.UNREADABLE),
    ("明年的某个时候", "zh_CN", Problem.UNREADABLE),
    ("啊啊啊啊", "zh_CN", Problem.UNREADABLE),
    ("两小时", "zh_CN", Problem.UNREADABLE),  # a duration, not a time
    ("明天25点", "zh_CN", Problem.UNREADABLE),
    ("2月30日", "zh_CN", Problem.UNREADABLE),
    ("下周", "zh_CN", Problem.VAGUE),
    ("今天上午9点", "zh_CN", Problem.PAST),
    ("元旦", "zh_CN", Problem.PAST),  # 2026-01-01: a holiday is not moved to next year
    ("每年1月1日", "zh_CN", Problem.REPEAT),
    ("每隔两天", "zh_CN", Problem.REPEAT),
    ("每周上午9点", "zh_CN", Problem.REPEAT),
]


USUAL_HOURS = [  # a part of the day without a clock is at its usual hour (issue 12, point 5)
    ("今晚", "2026-11-18 20:00"),
    ("明早", "2026-11-19 09:00"),
    ("周五中午", "2026-11-20 12:00"),
    ("下午", "2026-11-18 15:00"),
    ("明天上午", "2026-11-19 09:00"),
    ("下下周一", "2026-11-30 09:00 date"),
    ("月底", "2026-11-30 09:00 date"),
    ("下月底", "2026-12-31 09:00 date"),
    ("月底下午5点", "2026-11-30 17:00"),
    ("tonight", "2026-11-18 20:00"),
    ("this afternoon", "2026-11-18 15:00"),
    ("tomorrow morning", "2026-11-19 09:00"),
    ("friday noon", "2026-11-20 12:00"),
    ("end of the month", "2026-11-30 09:00 date"),
]


@pytest.mark.parametrize(("text", "expected"), USUAL_HOURS)
def test_parts_of_the_day_and_month_ends_are_understood(text: str, expected: str) -> None:
    locale = "en" if text.isascii() else "zh_CN"
    assert describe(parse_when(text, locale, SH, NOW)) == expected


def test_a_repeat_is_never_read_as_a_one_off() -> None:
    monthly = parse_when("on the 1st of every month", "en", SH, NOW)
    assert describe(monthly) == "FREQ=MONTHLY;BYMONTHDAY=1 09:00 -> 2026-12-01 09:00"
    assert describe(parse_when("每天晚上", "zh_CN", SH, NOW)).startswith("FREQ=DAILY")
    words = ["on", "the", "3rd", "of", "every", "other", "month", "pay", "rent"]
    with pytest.raises(UnparsableTime) as caught:
        split_when(words, "en", SH, NOW)  # a repeat it cannot hold: refused, not a one-off
    assert caught.value.problem is Problem.REPEAT


@pytest.mark.parametrize(("text", "locale", "problem"), UNPARSABLE)
def test_refusals_are_precise(text: str, locale: str, problem: Problem) -> None:
    with pytest.raises(UnparsableTime) as caught:
        parse_when(text, locale, SH, NOW)
    assert caught.value.problem is problem
    assert isinstance(caught.value, ArgumentError)
    assert caught.value.params["text"] == text.strip()


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_empty_text_asks_for_a_time(text: str) -> None:
    with pytest.raises(UnparsableTime) as caught:
        parse_when(text, "zh_CN", SH, NOW)
    assert t("zh_CN", caught.value.message, **caught.value.params) == (
        "请说明时间，例如：" + EXAMPLES["zh_CN"]
    )


@pytest.mark.parametrize(
    ("text", "locale"), [("banana", "zh_CN"), ("明年的某个时候", "zh_CN"), ("banana", "en")]
)
def test_the_message_is_translated_and_gives_examples(text: str, locale: str) -> None:
    with pytest.raises(UnparsableTime) as caught:
        parse_when(text, locale, SH, NOW)
    shown = t(locale, caught.value.message, **caught.value.params)
    assert text in shown
    assert EXAMPLES[locale] in shown
    if locale == "zh_CN":
        assert shown.startswith("我看不懂时间")
    else:
        assert shown.startswith("I can't read")


def test_a_past_time_says_when_it_was() -> None:
    with pytest.raises(UnparsableTime) as caught:
        parse_when("今天上午9点", "zh_CN", SH, NOW)
    shown = t("zh_CN", caught.value.message, **caught.value.params)
    assert shown.startswith("“今天上午9点”（2026-11-18 09:00）已经过去了")


def test_a_repeat_it_cannot_hold_gets_repeat_examples() -> None:
    with pytest.raises(UnparsableTime) as caught:
        parse_when("每年1月1日", "zh_CN", SH, NOW)
    assert REPEAT_EXAMPLES["zh_CN"] in t("zh_CN", caught.value.message, **caught.value.params)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_example_in_the_messages_parses(locale: str) -> None:
    for examples in (EXAMPLES[locale], REPEAT_EXAMPLES[locale]):
        for example in re.split(r", |、", examples):
            parse_when(example, locale, SH, NOW)


SPLITS = [
    (["tomorrow", "9am", "call", "Bob"], "2026-11-19 09:00", ["call", "Bob"]),
    (["tomorrow", "9am"], "2026-11-19 09:00", []),
    (["in", "2", "hours", "check", "the", "oven"], "2026-11-18 16:00", ["check", "the", "oven"]),
    (["friday", "the", "report"], "2026-11-20 09:00 date", ["the", "report"]),
    (["12/01", "14:30", "review"], "2026-12-01 14:30", ["review"]),
    (
        ["tomorrow", "9am", "about", "approval", "42"],
        "2026-11-19 09:00",
        ["about", "approval", "42"],
    ),
    (["tomorrow", "9am", "may", "I", "ask"], "2026-11-19 09:00", ["may", "I", "ask"]),
    (
        ["every", "monday", "9am", "standup"],
        "FREQ=WEEKLY;BYDAY=MO 09:00 -> 2026-11-23 09:00",
        ["standup"],
    ),
    (["明天上午9点", "给张总回电话"], "2026-11-19 09:00", ["给张总回电话"]),
    (["明天上午9点给张总回电话"], "2026-11-19 09:00", ["给张总回电话"]),
    (["明天", "上午9点", "给张总回电话"], "2026-11-19 09:00", ["给张总回电话"]),
    (["两小时后打电话"], "2026-11-18 16:00", ["打电话"]),
    (["下周一开会"], "2026-11-23 09:00 date", ["开会"]),
    (["明天上午9点半年度总结"], "2026-11-19 09:30", ["年度总结"]),
    (
        ["每周一上午9点提醒我交周报"],
        "FREQ=WEEKLY;BYDAY=MO 09:00 -> 2026-11-23 09:00",
        ["提醒我交周报"],
    ),
    (["12月1日", "9:30", "开会"], "2026-12-01 09:30", ["开会"]),
]


@pytest.mark.parametrize(("words", "expected", "rest"), SPLITS)
def test_split_when_takes_the_leading_time(
    words: list[str], expected: str, rest: list[str]
) -> None:
    when, after = split_when(words, "zh_CN", SH, NOW)
    assert (describe(when), after) == (expected, rest)


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["call", "Bob"], Problem.MISSING),
        (["给张总回电话"], Problem.MISSING),
        ([], Problem.UNREADABLE),
        (["今天上午9点给他打电话"], Problem.PAST),  # a time that passed is not shortened to 今天
    ],
)
def test_split_when_refuses_precisely(words: list[str], problem: Problem) -> None:
    with pytest.raises(UnparsableTime) as caught:
        split_when(words, "en", SH, NOW)
    assert caught.value.problem is problem
    assert t("zh_CN", caught.value.message, **caught.value.params) != caught.value.message

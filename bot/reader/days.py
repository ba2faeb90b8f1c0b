"""Days and ranges of days, from what a member typed, through the same readers as reminders.

``read_day("明天")``, ``read_day("Dec 21")``, ``read_days("明天到后天")``,
``read_days("Dec 21-23")``, ``read_days("下周一至周三")``, ``read_days("next Monday to
Wednesday")``. A day is a local calendar date in the member's zone, so "today" is today all
day long (a reminder's "today 9am" may have passed; a leave day cannot). A day that does not
exist ("Feb 30", "2月30日") is never moved to another: it is ``None``, and the caller asks again.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from bot.parsing import normalise
from bot.timewords import Delta, NotATime, Point, Roll, en, has_cjk, zh
from domain.shared.recurrence import zone

# "to" between two days: Chinese 到/至/~, English to/until/through/till, or a dash between them
_ZH_JOIN = re.compile(r"\s*(?:到|至|~|～|—|－|-|\.\.)\s*")
_EN_JOIN = re.compile(
    r"\s*(?:\.\.|~|–|—|\bto\b|\buntil\b|\btill\b|\bthrough\b|\bthru\b)\s*|\s*-\s*"
)
_BARE_DAY = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th|日|号)?$")
_ZH_BARE_DAY = re.compile(r"^(?P<d>[0-9零〇一二两三四五六七八九十]+)(?:日|号)$")
_WEEKDAY_ONLY_ZH = re.compile(r"^(?:周|星期|礼拜)(?P<w>[一二三四五六日天1-7])$")
PLAUSIBLE_YEARS = 10  # dateparser reads "Dec 21-23" as 2123-12-21: a day that far is a misreading
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def read_day(text: str, tz: str, now: datetime) -> date | None:
    """The local date ``text`` names, said at ``now`` by a member in ``tz``; None if none."""
    text = normalise(text)
    if not text or not _may_be_day(text):
        return None
    local_now = now.astimezone(zone(tz)).replace(tzinfo=None)
    try:
        reading = zh.read(text, local_now) if has_cjk(text) else en.read(text, local_now, tz)
    except NotATime:
        return None
    if isinstance(reading, Delta):
        if reading.seconds and not (reading.days or reading.months):
            return None  # "in 2 hours" is not a day
        moved: datetime = local_now + relativedelta(months=reading.months, days=reading.days)
        return moved.date()
    if isinstance(reading, Point):
        day = _on_or_after(reading, local_now.date())
        return day if abs(day.year - local_now.year) <= PLAUSIBLE_YEARS else None
    return None  # a repeat names many days


def read_days(text: str, tz: str, now: datetime) -> tuple[date, date] | None:
    """The first and last day of a range (``明天到后天``, ``Dec 21-23``), or of one day."""
    text = normalise(text)
    join = _ZH_JOIN if has_cjk(text) else _EN_JOIN
    for found in join.finditer(text):
        left, right = text[: found.start()], text[found.end() :]
        first = read_day(left, tz, now) if right else None
        last = _end_of_range(right, first, tz, now) if first else None
        if first and last and last >= first:
            return first, last
    single = read_day(text, tz, now)
    return (single, single) if single is not None else None


def _end_of_range(text: str, first: date, tz: str, now: datetime) -> date | None:
    """The second day of a range, read after the first: ``23`` in ``Dec 21-23`` is Dec 23,
    ``周三`` in ``下周一至周三`` and ``Wednesday`` in ``next Monday to Wednesday`` the first
    such day on or after the first day."""
    bare = _BARE_DAY.match(text) or _ZH_BARE_DAY.match(text)
    if bare:
        day = zh.number(bare["d"])
        if day is None:
            return None
        try:
            return first.replace(day=day) if day >= first.day else _next_month_day(first, day)
        except ValueError:
            return None
    weekday = _weekday(text)
    if weekday is not None:
        return first + timedelta(days=(weekday - first.weekday()) % 7)
    return read_day(text, tz, now)


def _weekday(text: str) -> int | None:
    found = _WEEKDAY_ONLY_ZH.match(text)
    if found:
        char = found["w"]
        return int(char) - 1 if char.isdigit() else _ZH_WEEKDAYS[char]
    return en.WEEKDAYS.get(text.lower().strip(" ,."))


def _next_month_day(first: date, day: int) -> date:
    start: date = first.replace(day=1) + relativedelta(months=1)
    return start.replace(day=day)


def _on_or_after(point: Point, today: date) -> date:
    """The day a point names; a weekday, a day of the month or a month and day without a year
    is the next one on or after today (today included)."""
    day = point.wall.date()
    if point.roll is Roll.WEEK and day < today:
        return day + timedelta(weeks=1 + (today - day).days // 7)
    if point.roll is Roll.MONTH and day < today:
        return _roll_months(day, today, 1)
    if point.roll is Roll.YEAR and day < today:
        return _roll_months(day, today, 12)
    return day


def _roll_months(day: date, today: date, step: int) -> date:
    moved = day
    for _ in range(48):
        if moved >= today:
            return moved
        candidate = day + relativedelta(months=step * (1 + (moved.year - day.year) * 12 // step))
        moved = candidate if candidate.day == day.day else moved + relativedelta(months=step)
    return moved


def _may_be_day(text: str) -> bool:
    """A look before the readers (dateparser reads "A4" as January 4th): Chinese, or English
    with a day word, a month, or a date written in numbers."""
    return has_cjk(text) or bool(_ENGLISH_DAY.search(text))


_ENGLISH_DAY = re.compile(
    r"\b(?:today|tomorrow|tmrw|yesterday|tonight|next|this|coming|in|ago|end|"
    r"mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\d{1,4}[-/.]\d{1,2}|\b\d{1,2}(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)

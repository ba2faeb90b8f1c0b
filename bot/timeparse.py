"""When something should happen, from what a member typed: ``parse_when`` and ``split_when``.

Text with any CJK character is read as Chinese (jionlp-time), anything else as English
(dateparser), always in the member's time zone. The result is a ``Moment`` (a UTC instant) or
a ``Recurrence``; anything else raises ``UnparsableTime``, never a guess.

Rules:

- A phrase that leaves out a larger unit means the next time that matches, strictly after now:
  "9am" said at 10:00 is tomorrow 09:00, "5pm" said at 14:00 is today 17:00, "friday 3pm" and
  "周五下午三点" are the coming Friday (today if it is Friday and 15:00 is still ahead), "the 20th"
  and "15号" this month or next, "Dec 1" and "12月1日" this year or next.
- A phrase that pins the day ("today 9am", "今天上午9点", "下周一", a date with a year) and has
  already passed is refused with a "has passed" message.
- Each language keeps its own "next": "next Friday" said on a Wednesday is the coming Friday
  (dateparser), "下周五" is the Friday of next week (jionlp-time). Numeric dates are month/day.
- A phrase with a day but no time of day ("tomorrow", "下周一", "3天后") is ``date_only`` and is
  placed at ``default_time`` (09:00 unless the caller says otherwise).
- Spans ("in 2 hours", "两小时后") in hours, minutes or seconds are real elapsed time, so they are
  exact across a DST change; spans in days, weeks or months move the local calendar date and
  are date-only ("in 3 days" -> 09:00 local three days on).
- A part of the day without a clock is at its usual hour, which the answer shows: morning
  (早上, 上午, 明早) 09:00, noon (中午) 12:00, afternoon (下午) 15:00, evening 19:00 (傍晚
  18:00), night and tonight (晚上, 今晚) 20:00. "End of the month" (月底, 下月底) is its last
  day. Weeks, months and years alone are refused as not precise enough. A bare hour is on the
  24-hour clock ("at 9", "三点" = 03:00).
- A time followed by words saying it repeats ("on the 3rd of every other month …") is either
  read as a repeat or refused; it is never cut down to a one-off.
- Local wall times are placed with ``domain.shared.recurrence.local_to_utc``: a time that does
  not exist on a spring-forward day moves forward by the gap, one that exists twice is the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from bot.i18n import _, normalise_locale
from bot.parsing import ArgumentError, normalise
from bot.timewords import Delta, NotATime, Point, Problem, Reading, Repeat, Roll, en, has_cjk, zh
from domain.shared.recurrence import Recurrence, local_to_utc, zone

DEFAULT_TIME = time(9, 0)
EXAMPLES = {
    "en": "tomorrow 9am, friday 3pm, in 2 hours, Dec 1 9:30, every Monday 9am",
    "zh_CN": "明天下午3点、周五下午三点、两小时后、12月1日 9:30、每周一上午9点",
}
REPEAT_EXAMPLES = {
    "en": "every day at 8:30, every weekday 9am, every Thursday 10:00, every month on the 1st",
    "zh_CN": "每天早上8点半、工作日9点、每周四上午10点、每月1号",
}
_MESSAGES = {
    Problem.UNREADABLE: _('I can\'t read "{text}" as a time. For example: {examples}'),
    Problem.VAGUE: _(
        '"{text}" is not precise enough: give a day and a time, for example: {examples}'
    ),
    Problem.REPEAT: _(
        'I can\'t repeat "{text}". Repeats are daily, on weekdays, weekly on given days or '
        "monthly on a given day, for example: {examples}"
    ),
    Problem.PAST: _(
        '"{text}" ({when}) has already passed. Give a time ahead, for example: {examples}'
    ),
    Problem.MISSING: _(
        'I can\'t find when in "{text}". Start with the time, for example: {examples}'
    ),
}
_EMPTY = _("Say when, for example: {examples}")


@dataclass(frozen=True, slots=True)
class Moment:
    """One instant (UTC); ``date_only`` when the phrase named a day but no time of day."""

    at: datetime
    date_only: bool = False


When = Moment | Recurrence


class UnparsableTime(ArgumentError):
    """A phrase gives no usable time; the message, with examples, is in the reader's language."""

    def __init__(self, problem: Problem, text: str, locale: str, when: str = "") -> None:
        lang = normalise_locale(locale)
        params = {"examples": (REPEAT_EXAMPLES if problem is Problem.REPEAT else EXAMPLES)[lang]}
        if text:
            params["text"] = text
        if when:
            params["when"] = when
        super().__init__(_MESSAGES[problem] if text else _EMPTY, **params)
        self.problem = problem
        self.text = text


def parse_when(
    text: str, locale: str, tz: str, now: datetime, *, default_time: time = DEFAULT_TIME
) -> When:
    """The moment or recurrence ``text`` means, said at ``now`` by a member in ``tz``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local_now = now.astimezone(zone(tz)).replace(tzinfo=None)
    text = normalise(text)
    if not text:
        raise UnparsableTime(Problem.UNREADABLE, "", locale)
    try:
        reading = zh.read(text, local_now) if has_cjk(text) else en.read(text, local_now, tz)
        return _place(reading, tz, now, local_now, default_time)
    except NotATime as exc:
        raise UnparsableTime(exc.problem, text, locale, exc.when) from exc


def split_when(
    words: list[str],
    locale: str,
    tz: str,
    now: datetime,
    *,
    default_time: time = DEFAULT_TIME,
) -> tuple[When, list[str]]:
    """The time at the start of ``words`` and the words after it.

    The longest leading run that reads as a time wins (``["tomorrow", "9am", "call", "Bob"]``,
    ``["明天上午9点给张总回电话"]`` -> ``["给张总回电话"]``). A run that is clearly a time but
    not a usable one (passed, vague) is reported as such rather than shortened.
    """
    words = [word for word in map(normalise, words) if word]
    if not words:
        raise UnparsableTime(Problem.UNREADABLE, "", locale)
    leading = zh.leading_phrases if has_cjk(words[0]) else en.leading_phrases
    for phrase, rest in leading(words):
        try:
            when = parse_when(phrase, locale, tz, now, default_time=default_time)
        except UnparsableTime as exc:
            if exc.problem is not Problem.UNREADABLE:
                raise
            continue
        if _repeat_follows(rest):  # "on the 3rd of every other month": never a one-off
            raise UnparsableTime(Problem.REPEAT, " ".join(words), locale)
        return when, rest
    raise UnparsableTime(Problem.MISSING, " ".join(words), locale)


_REPEAT_WORDS = re.compile(r"^(?:of\s+)?(?:every|each|daily|weekly|monthly|yearly)\b|^每", re.I)


def _repeat_follows(rest: list[str]) -> bool:
    """Whether the words after a time say it repeats (a repeat the readers could not read)."""
    return bool(rest) and bool(_REPEAT_WORDS.match(" ".join(rest[:3])))


def _place(reading: Reading, tz: str, now: datetime, local_now: datetime, at: time) -> When:
    if isinstance(reading, Repeat):
        return _recurrence(reading, tz, now, local_now, at)
    if isinstance(reading, Point):
        return _next_match(reading, tz, now, at)
    moment = _shift(reading, tz, now, local_now, at)
    if moment.at <= now:
        raise NotATime(Problem.PAST, _local(moment.at, tz))
    return moment


def _recurrence(
    repeat: Repeat, tz: str, now: datetime, local_now: datetime, at: time
) -> Recurrence:
    """The repeat, starting on the day of its first occurrence after ``now``.

    Starting there keeps DTSTART an occurrence (RFC 5545) and makes "every other Monday" said on
    a Wednesday begin next Monday, not the Monday after.
    """
    each = Recurrence(
        frequency=repeat.frequency,
        at=at if repeat.at is None else repeat.at,
        tz=tz,
        start=local_now.date(),
        weekdays=repeat.weekdays,
        monthday=repeat.monthday,
    )
    first = each.next_after(now).astimezone(zone(tz)).date()
    return replace(each, start=first, interval=repeat.interval)


def _shift(delta: Delta, tz: str, now: datetime, local_now: datetime, at: time) -> Moment:
    """Calendar months and days on the local wall clock, then real seconds."""
    try:
        if not (delta.months or delta.days):
            return Moment(now.astimezone(UTC) + timedelta(seconds=delta.seconds))
        wall = local_now + relativedelta(months=delta.months, days=delta.days)
        if not delta.seconds:
            return Moment(local_to_utc(datetime.combine(wall.date(), at), tz), date_only=True)
        return Moment(local_to_utc(wall, tz) + timedelta(seconds=delta.seconds))
    except (OverflowError, ValueError) as exc:
        raise NotATime(Problem.UNREADABLE) from exc


def _next_match(point: Point, tz: str, now: datetime, at: time) -> Moment:
    """The point, moved by whole units it left open to the first match after ``now``."""
    wall = datetime.combine(point.wall.date(), at) if point.date_only else point.wall
    step = _STEPS.get(point.roll)
    candidates = [wall] if step is None else [step(wall, k) for k in range(-2, 3)]
    for candidate in candidates:
        if candidate is not None and local_to_utc(candidate, tz) > now:
            return Moment(local_to_utc(candidate, tz), point.date_only)
    raise NotATime(Problem.PAST, f"{wall:%Y-%m-%d %H:%M}")


def _months(wall: datetime, count: int) -> datetime | None:
    moved = wall + relativedelta(months=count)
    return moved if moved.day == wall.day else None  # the 31st does not exist in every month


_STEPS: dict[Roll, Callable[[datetime, int], datetime | None]] = {
    Roll.DAY: lambda wall, k: wall + timedelta(days=k),
    Roll.WEEK: lambda wall, k: wall + timedelta(weeks=k),
    Roll.MONTH: _months,
    Roll.YEAR: lambda wall, k: _months(wall, 12 * k),
}


def _local(moment: datetime, tz: str) -> str:
    return f"{moment.astimezone(zone(tz)):%Y-%m-%d %H:%M}"

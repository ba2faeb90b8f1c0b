"""Reading a /meeting line: title, when, duration, attendees, place, alarm and notes.

    /meeting TITLE WHEN [for DURATION] [with @a @b …] [at PLACE] [alarm=30m] [notes="…"]
    /会议 标题 时间 [持续 时长] [和 @a @b …] [在 地点] [提醒=30分钟] [备注=…]

- The title comes first, then the time: the time is the first run of words (or, in Chinese,
  characters) after the title that reads as a time and is followed by nothing, or by ``at PLACE``.
  If no such run exists, a time at the very start followed by the title is accepted too. A
  time that has passed ("today 9am" at 10:00) is refused, never read as a shorter one ("9am");
  a line that is all time has no title and is refused. Quote a title that contains time
  words: ``"Q4 plan 2" tomorrow 3pm``.
- After the time come the clauses, in any order: ``for 90m`` / ``for 1h30`` / ``for 1 hour`` /
  ``持续1小时`` / ``持续 一个半小时`` (default 1 hour); the attendees, ``@a @b`` (``with`` / ``和``
  and separators are optional); the place, ``at Room 5`` / ``在 3号会议室`` (the words up to the
  next clause).
- Options anywhere: ``alarm=30m`` (``alarm=off`` for none; default 15 minutes before) and
  ``notes="…"`` (``提醒=``, ``备注=``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import _
from bot.parsing import ArgumentError, normalise
from bot.timeparse import Moment, UnparsableTime, When, split_when
from bot.timewords import Problem, has_cjk

WITH_WORDS = frozenset({"with", "invite", "和", "与", "跟", "邀请", "同"})
AND_WORDS = frozenset({"and", "&", ",", "，", "、", "及", "和", ";", "；"})
FOR_WORDS = ("for", "持续", "时长", "历时")
AT_WORDS = ("at", "在", "地点", "地点在", "位置")
OPTION_KEYS = {
    "alarm": "alarm",
    "提醒": "alarm",
    "闹钟": "alarm",
    "notes": "notes",
    "note": "notes",
    "备注": "notes",
}
NO_ALARM = frozenset({"off", "none", "no", "无", "不", "不提醒", "关", "关闭"})
_OPTION = re.compile(r"^([^=:]+)[=:](.*)$")
MENTION = re.compile(r"@([A-Za-z0-9_.\-]+)")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGITS |= {"八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十]+")
_DURATIONS = (
    re.compile(
        r"^(?P<h>\d+(?:\.\d+)?)(?:h|hr|hrs|hour|hours)(?:(?P<m>\d+)(?:m|min|mins|minutes?)?)?$"
    ),
    re.compile(r"^(?P<m>\d+)(?:m|min|mins|minutes?)$"),
    re.compile(r"^(?P<h>\d+):(?P<m>\d{2})$"),
    re.compile(r"^(?P<h>\d+(?:\.\d+)?)个?(?P<half>半)?(?:小时|钟头)(?:(?P<m>\d+)分钟?)?$"),
    re.compile(r"^(?P<half>半)个?(?:小时|钟头)$"),
    re.compile(r"^(?P<m>\d+)分钟$"),
)
NO_TIME = _(
    "I can't find when the meeting is. Write the title, then when, for example: "
    '/meeting "Budget review" tomorrow 3pm for 1h with @bob at Room 5'
)
NO_TITLE = _("Give the meeting a title before the time, for example: /meeting Standup tomorrow 9am")
DATE_ONLY = _("Say at what time the meeting starts, for example: tomorrow 3pm")
LEFTOVER = _(
    'I don\'t understand "{words}". After the time come only "for DURATION", the @attendees '
    'and "at PLACE".'
)
PLACE_TWICE = _("Give the place only once.")
BAD_ALARM = _('I can\'t read the alarm "{text}". For example: alarm=30m, alarm=1h, alarm=off')


@dataclass(frozen=True, slots=True)
class MeetingText:
    """What a /meeting line says; ``duration`` and ``alarm_minutes`` are None when not given."""

    title: str
    when: When
    duration: timedelta | None
    handles: tuple[str, ...]  # @handles, and names after "with" (resolved by the command)
    place: str
    notes: str
    alarm_given: bool
    alarm_minutes: int | None


def read_meeting(words: list[str], locale: str, tz: str, now: datetime) -> MeetingText:
    """Read the words after ``/meeting``; raise ArgumentError or UnparsableTime on a problem."""
    words = [w for w in map(normalise, words) if w]
    options, words = _options(words)
    first = _first_clause(words)
    title, when, head_place, tail = _title_and_when(words[:first], locale, tz, now)
    handles, duration, place = _clauses(tail + words[first:])
    if head_place and place:
        raise ArgumentError(PLACE_TWICE)
    if isinstance(when, Moment) and when.date_only:
        raise ArgumentError(DATE_ONLY)
    alarm = options.get("alarm")
    return MeetingText(
        title=title,
        when=when,
        duration=duration,
        handles=tuple(dict.fromkeys(handles)),
        place=head_place or place,
        notes=options.get("notes", ""),
        alarm_given=alarm is not None,
        alarm_minutes=read_alarm(alarm) if alarm is not None else None,
    )


def read_duration(text: str) -> timedelta | None:
    """``90m``, ``1h30``, ``1.5 hours``, ``1:30``, ``一个半小时``, ``90分钟``; None otherwise."""
    compact = _arabic(re.sub(r"\s+", "", text.lower()).strip(".,;。，"))
    for pattern in _DURATIONS:
        found = pattern.match(compact)
        if found is None:
            continue
        parts = found.groupdict()
        hours = float(parts.get("h") or 0) + (0.5 if parts.get("half") else 0)
        minutes = int(parts.get("m") or 0)
        span = timedelta(hours=hours, minutes=minutes)
        return span if span > timedelta(0) else None
    return None


def read_alarm(text: str) -> int | None:
    """Minutes before the meeting for ``alarm=…``; None for ``off``."""
    word = text.strip().lower()
    if word in NO_ALARM:
        return None
    if word == "0":
        return 0
    span = read_duration(word)
    if span is None:
        raise ArgumentError(BAD_ALARM, text=text)
    return int(span.total_seconds() // 60)


def _arabic(text: str) -> str:
    """Chinese numerals up to 99 as digits (``一个半`` -> ``1个半``, ``四十五`` -> ``45``)."""

    def value(match: re.Match[str]) -> str:
        chars = match.group(0)
        if "十" not in chars:
            return "".join(str(_CN_DIGITS[c]) for c in chars if c in _CN_DIGITS)
        tens, _sep, ones = chars.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return chars
        return str(_CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0))

    return _CN_NUMBER.sub(value, text)


def _options(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """``alarm=30m`` and ``notes=…`` taken out of the words."""
    options: dict[str, str] = {}
    rest: list[str] = []
    for word in words:
        found = _OPTION.match(word)
        name = OPTION_KEYS.get(found[1].lower()) if found else None
        if found is None or name is None:
            rest.append(word)
        else:
            options[name] = found[2]
    return options, rest


def _duration_at(words: list[str], i: int) -> tuple[timedelta, int] | None:
    """A ``for DURATION`` clause starting at word ``i``: the span and how many words it uses."""
    word = words[i].lower()
    for marker in FOR_WORDS:
        if word == marker:
            head, start = "", i + 1
        elif has_cjk(marker) and word.startswith(marker):
            head, start = word[len(marker) :], i + 1
        else:
            continue
        for count in range(min(4, len(words) - start), -1, -1):
            text = head + "".join(words[start : start + count])
            span = read_duration(text) if text else None
            if span is not None:
                return span, start + count - i
    return None


def mentions(word: str) -> list[str] | None:
    """The handles a word names (``@bob``, ``和@bob、@carol``), or None if it is no mention."""
    found = MENTION.findall(word)
    if not found:
        return None
    leftover = re.split(r"[\s,，、;；。]+", MENTION.sub(" ", word))
    if any(w and w.lower() not in WITH_WORDS | AND_WORDS for w in leftover):
        return None
    return [handle.rstrip(".").lower() for handle in found]


def _starts_attendees(words: list[str], i: int) -> bool:
    return (
        words[i].lower() in WITH_WORDS and i + 1 < len(words) and mentions(words[i + 1]) is not None
    )


def _first_clause(words: list[str]) -> int:
    """Where the clauses after the title and time begin (duration or attendees)."""
    for i in range(len(words)):
        if (
            mentions(words[i]) is not None
            or _starts_attendees(words, i)
            or _duration_at(words, i) is not None
        ):
            return i
    return len(words)


def _clauses(words: list[str]) -> tuple[list[str], timedelta | None, str]:
    """Attendees (``@handles``, and names right after ``with`` or ``and``), duration, place."""
    handles: list[str] = []
    duration: timedelta | None = None
    place: list[str] = []
    in_place = False
    attendees = False  # after "with" or an @mention, until another clause
    name_next = False  # a plain word here is an attendee's name ("with Bob", "and Carol")
    i = 0
    while i < len(words):
        span = _duration_at(words, i)
        named = mentions(words[i])
        lower = words[i].lower()
        glued = _place_word(words[i])
        if span is not None:
            duration, i, in_place, attendees, name_next = span[0], i + span[1], False, False, False
            continue
        if named is not None:
            handles += named
            in_place, attendees, name_next = False, True, False
        elif lower in WITH_WORDS and not in_place:
            attendees = name_next = True
        elif in_place:
            place.append(words[i])
        elif lower in AND_WORDS:
            name_next = attendees
        elif glued is not None:
            place += [glued] if glued else []
            in_place, attendees, name_next = True, False, False
        elif name_next:
            handles.append(words[i])
            name_next = False
        else:
            raise ArgumentError(LEFTOVER, words=" ".join(words[i:]))
        i += 1
    return handles, duration, " ".join(place)


def _place_word(word: str) -> str | None:
    """``at`` -> "" (the place follows), ``在3号会议室`` -> ``3号会议室``, anything else None."""
    lower = word.lower()
    if lower in AT_WORDS:
        return ""
    for marker in sorted(AT_WORDS, key=len, reverse=True):
        if has_cjk(marker) and lower.startswith(marker):
            return word[len(marker) :]
    return None


def _place_after(rest: list[str]) -> str | None:
    """The place in the words after a time (``at Room 5``); "" for none, None if not a place."""
    if not rest:
        return ""
    glued = _place_word(rest[0])
    if glued is None:
        return None
    place = " ".join([glued, *rest[1:]] if glued else rest[1:])
    return place or None


def _splits(words: list[str]) -> Iterator[tuple[list[str], list[str]]]:
    """Every way to cut ``words`` into a non-empty title and a time, left to right (inside
    Chinese words too, where the time often follows the title without a space; never inside a
    number or date: ``2月30日`` is not ``2月3`` and ``0日``)."""
    for i, word in enumerate(words):
        if has_cjk(word):
            for k in range(1, len(word)):
                if not _inside_number(word, k):
                    yield [*words[:i], word[:k]], [word[k:], *words[i + 1 :]]
        if i + 1 < len(words):
            yield words[: i + 1], words[i + 1 :]


def _title_and_when(
    words: list[str], locale: str, tz: str, now: datetime
) -> tuple[str, When, str, list[str]]:
    """The title, the time, a place given right after the time, and clause words after it
    (``with Bob``)."""
    if not words:
        raise ArgumentError(NO_TIME)
    leading = _leading_time(words, locale, tz, now)
    if leading is not None and not leading[1]:
        raise ArgumentError(NO_TITLE)  # it is all time
    problem: UnparsableTime | None = None
    for title, rest in _splits(words):
        try:
            when, after = split_when(rest, locale, tz, now)
        except UnparsableTime as exc:
            if exc.problem is Problem.PAST:
                raise  # a time was meant, and it has passed: never read a shorter one instead
            problem = problem or (exc if exc.problem not in _NOT_A_TIME else None)
            continue
        _refuse_a_cut_date(title, rest, locale)
        if after and after[0].lower() in WITH_WORDS:
            return " ".join(title), when, "", after
        place = _place_after(after)
        if place is not None:
            return " ".join(title), when, place, []
    if leading is not None and _place_word(leading[1][0]) is None:
        return " ".join(leading[1]), leading[0], "", []  # the time first, then the title
    raise problem or ArgumentError(NO_TIME)


_MONTH_NAME = re.compile(
    r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?$", re.IGNORECASE
)


_DATE_AT_END = re.compile(
    r"(?:\d{1,4}年)?\d{1,2}月\d{1,2}[日号]?$|\d{4}-\d{1,2}-\d{1,2}$|\d{1,2}/\d{1,2}$"
)


def _refuse_a_cut_date(title: list[str], rest: list[str], locale: str) -> None:
    """A date that does not exist is not left in the title while a shorter time is taken:
    "X Feb 30 3pm" is not the 30th at 3pm, "评审 2月30日下午3点" not today 15:00. Refused."""
    if not title or not rest:
        return
    if _MONTH_NAME.match(title[-1]) and rest[0][:1].isdecimal():
        raise UnparsableTime(Problem.UNREADABLE, " ".join([title[-1], *rest]), locale)
    dated = _DATE_AT_END.search(title[-1])
    if dated:
        raise UnparsableTime(Problem.UNREADABLE, "".join([dated[0], *rest]), locale)


def _inside_number(word: str, cut: int) -> bool:
    """Whether cutting ``word`` before ``cut`` splits a number or a date apart."""
    left, right = word[cut - 1], word[cut]
    numeral = "0123456789零〇一二两三四五六七八九十"
    return (left in numeral and (right in numeral or right in "年月日号点时分")) or (
        left in "年月" and right in numeral
    )


def _leading_time(
    words: list[str], locale: str, tz: str, now: datetime
) -> tuple[When, list[str]] | None:
    """A time at the very start of the words, if any (a passed one is an error)."""
    try:
        return split_when(words, locale, tz, now)
    except UnparsableTime as exc:
        if exc.problem is Problem.PAST:
            raise
        return None


_NOT_A_TIME = (Problem.UNREADABLE, Problem.MISSING)

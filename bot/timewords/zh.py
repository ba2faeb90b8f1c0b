"""Chinese time phrases: jionlp-time for dates and times, a small grammar for repeats.

jionlp-time's ``time_base`` is given as a naive local datetime, never as a Unix timestamp (it
would render that in the process's time zone), so results do not depend on ``TZ``. Its parser
object keeps per-call state, so calls are serialised. Repeats (``每周一上午9点``, ``工作日9点``,
``每月1号``) are read here: jionlp-time returns them as one example occurrence and a delta,
drops all but the first of ``每周一三五`` and fails on ``每个工作日``.
"""

from __future__ import annotations

import calendar
import re
import threading
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

from jionlp_time import TimeParser

from bot.timewords import Delta, NotATime, Point, Problem, Reading, Repeat, Roll
from domain.shared.recurrence import Frequency

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}
_DAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_NUM = r"[0-9零〇一二两三四五六七八九十]+"
_WEEK = r"(?:周|星期|礼拜)"
_SPELLING = (
    ("明早", "明天早上"),
    ("今早", "今天早上"),
    ("明晚", "明天晚上"),
    ("今晚", "今天晚上"),
    ("明儿", "明天"),
    ("今儿", "今天"),
)
# A part of the day without a clock means its usual hour (shown on the answer, never hidden):
# 早上/上午 9:00, 中午 12:00, 下午 15:00, 傍晚 18:00, 晚上 20:00.
_USUAL_HOURS = (
    ("早上", "早上9点"),
    ("早晨", "早晨9点"),
    ("上午", "上午9点"),
    ("中午", "中午12点"),
    ("下午", "下午3点"),
    ("傍晚", "傍晚6点"),
    ("晚上", "晚上8点"),
)
_HAS_CLOCK = re.compile(r"[0-9零〇一二两三四五六七八九十]\s*[点时:：]")
_MONTH_END = re.compile(r"(下个?|本|这个?)?月(?:底|末)")
_WORKDAYS = re.compile(rf"^(?:每个?工作日|工作日(?:每天)?|每?{_WEEK}一[至到~-]{_WEEK}?五(?:每天)?)")
_DAILY = re.compile(rf"^(?:每天|每日|天天|每一天|每(?P<n>{_NUM})天)")
_WEEKLY = re.compile(rf"^每(?:(?P<n>{_NUM})个?|个)?{_WEEK}")
_MONTHLY = re.compile(rf"^每(?:(?P<n>{_NUM})个?|个)?月(?P<d>{_NUM})(?:号|日)")
_SPAN_SUFFIX = re.compile(r"^(?P<span>.+?)(?:以后|之后|后)$")
_PART_OF_DAY = re.compile(r"早|晚|午|凌晨|夜|傍")
_ANCHOR = re.compile(rf"今|明|昨|前天|后天|[上下本这]个?(?:{_WEEK}|月)|年|后|前|过")
_HAS_WEEKDAY = re.compile(rf"{_WEEK}[一二三四五六日天1-7]")
_HAS_MONTH_DAY = re.compile(rf"{_NUM}月{_NUM}(?:号|日)")
_HAS_DAY = re.compile(rf"{_NUM}(?:号|日)")
_DAY_ITEM = re.compile(
    rf"(?P<sep>[、,，和及与]|[至到~-])?(?P<week>{_WEEK})?(?P<day>[一二三四五六日天1-7])"
)
# jionlp-time gives a time as the range it covers: "9点" is 09:00:00-09:59:59, "明天" a whole day.
_WHOLE_HOUR = timedelta(minutes=59, seconds=59)
_WHOLE_DAY = timedelta(hours=23, minutes=59, seconds=59)
_lock = threading.Lock()


@cache
def _parser() -> TimeParser:
    return TimeParser()


def tidy(text: str) -> str:
    """Drop spaces next to Chinese characters and spell out contractions jionlp-time misreads."""
    text = re.sub(r"\s*([^\x00-\x7f])\s*", r"\1", text.strip())
    for short, full in _SPELLING:
        text = text.replace(short, full)
    return text


def read(text: str, now: datetime) -> Reading:
    """Read a normalised Chinese phrase said at ``now`` (naive local time)."""
    text = _usual_hours(_month_end(tidy(text), now))
    if "每" in text or _WORKDAYS.match(text):
        return read_repeat(text, now)
    span = _SPAN_SUFFIX.match(text)
    if span:
        delta = _delta(span["span"], now)
        if delta is not None:
            return delta
    return _point(text, now)


def _usual_hours(text: str) -> str:
    """``周五中午`` as ``周五中午12点``: a part of the day without a clock, at its usual hour."""
    if _HAS_CLOCK.search(text):
        return text
    for part, clock in _USUAL_HOURS:
        if text.endswith(part):
            return text[: -len(part)] + clock
    return text


def _month_end(text: str, now: datetime) -> str:
    """``月底`` as the last day of this month (``下月底``: of next month), as ``12月31日``."""
    found = _MONTH_END.search(text)
    if not found:
        return text
    month = now.month + (1 if found[1] and found[1].startswith("下") else 0)
    year = now.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return text[: found.start()] + f"{year}年{month}月{last}日" + text[found.end() :]


def number(text: str) -> int | None:
    """A small number in digits or Chinese numerals (``15``, ``十五``, ``两``, ``三十一``)."""
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return _DIGITS.get(text) if len(text) == 1 else None
    high = 1 if tens == "" else _DIGITS.get(tens) if len(tens) == 1 else None
    low = 0 if units == "" else _DIGITS.get(units) if len(units) == 1 else None
    return None if high is None or low is None else high * 10 + low


def read_repeat(text: str, now: datetime) -> Repeat:
    """``每天早上8点半``, ``工作日9点``, ``每周一三五上午9点``, ``每两周周一``, ``每月1号``."""
    if found := _WORKDAYS.match(text):
        return Repeat(Frequency.WEEKDAYS, _clock(text[found.end() :], now))
    if found := _DAILY.match(text):
        interval = _count(found["n"])
        return Repeat(Frequency.DAILY, _clock(text[found.end() :], now), interval)
    if found := _MONTHLY.match(text):
        day = number(found["d"])
        if day is None or not 1 <= day <= 31:
            raise NotATime(Problem.REPEAT)
        at = _clock(text[found.end() :], now)
        return Repeat(Frequency.MONTHLY, at, _count(found["n"]), monthday=day)
    if found := _WEEKLY.match(text):
        days, rest = _weekdays(text[found.end() :])
        if days:
            return Repeat(Frequency.WEEKLY, _clock(rest, now), _count(found["n"]), days)
    raise NotATime(Problem.REPEAT)


def _count(text: str | None) -> int:
    count = 1 if text is None else number(text)
    if count is None or count < 1:
        raise NotATime(Problem.REPEAT)
    return count


def _weekdays(text: str) -> tuple[tuple[int, ...], str]:
    """The weekdays at the start of ``一三五上午9点`` / ``周一、周四`` / ``一至五``; the rest."""
    days: list[int] = []
    pos = 0
    while found := _DAY_ITEM.match(text, pos):
        char = found["day"]
        if char.isdigit() and not found["week"]:
            break  # "每周五5点": the 5 is the hour
        day = int(char) - 1 if char.isdigit() else _DAY_CHARS[char]
        if found["sep"] in ("至", "到", "~", "-") and days and days[-1] < day:
            days.extend(range(days[-1] + 1, day))
        days.append(day)
        pos = found.end()
    return tuple(sorted(set(days))), text[pos:]


def _clock(text: str, now: datetime) -> time | None:
    """The time of day of a repeat (``上午9点``, ``8点半``, ``9:30``); None if none was given."""
    if not text:
        return None
    result = _jionlp(text, now)
    if result["type"] != "time_point" or result["definition"] != "accurate":
        raise NotATime(Problem.VAGUE if result["type"] == "time_point" else Problem.REPEAT)
    start, end = _range(result)
    if start.date() != now.date() or end - start > _WHOLE_HOUR:
        raise NotATime(Problem.VAGUE)
    return start.time()


def _delta(text: str, now: datetime) -> Delta | None:
    """``两小时`` / ``30分钟`` / ``3天`` / ``一个月`` as a span, or None if it is not one."""
    try:
        result = _jionlp(text, now)
    except NotATime:
        return None
    if result["type"] != "time_delta":
        return None
    spans: dict[str, float] = result["time"]
    months = spans.get("year", 0) * 12 + spans.get("month", 0)
    days = spans.get("day", 0) + spans.get("week", 0) * 7
    seconds = spans.get("hour", 0) * 3600 + spans.get("minute", 0) * 60 + spans.get("second", 0)
    if not float(months).is_integer():
        raise NotATime(Problem.UNREADABLE)
    whole = int(days)
    return Delta(int(months), whole, seconds + (days - whole) * 86400)


def _point(text: str, now: datetime) -> Point:
    result = _jionlp(text, now)
    if result["type"] == "time_span":
        raise NotATime(Problem.VAGUE)  # "明年的某个时候", "下周一到周三"
    if result["type"] != "time_point":
        raise NotATime(Problem.UNREADABLE)  # a bare duration ("两小时") is not a time
    if result["definition"] != "accurate":
        raise NotATime(Problem.VAGUE)  # "下午", "下周", "明天上午"
    start, end = _range(result)
    whole_day = start.time() == time() and end - start == _WHOLE_DAY
    if whole_day and not _PART_OF_DAY.search(text):
        return Point(start, date_only=True, roll=_roll(text))
    if end - start > _WHOLE_HOUR:
        raise NotATime(Problem.VAGUE)  # "今晚" alone comes back as the whole day
    return Point(start, roll=_roll(text))


def _roll(text: str) -> Roll:
    if _ANCHOR.search(text):
        return Roll.NONE
    if _HAS_MONTH_DAY.search(text):
        return Roll.YEAR
    if _HAS_WEEKDAY.search(text):
        return Roll.WEEK
    if _HAS_DAY.search(text):
        return Roll.MONTH
    if re.search(r"[点时:]", text):
        return Roll.DAY
    return Roll.NONE


def _range(result: dict[str, Any]) -> tuple[datetime, datetime]:
    start, end = result["time"]
    if not isinstance(start, str) or not isinstance(end, str):
        raise NotATime(Problem.VAGUE)  # open-ended, e.g. "三个小时以后" -> [start, "inf"]
    try:
        return datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError as exc:
        raise NotATime(Problem.VAGUE) from exc


def _jionlp(text: str, now: datetime) -> dict[str, Any]:
    """jionlp-time's reading of the whole of ``text`` (strict: no words around the time)."""
    base = now.replace(microsecond=0)
    try:
        with _lock:
            result: dict[str, Any] = _parser()(text, time_base=base, strict=True)
    except Exception as exc:  # it raises ValueError, TypeError, AttributeError, IndexError…
        raise NotATime(Problem.UNREADABLE) from exc
    return result


# Characters a Chinese time phrase is made of; a command's leading run of them holds its time.
_TIME_CHARS = set(
    "0123456789:.：零〇一二两三四五六七八九十百半刻点时分秒钟整头早晚上下中午凌晨傍夜"
)
_TIME_CHARS |= set("今明后前昨大天日号月年周星期礼拜每个工作隔以之内过至到和、，,及与儿小底末 ")


def leading_phrases(words: list[str]) -> list[tuple[str, list[str]]]:
    """Candidate time phrases at the start of ``words``, longest first, with the words after.

    Chinese often runs the time into the message (``明天上午9点给张总回电话``), so candidates
    end at any character of the leading run of time characters, not only at spaces.
    """
    joined = " ".join(words)
    run = 0
    while run < len(joined) and joined[run] in _TIME_CHARS:
        run += 1
    return [
        (joined[:n].strip(), _rest(words, n))
        for n in range(run, 0, -1)
        if joined[n - 1] != " " and not _inside_number(joined, n)
    ]


def _inside_number(text: str, cut: int) -> bool:
    """Whether ending a phrase before ``cut`` splits a number apart (``2月3`` of ``2月30日``)."""
    if cut >= len(text):
        return False
    digits = "0123456789零〇一二两三四五六七八九十"
    return text[cut - 1] in digits and text[cut] in digits


def _rest(words: list[str], cut: int) -> list[str]:
    """The words after the first ``cut`` characters of ``" ".join(words)``."""
    pos = 0
    for i, word in enumerate(words):
        if cut <= pos:
            return words[i:]
        if cut < pos + len(word):
            return [word[cut - pos :], *words[i + 1 :]]
        pos += len(word) + 1
    return []

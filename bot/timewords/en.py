"""English time phrases: dateparser for dates, small grammars for clocks, spans and repeats.

dateparser reads anchored phrases ("tomorrow 9am", "friday 3pm", "Dec 1 9:30", "12/01 14:30",
month/day order). Three shapes are read here instead, because dateparser gets them wrong or
not at all: a bare time of day (with ``TIMEZONE`` set it moves "5pm" said at 14:00 to
tomorrow), spans from now ("in 2 hours" must be real hours across a DST change) and repeats
("every Thursday 10:00"). A bare hour is on the 24-hour clock: "at 9" is 09:00.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time
from typing import Any

from dateparser.date import DateDataParser

from bot.timewords import Delta, NotATime, Point, Problem, Reading, Repeat, Roll
from domain.shared.recurrence import Frequency

# fmt: off
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60,
    "ninety": 90,
}
WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
_UNITS = {
    "s": "second", "sec": "second", "secs": "second", "second": "second", "seconds": "second",
    "m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
    "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
    "d": "day", "day": "day", "days": "day", "w": "week", "wk": "week", "wks": "week",
    "week": "week", "weeks": "week", "mo": "month", "month": "month", "months": "month",
}
# fmt: on
_WORD_NUMBERS = "|".join(sorted(NUMBERS, key=len, reverse=True))
_NUMBER = rf"(?:(?<![\d.])\d+(?:\.\d+)?|\b(?:{_WORD_NUMBERS})\b)"
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_PART = re.compile(rf"(?P<q>{_NUMBER})\s*(?P<u>{_UNIT})(?![a-z])")
_ANY_PART = rf"(?:{_NUMBER})\s*(?:{_UNIT})(?![a-z])"
_SPAN = re.compile(rf"^{_ANY_PART}(?:\s*(?:,|and)?\s*{_ANY_PART})*$")
_RELATIVE = re.compile(r"^in\s+(?P<a>.+)$|^(?P<b>.+?)\s+(?:from\s+now|later)$")
_HALVES = (
    (re.compile(r"\b(?:half an?|a half) hour\b"), "30 minutes"),
    (re.compile(r"\ban hour and a half\b"), "90 minutes"),
    (re.compile(r"\b(\d+) and a half hours?\b"), r"\1.5 hours"),
)
_CLOCK = re.compile(
    r"^(?P<at>at\s+)?(?:(?P<noon>noon|midday)|(?P<midnight>midnight)"
    r"|(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?:(?P<ampm>[ap])\.?m\.?)?)$"
)
_ORDINAL_DAY = re.compile(
    r"^(?:on\s+)?(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)(?:\s+(?P<clock>.+))?$"
)
# Numeric dates are read here: dateparser turns "2/30" into 2028-11-02 and "13/13" into 2111.
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?:\s+(?P<clock>.+))?$"
)
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<a>\d{1,2})-(?P<b>\d{1,2})(?:[ t](?P<clock>.+))?$")
_ANCHOR = re.compile(
    r"\b(?:today|tonight|tomorrow|tmrw|yesterday|next|this|last|ago|after|before)\b|\b\d{4}\b"
)
_WEEKDAY_WORD = re.compile(r"\b(?:" + "|".join(WEEKDAYS) + r")s?\b")
_MONTH_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b\d{1,2}[/-]\d{1,2}\b"
)
_CLOCK_LIKE = re.compile(r"\d:\d|\d\s*[ap]\.?m\b|\bnoon\b|\bmidnight\b")
_BARE_AT = re.compile(r"\bat (\d{1,2})(?![\d:.])(?!\s*[ap]\.?m)")


def read(text: str, now: datetime, tz: str) -> Reading:
    """Read a normalised English phrase said at ``now`` (naive local time in ``tz``)."""
    text = _usual_hours(_month_end(_every_month(_tidy(text)), now))
    if re.match(r"^(?:every|everyday|each|daily|weekly|monthly|weekdays|on weekdays)\b", text):
        return read_repeat(text)
    relative = _RELATIVE.match(text)
    if relative:
        return read_span(relative["a"] or relative["b"])
    at = clock(text)
    if at is not None:
        return Point(datetime.combine(now.date(), at), roll=Roll.DAY)
    ordinal = _ORDINAL_DAY.match(text)
    if ordinal:
        return _day_of_month(int(ordinal["d"]), ordinal["clock"], now)
    numeric = _NUMERIC_DATE.match(text) or _ISO_DATE.match(text)
    if numeric:
        return _numeric_date(numeric, now)
    return _dateparser(text, now, tz)


_NTH_OF_EVERY_MONTH = re.compile(
    r"^(?:on\s+)?(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)\s+(?:day\s+)?of\s+(?:every|each)\s+month"
    r"(?P<rest>.*)$"
)
_MONTH_END = re.compile(r"\b(?:(?:at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?month|month\s+end)\b")
# A part of the day without a clock means its usual hour (shown on the answer, never hidden).
_USUAL_HOURS = (
    (re.compile(r"\btonight\b"), "today 8pm"),
    (re.compile(r"\bthis morning\b"), "today 9am"),
    (re.compile(r"\bthis afternoon\b"), "today 3pm"),
    (re.compile(r"\bthis evening\b"), "today 7pm"),
    (re.compile(r"\b(?:in the )?morning\b"), "9am"),
    (re.compile(r"\b(?:in the )?afternoon\b"), "3pm"),
    (re.compile(r"\b(?:in the )?evening\b"), "7pm"),
    (re.compile(r"\b(?:at )?night\b"), "8pm"),
)


def _every_month(text: str) -> str:
    """ "on the 1st of every month" as "every month on the 1st" (not a one-off on the 1st)."""
    found = _NTH_OF_EVERY_MONTH.match(text)
    return f"every month on the {found['d']}{found['rest']}" if found else text


def _month_end(text: str, now: datetime) -> str:
    """ "end of the month" as the last day of this month (``12/31``)."""
    last = calendar.monthrange(now.year, now.month)[1]
    return _MONTH_END.sub(f"{now.month}/{last}", text)


def _usual_hours(text: str) -> str:
    """ "tomorrow morning" as "tomorrow 9am" when no clock is given."""
    if _CLOCK_LIKE.search(text):
        return text
    for pattern, clock_text in _USUAL_HOURS:
        text = pattern.sub(clock_text, text)
    return text


def _tidy(text: str) -> str:
    text = " ".join(text.lower().replace("\u2019", "'").split()).strip(" ,.;!?")
    for pattern, replacement in _HALVES:
        text = pattern.sub(replacement, text)
    return _BARE_AT.sub(r"at \1:00", text)


def clock(text: str) -> time | None:
    """A time of day ("9am", "at 17:00", "9:30pm", "noon", "at 9"), or None."""
    found = _CLOCK.match(text.strip())
    if not found:
        return None
    if found["noon"] or found["midnight"]:
        return time(12 if found["noon"] else 0)
    hour, minute, ampm = int(found["h"]), int(found["m"] or 0), found["ampm"]
    if not (found["at"] or found["m"] or ampm) or minute > 59:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return time(hour, minute) if hour <= 23 else None


def read_span(body: str) -> Delta:
    """The span after "in": "2 hours", "an hour and 30 minutes", "1h30m", "3 days"."""
    if not _SPAN.match(body):
        raise NotATime(Problem.UNREADABLE)
    months, days, seconds = 0, 0.0, 0.0
    for part in _PART.finditer(body):
        amount = float(NUMBERS.get(part["q"]) or part["q"])
        unit = _UNITS[part["u"]]
        if unit == "month":
            if not amount.is_integer():
                raise NotATime(Problem.UNREADABLE)
            months += int(amount)
        elif unit in ("day", "week"):
            days += amount * (7 if unit == "week" else 1)
        else:
            seconds += amount * _UNIT_SECONDS[unit]
    whole_days = int(days)
    return Delta(months=months, days=whole_days, seconds=seconds + (days - whole_days) * 86400)


def read_repeat(text: str) -> Repeat:
    """A repeat: "every Thursday 10:00", "every weekday 9am", "every month on the 1st"."""
    text = re.sub(r"^(?:daily|each day|everyday)\b", "every day", text)
    text = re.sub(r"^(?:on\s+)?weekdays\b", "every weekday", text)
    text = re.sub(r"^weekly on\b", "every", text)
    text = re.sub(r"^monthly\b", "every month", text)
    words = re.sub(r"^(?:every|each)\s+", "", text).split()
    for cut in range(len(words) + 1):
        at = clock(" ".join(words[cut:])) if cut < len(words) else None
        if at is not None or cut == len(words):
            return _repeat_body(" ".join(words[:cut]), at)
    raise NotATime(Problem.REPEAT)  # pragma: no cover - the loop always returns


def _repeat_body(body: str, at: time | None) -> Repeat:
    body = body.removesuffix(" at").removesuffix(" on").strip(" ,")
    interval, body = _interval(body)
    if re.fullmatch(r"days?", body):
        return Repeat(Frequency.DAILY, at, interval)
    workdays = re.fullmatch(r"(?:week ?days?|work ?days?|working days?|business days?)", body)
    if workdays and interval == 1:
        return Repeat(Frequency.WEEKDAYS, at)
    monthly = re.fullmatch(r"months? on (?:the )?(\d{1,2})(?:st|nd|rd|th)?", body)
    monthly = monthly or re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th) of (?:the|every) month", body)
    if monthly and 1 <= int(monthly[1]) <= 31:
        return Repeat(Frequency.MONTHLY, at, interval, monthday=int(monthly[1]))
    days = _weekday_list(re.sub(r"^weeks? on ", "", body))
    if days and not workdays:
        return Repeat(Frequency.WEEKLY, at, interval, weekdays=days)
    raise NotATime(Problem.REPEAT)


def _interval(body: str) -> tuple[int, str]:
    found = re.match(rf"^(other|{_NUMBER})\s+", body)
    if not found:
        return 1, body
    word = found[1]
    count = 2 if word == "other" else NUMBERS.get(word) or float(word)
    if not float(count).is_integer() or count < 1:
        raise NotATime(Problem.REPEAT)
    return int(count), body[found.end() :]


def _weekday_list(body: str) -> tuple[int, ...]:
    """Weekdays named in "monday and thursday", "mon, wed, fri", "monday to friday"."""
    span = re.fullmatch(r"([a-z]+)\s*(?:-|to|through|thru)\s*([a-z]+)", body)
    if span:
        first, last = _weekday(span[1]), _weekday(span[2])
        if first is None or last is None or first > last:
            return ()
        return tuple(range(first, last + 1))
    days = [_weekday(name) for name in re.split(r"\s*(?:,|&|/|\band\b)\s*|\s+", body) if name]
    if not days or None in days:
        return ()
    return tuple(sorted({d for d in days if d is not None}))


def _weekday(name: str) -> int | None:
    return WEEKDAYS.get(name, WEEKDAYS.get(name.removesuffix("s")))


def _numeric_date(found: re.Match[str], now: datetime) -> Point:
    """Month/day[/year] ("12/01 14:30"; "25/12" too, as 25 is no month) or ISO year-month-day."""
    month, day = int(found["a"]), int(found["b"])
    if month > 12 >= day and "-" not in found[0]:
        month, day = day, month
    year = int(found["y"]) if found["y"] else now.year
    year += 2000 if year < 100 else 0
    at = clock(found["clock"]) if found["clock"] else None
    if found["clock"] and at is None:
        raise NotATime(Problem.UNREADABLE)
    try:
        wall = datetime.combine(date(year, month, day), at or time())
    except ValueError as exc:
        raise NotATime(Problem.UNREADABLE) from exc
    return Point(wall, date_only=at is None, roll=Roll.NONE if found["y"] else Roll.YEAR)


def _day_of_month(day: int, clock_text: str | None, now: datetime) -> Point:
    at = clock(clock_text) if clock_text else None
    if clock_text and at is None:
        raise NotATime(Problem.UNREADABLE)
    year, month = now.year, now.month
    for _ in range(12):  # the first month from this one that has the day
        try:
            day_date = date(year, month, day)
        except ValueError:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            continue
        wall = datetime.combine(day_date, at or time())
        return Point(wall, date_only=at is None, roll=Roll.MONTH)
    raise NotATime(Problem.UNREADABLE)


def _dateparser(text: str, now: datetime, tz: str) -> Point:
    if re.fullmatch(r"\d+", text):
        raise NotATime(Problem.UNREADABLE)
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now,
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "RETURN_TIME_AS_PERIOD": True,
        "DATE_ORDER": "MDY",
    }
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    found: datetime | None = data.date_obj
    if found is None:
        raise NotATime(Problem.UNREADABLE)
    if data.period not in ("time", "day"):
        raise NotATime(Problem.VAGUE)  # "next week", "tonight", "this afternoon"
    date_only = data.period == "day"
    if date_only and _CLOCK_LIKE.search(text):
        if _stated_clock(text) != found.time():
            raise NotATime(Problem.UNREADABLE)  # dateparser dropped a time it could not read
        date_only = False  # dateparser calls a time equal to now's time of day a "day"
    return Point(found.replace(tzinfo=None), date_only=date_only, roll=_roll(text))


_CLOCK_IN = re.compile(r"(?:at\s+)?\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)|\d{1,2}:\d{2}")


def _stated_clock(text: str) -> time | None:
    """The time of day a phrase states ("tomorrow 10am" -> 10:00), if one reads."""
    found = _CLOCK_IN.search(text)
    return clock(found[0]) if found else None


def _roll(text: str) -> Roll:
    if _ANCHOR.search(text):
        return Roll.NONE
    if _MONTH_WORD.search(text):
        return Roll.YEAR
    if _WEEKDAY_WORD.search(text):
        return Roll.WEEK
    return Roll.NONE


# Words a time phrase is made of; a command's leading run of them is where its time may be.
_FILLERS = {"a", "an", "the", "and", "at", "on", "in", "of", "every", "each", "from", "next"}
_FILLERS |= {"this", "other", "to", "through", "thru"}
_TIME_WORDS = _FILLERS | set(NUMBERS) | set(WEEKDAYS) | {f"{day}s" for day in WEEKDAYS} | {
    "today", "tonight", "tomorrow", "tmrw", "noon", "midday", "midnight", "morning",
    "afternoon", "evening", "night", "am", "pm", "a.m.", "p.m.", "now", "later", "half",
    "day", "days", "daily", "week", "weeks", "weekly", "weekday", "weekdays", "workday",
    "workdays", "working", "business", "month", "months", "monthly", "hour", "hours", "hr",
    "hrs", "minute", "minutes", "min", "mins", "second", "seconds", "sec", "secs", "after",
    "coming", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "end", "this",
}  # fmt: skip
_TIME_TOKEN = re.compile(
    r"^\d{1,4}(?:[:./-]\d{1,2}){0,2}(?:[ap]\.?m\.?|st|nd|rd|th|h|m|mins?|d|w|hrs?)?$"
    r"|^\d+h\d+m?$"
)


def leading_phrases(words: list[str]) -> list[tuple[str, list[str]]]:
    """Candidate time phrases at the start of ``words``, longest first, with the words after."""
    run = 0
    for word in words:
        token = word.lower().strip(",;")
        if token not in _TIME_WORDS and not _TIME_TOKEN.match(token):
            break
        run += 1
    return [
        (" ".join(words[:n]), words[n:])
        for n in range(run, 0, -1)
        if words[n - 1].lower().strip(",;") not in _FILLERS
    ]

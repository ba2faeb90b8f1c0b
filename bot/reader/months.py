"""Months and ranges of months, the way people name an accounting period.

``2026-11``, ``2026年11月``, ``11月`` (this year), ``Nov 2026``, ``November``, ``本月`` /
``this month``, ``上月`` / ``上个月`` / ``last month``, ``今年`` / ``this year`` (January to this
month), ``去年`` / ``last year``, ``2026年`` (the whole year), and ranges of them:
``2026-01..2026-03``, ``2026-01 to 2026-03``, ``2026年1月到3月`` (the year carries over). A month
that does not exist (``2026-13``) is ``None``; a range that runs backwards too.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.parsing import normalise
from domain.shared.recurrence import zone

YearMonth = tuple[int, int]
_JOIN = re.compile(r"\s*(?:\.\.|~|～|到|至|—|–|\bto\b|\bthrough\b|\buntil\b)\s*", re.IGNORECASE)
_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$")
_ZH = re.compile(r"^(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月份?$")
_ZH_YEAR = re.compile(r"^(?P<y>\d{4})年(?:度|全年)?$")
_EN = re.compile(r"^(?P<name>[a-z]{3,9})\.?(?:\s+(?P<y>\d{4}))?$", re.IGNORECASE)
_EN_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
THIS_MONTH = frozenset({"本月", "这个月", "当月", "this month"})
LAST_MONTH = frozenset({"上月", "上个月", "last month", "previous month"})
THIS_YEAR = frozenset({"今年", "本年", "本年度", "this year", "year to date", "ytd"})
LAST_YEAR = frozenset({"去年", "上年", "上一年", "last year"})


def read_months(text: str, tz: str, now: datetime) -> tuple[YearMonth, YearMonth] | None:
    """The first and last month ``text`` names (one month: the same twice), said at ``now`` by a
    member in ``tz``; None if it names none."""
    text = normalise(text).strip()
    today = now.astimezone(zone(tz))
    this = (today.year, today.month)
    whole = _span(text, this)
    if whole is not None:
        return whole
    for found in _JOIN.finditer(text):
        left, right = text[: found.start()], text[found.end() :]
        first = _span(left, this)
        if first is None or not right:
            continue
        last = _span(right, this) or _span(f"{first[1][0]}年{right}", this)
        if last is not None and last[1] >= first[0]:
            return first[0], last[1]
    return None


def _span(text: str, this: YearMonth) -> tuple[YearMonth, YearMonth] | None:
    """A single month, or a named span (a year, this year …), without a range."""
    lowered = text.lower()
    if lowered in THIS_MONTH:
        return this, this
    if lowered in LAST_MONTH:
        last = _shift(this, -1)
        return last, last
    if lowered in THIS_YEAR:
        return (this[0], 1), this
    if lowered in LAST_YEAR:
        return (this[0] - 1, 1), (this[0] - 1, 12)
    year = _ZH_YEAR.match(text)
    if year is not None:
        return (int(year["y"]), 1), (int(year["y"]), 12)
    month = _month(text, this)
    return (month, month) if month is not None else None


def _month(text: str, this: YearMonth) -> YearMonth | None:
    for pattern in (_ISO, _ZH):
        found = pattern.match(text)
        if found is not None:
            year = int(found["y"]) if found["y"] else this[0]
            return _valid(year, int(found["m"]))
    found = _EN.match(text)
    if found is None:
        return None
    name = found["name"].lower()
    number = next((i for i, n in enumerate(_EN_NAMES, 1) if n.startswith(name)), None)
    if number is None or (len(name) < 3):
        return None
    return _valid(int(found["y"]) if found["y"] else this[0], number)


def _valid(year: int, month: int) -> YearMonth | None:
    return (year, month) if 1 <= month <= 12 and 1900 <= year <= 9999 else None


def _shift(month: YearMonth, by: int) -> YearMonth:
    index = month[0] * 12 + month[1] - 1 + by
    return index // 12, index % 12 + 1

"""Reading ``/ding @a @b TEXT [every 10m] [max 3]`` (and ``/钉 @a 文本 每10分钟 最多3次``).

Names come first, each with an @; the options, if any, come last, after the text, so that a
text that mentions "every 10 minutes" in the middle keeps it. Chinese needs no spaces:
``@bob请回电话每10分钟最多3次`` is bob, 请回电话, every 10 minutes, at most 3 re-pings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.i18n import _
from bot.parsing import ArgumentError
from domain.notices.services import DEFAULT_INTERVAL, DEFAULT_REPINGS

HANDLE = re.compile(r"^\s*@([A-Za-z0-9._-]*[A-Za-z0-9_-])[\s,，、;；]*")
NUMBER = r"(\d{1,4}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
EVERY_EN = re.compile(
    r"(?:^|\s)every\s+(?:(?P<n>\d{1,4})\s*)?(?P<unit>m|mins?|minutes?|h|hrs?|hours?)\s*$", re.I
)
EVERY_ZH = re.compile(
    rf"每(?:隔)?\s*(?P<n>{NUMBER}|半)?\s*(?:个)?(?P<unit>分钟|分|小时|钟头)(?:一次)?\s*$"
)
MAX_EN = re.compile(r"(?:^|\s)max(?:imum)?\s*[=:]?\s*(?P<n>\d{1,4})(?:\s*(?:times|x))?\s*$", re.I)
MAX_ZH = re.compile(rf"最多(?:提醒|重复|再提醒)?\s*(?P<n>{NUMBER})\s*次\s*$")
TRAILING = " \t,，;；、。."
CHINESE_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


@dataclass(frozen=True, slots=True)
class DingTerms:
    """Whom to DING, about what, how often to re-ping and how many times."""

    handles: tuple[str, ...]
    text: str
    interval: timedelta = DEFAULT_INTERVAL
    max_repings: int = DEFAULT_REPINGS


def parse_ding(text: str) -> DingTerms:
    """Split a /ding line into names, text and options; ArgumentError if there are no names."""
    handles, rest = _handles(text)
    if not handles:
        raise ArgumentError(
            _("Whom should I DING? Start with @handle, for example: {example}"),
            example=_("/ding @bob the server is down"),
        )
    interval, repings = DEFAULT_INTERVAL, DEFAULT_REPINGS
    for _round in range(4):  # each option at most once, in either order
        rest, found_interval = _take_interval(rest)
        rest, found_max = _take_max(rest)
        interval = found_interval or interval
        repings = found_max if found_max is not None else repings
        if found_interval is None and found_max is None:
            break
    return DingTerms(tuple(handles), rest.strip(TRAILING), interval, repings)


def _handles(text: str) -> tuple[list[str], str]:
    handles: list[str] = []
    rest = text
    while (found := HANDLE.match(rest)) is not None and len(handles) < 100:
        handles.append(found.group(1).lower())
        rest = rest[found.end() :]
    return handles, rest


def _take_interval(text: str) -> tuple[str, timedelta | None]:
    for pattern in (EVERY_EN, EVERY_ZH):
        found = pattern.search(text)
        if found is not None:
            return text[: found.start()].rstrip(TRAILING), _span(found["n"], found["unit"])
    return text, None


def _take_max(text: str) -> tuple[str, int | None]:
    for pattern in (MAX_EN, MAX_ZH):
        found = pattern.search(text)
        if found is not None:
            return text[: found.start()].rstrip(TRAILING), _number(found["n"])
    return text, None


def _span(amount: str | None, unit: str) -> timedelta:
    hours = unit.lower().startswith("h") or unit in ("小时", "钟头")
    if amount == "半":
        return timedelta(minutes=30) if hours else timedelta(seconds=30)
    count = _number(amount) if amount else 1
    return timedelta(hours=count) if hours else timedelta(minutes=count)


def _number(text: str) -> int:
    """``12`` or a small Chinese number: 三, 十, 十二, 二十."""
    if text.isdecimal():  # what int() reads; isdigit() would let ² through
        return int(text)
    if "十" not in text:
        return CHINESE_DIGITS[text]
    tens, _sep, ones = text.partition("十")
    return CHINESE_DIGITS.get(tens, 1) * 10 + (CHINESE_DIGITS[ones] if ones else 0)

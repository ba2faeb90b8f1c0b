"""What a time phrase says, before it is placed in a member's time zone.

The language readers (``bot.timewords.en`` with dateparser, ``bot.timewords.zh`` with
jionlp-time) turn a phrase into one of three readings on the member's local wall clock;
``bot.timeparse`` turns a reading into a UTC moment or a ``Recurrence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import Enum, StrEnum

from domain.shared.recurrence import Frequency


class Problem(StrEnum):
    """Why a phrase gives no time."""

    UNREADABLE = "unreadable"  # not a time phrase at all
    VAGUE = "vague"  # a time, but a span ("next week", "下午") rather than a moment
    REPEAT = "repeat"  # a repeat these rules cannot hold ("每年", "every hour")
    PAST = "past"  # a moment that has already passed
    MISSING = "missing"  # no time at the start of a command's words


class NotATime(Exception):
    """A reader found no usable time in a phrase; ``when`` is the local time that has passed."""

    def __init__(self, problem: Problem, when: str = "") -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.when = when


class Roll(Enum):
    """The unit a phrase leaves open, so a past reading may move on to the next match."""

    NONE = None  # fully pinned ("tomorrow 9am", "下周一"): a past reading is an error
    DAY = "day"  # a time of day only ("9am", "下午3点")
    WEEK = "week"  # a weekday ("friday 3pm", "周五下午三点")
    MONTH = "month"  # a day of the month ("the 20th", "15号")
    YEAR = "year"  # a month and day without a year ("Dec 1", "12月1日")


@dataclass(frozen=True, slots=True)
class Point:
    """A local wall time; ``date_only`` when the phrase named a day but no time of day."""

    wall: datetime
    date_only: bool = False
    roll: Roll = Roll.NONE


@dataclass(frozen=True, slots=True)
class Delta:
    """A span from now: calendar months and days on the wall clock, then real seconds."""

    months: int = 0
    days: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Repeat:
    """A repeating time; ``at`` is None when the phrase gave no time of day."""

    frequency: Frequency
    at: time | None = None
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthday: int | None = None


Reading = Point | Delta | Repeat


def has_cjk(text: str) -> bool:
    """Whether ``text`` contains a CJK ideograph (the phrase is read as Chinese)."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)

"""Dates, times, durations and money in the reader's language and time zone (Babel)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_timedelta, get_day_names
from babel.numbers import format_currency

from bot.i18n import _, normalise_locale, t
from domain.shared.recurrence import Frequency, Recurrence


def moment(at: datetime, locale: str, tz: str, *, now: datetime | None = None) -> str:
    """``Tue, Dec 1 09:30`` / ``12月1日周二 09:30`` in the reader's time zone (with the year if
    it is not this year's)."""
    zone = ZoneInfo(tz)
    loc = normalise_locale(locale)
    local = at.astimezone(zone)
    same_year = now is None or now.astimezone(zone).year == local.year
    date = format_skeleton("MMMEd" if same_year else "yMMMEd", local, tzinfo=zone, locale=loc)
    return f"{date} {format_skeleton('Hm', local, tzinfo=zone, locale=loc)}"


def duration(span: timedelta, locale: str) -> str:
    """``2 hours`` / ``2小时``, rounded to the largest sensible unit."""
    return format_timedelta(span, locale=normalise_locale(locale), threshold=1.1)


def repeat_text(locale: str, rule: str) -> str:
    """A recurrence in words: ``every Monday, Thursday at 09:00`` / ``每周一、周四 09:00``."""
    r = Recurrence.from_rrule(rule)
    at = r.at.strftime("%H:%M")
    if r.frequency is Frequency.DAILY:
        return t(locale, _("every day at {time}"), time=at)
    if r.frequency is Frequency.WEEKDAYS:
        return t(locale, _("every weekday at {time}"), time=at)
    if r.frequency is Frequency.MONTHLY:
        return t(locale, _("on day {day} of every month at {time}"), day=r.monthday, time=at)
    names = get_day_names("wide", locale=normalise_locale(locale))
    days = ("、" if locale.startswith("zh") else ", ").join(names[d] for d in r.weekdays)
    return t(locale, _("every {days} at {time}"), days=days, time=at)


def money(amount: Decimal, currency: str, locale: str) -> str:
    """``CN¥8,000.00`` / ``¥8,000.00``."""
    return format_currency(amount, currency, locale=normalise_locale(locale))

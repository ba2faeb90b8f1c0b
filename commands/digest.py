"""/digest (/摘要): each member's daily digest, made of sections that each area provides.

A section provider is a function ``(DigestDay) -> Section | None``; ``commands.digest_sections``
lists them in order (reminders due today, urgent notices waiting for the member; the calendar,
approvals and tasks add theirs there). A digest whose every section is empty is not sent: a
message that says "nothing today" every morning teaches people to ignore the digest.

The digest is a recurring timer per member (``domain.digest``), at 09:00 local unless the member
chose another time; it is skipped when Bizbot was down for more than 3 hours past that time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.context import CommandContext, TimerContext, TimerHandler
from bot.formatting import moment
from bot.i18n import _, normalise_locale, t
from bot.replies import Action, Button, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from bot.router import ActionSpec, CommandSpec, Router
from domain.digest.services import (
    KIND,
    DigestChoice,
    choose_digest,
    claim_day,
    daily_at,
    digest_choice,
    local_day,
)
from domain.directory.views import MemberView
from domain.shared.errors import DomainError
from domain.shared.recurrence import Recurrence
from domain.timers.reminders import KIND as REMINDER
from domain.timers.services import TimerView, pending_between

OFF_WORDS = frozenset({"off", "关", "关闭", "停"})
ON_WORDS = frozenset({"on", "开", "开启", "打开"})
NOW_WORDS = frozenset({"now", "现在", "预览"})
CLOCK = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?$")
CLOCK_ZH = re.compile(r"^(?:早上|上午)?(?P<h>\d{1,2})点(?:(?P<half>半)|(?P<m>\d{1,2})分?)?$")
MAX_LINES = 8  # per section; the rest is counted


@dataclass(frozen=True, slots=True)
class DigestDay:
    """What a section provider gets: the member and their local day (as UTC bounds)."""

    session: Session
    member: MemberView
    date: date  # the member's local date
    start: datetime
    end: datetime
    now: datetime


@dataclass(frozen=True, slots=True)
class Section:
    """One part of a digest, already in the member's language."""

    title: str
    lines: tuple[str, ...]


DigestSection = Callable[[DigestDay], Section | None]


class DigestArgs(BaseModel):
    """``/digest [off|on|now|HH:MM]``."""

    setting: str | None = Field(default=None, description=_("off, on, now or a time"))


def digest(ctx: CommandContext, args: DigestArgs, sections: Sequence[DigestSection]) -> Message:
    """Show, switch or move the daily digest, or preview today's."""
    word = (args.setting or "").strip().lower()
    me = ctx.actor
    if not word:
        return _setting_card(ctx, digest_choice(ctx.session, me.id))
    if word in NOW_WORDS:
        card = compose(_today(ctx.session, me, ctx.now), sections)
        return card or Reply(ctx.t(_("Nothing for your digest today.")))
    enabled, at = (False, None) if word in OFF_WORDS else (True, _clock(word))
    choice = choose_digest(ctx.session, me.id, me.timezone, ctx.now, enabled=enabled, at=at)
    return _setting_card(ctx, choice)


def _clock(word: str) -> time | None:
    """None for "on"; the time of ``08:30``, ``8``, ``8点半``; DomainError otherwise."""
    if word in ON_WORDS:
        return None
    found = CLOCK.match(word) or CLOCK_ZH.match(word)
    if found is not None:
        minute = 30 if found.groupdict().get("half") else int(found["m"] or 0)
        if int(found["h"]) < 24 and minute < 60:
            return time(int(found["h"]), minute)
    raise DomainError(_("Say off, on, now or a time like 08:30."))


def _setting_card(ctx: CommandContext, choice: DigestChoice) -> Card:
    me = ctx.actor
    if not choice.enabled:
        return Card(
            title=ctx.t(_("Daily digest: off")),
            body=ctx.t(_("Turn it on again with /digest on")),
            status=CardStatus.WARNING,
        )
    following = daily_at(choice.at, me.timezone, ctx.now).next_after(ctx.now)
    return Card(
        title=ctx.t(_("Daily digest: every day at {time}"), time=choice.at.strftime("%H:%M")),
        fields=(
            CardField(ctx.t(_("Next")), moment(following, me.locale, me.timezone, now=ctx.now)),
            CardField(ctx.t(_("Time zone")), me.timezone),
        ),
        footer=ctx.t(_("Empty digests are not sent. Change: /digest 08:30, /digest off")),
        status=CardStatus.SUCCESS,
    )


def compose(day: DigestDay, sections: Sequence[DigestSection]) -> Card | None:
    """The digest card, or None when every section is empty."""
    parts = [part for provider in sections if (part := provider(day)) and part.lines]
    if not parts:
        return None
    locale, tz = day.member.locale, day.member.timezone
    when = format_skeleton(
        "MMMMEd",
        day.now.astimezone(ZoneInfo(tz)),
        tzinfo=ZoneInfo(tz),
        locale=normalise_locale(locale),
    )
    off = Button(t(locale, _("Turn off")), Action("digest.off"), command="/digest off")
    return Card(
        title="☀️ " + t(locale, _("Your day: {date}"), date=when),
        fields=tuple(CardField(p.title, _clipped(p.lines, locale)) for p in parts),
        buttons=(off,),
        status=CardStatus.INFO,
    )


def _clipped(lines: tuple[str, ...], locale: str) -> str:
    shown = list(lines[:MAX_LINES])
    if len(lines) > MAX_LINES:
        shown.append(t(locale, _("and {count} more"), count=len(lines) - MAX_LINES))
    return "\n".join(shown)


def _today(session: Session, member: MemberView, now: datetime) -> DigestDay:
    day = now.astimezone(ZoneInfo(member.timezone)).date()
    start, end = local_day(day, member.timezone)
    return DigestDay(session, member, day, start, end, now)


def reminders_today(day: DigestDay) -> Section | None:
    """Reminders still to go off today (or going off now)."""
    due = pending_between(day.session, day.member.id, REMINDER, day.start, day.end)
    if not due:
        return None
    return Section(
        "⏰ " + t(day.member.locale, _("Reminders today ({count})"), count=len(due)),
        tuple(_reminder_line(day.member, r) for r in due),
    )


def _reminder_line(member: MemberView, reminder: TimerView) -> str:
    at = reminder.due_at.astimezone(ZoneInfo(member.timezone)).strftime("%H:%M")
    return f"{at} · {reminder.payload.get('text', '')}"


def digest_handler(sections: Sequence[DigestSection]) -> TimerHandler:
    """The timer handler that sends a member's digest, with these sections."""

    def send_digest(ctx: TimerContext, timer: TimerView) -> None:
        """Send today's digest, unless it is empty, too late, or already sent today."""
        if ctx.expired or timer.owner_id is None:
            return
        member = ctx.member(timer.owner_id)
        if not member.active or not _zone_is(timer.recurrence, member.timezone):
            return  # the hourly sync moves the timer to the member's new time zone
        day = _today(ctx.session, member, ctx.now)
        card = compose(day, sections)
        if card is None:
            return
        if claim_day(ctx.session, member.id, day.date):
            ctx.notify(member.id, card, subject=f"digest:{member.id}")

    return send_digest


def _zone_is(rule: str | None, tz: str) -> bool:
    try:
        return rule is not None and Recurrence.from_rrule(rule).tz == tz
    except ValueError:
        return False


def off_button(ctx: CommandContext, _target: str, _args: dict[str, Any]) -> Message | None:
    """The "Turn off" button on a digest."""
    me = ctx.actor
    choice = choose_digest(ctx.session, me.id, me.timezone, ctx.now, enabled=False, at=None)
    ctx.edit_card(_setting_card(ctx, choice))
    return None


def register(router: Router, sections: Sequence[DigestSection]) -> None:
    """Register /digest (with the sections its preview shows) and its button."""
    router.add(
        CommandSpec(
            name="digest",
            summary=_("Your daily digest: turn it off or on, move it, or see today's"),
            handler=lambda ctx, args: digest(ctx, args, sections),
            args=DigestArgs,
            aliases=("摘要",),
            details=_(
                "Every morning at 09:00 your time: today's reminders and the DINGs waiting for "
                "you. Nothing is sent on a day with nothing to say."
            ),
            examples=(
                _("/digest"),
                _("/digest 08:30"),
                _("/digest off"),
                _("/digest now"),
            ),
        )
    )
    router.add_action(ActionSpec(name="digest.off", handler=off_button))


__all__ = ["KIND", "DigestDay", "DigestSection", "Section"]

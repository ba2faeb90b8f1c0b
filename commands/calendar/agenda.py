"""/agenda, /share and /unshare: reading calendars, one's own and (with leave) colleagues'."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import CommandContext
from bot.i18n import _, normalise_locale, t
from bot.logging import get_logger
from bot.replies import Card, CardStatus, Message, Reply
from commands.approvals.absence import away_lines, with_away
from commands.calendar.cards import ANSWER_NAMES, clock
from commands.digest import DigestDay, Section
from domain.calendar.access import may_read_calendar, share_calendar, shared_with, unshare_calendar
from domain.calendar.busy import ORGANISER, AgendaEntry, Slot, agenda, busy_times, merged
from domain.calendar.models import Response
from domain.directory.roles import Permission
from domain.directory.services import find_member
from domain.directory.views import MemberView
from domain.flows.models import LeaveBlock
from domain.shared.errors import DomainError
from domain.shared.recurrence import local_to_utc

log = get_logger("bizbot.calendar")

SPAN_WORDS = {
    "today": "today",
    "今天": "today",
    "今日": "today",
    "tomorrow": "tomorrow",
    "明天": "tomorrow",
    "明日": "tomorrow",
    "week": "week",
    "本周": "week",
    "这周": "week",
    "一周": "week",
    "7天": "week",
}
SPAN_DAYS = {"today": (0, 1), "tomorrow": (1, 1), "week": (0, 7)}
SPAN_NAMES = {"today": _("today"), "tomorrow": _("tomorrow"), "week": _("the next 7 days")}


class AgendaArgs(BaseModel):
    """``/agenda [today|tomorrow|week] [@member]``."""

    span: str | None = Field(default=None, description=_("today|tomorrow|week"))
    member: str | None = Field(default=None, description=_("@member"))


class ShareArgs(BaseModel):
    """``/share calendar [@member]``."""

    what: Literal["calendar"] = Field(
        description=_("calendar"),
        json_schema_extra={"words": {"calendar": ["日历", "日程", "cal"]}},
    )
    member: str | None = Field(default=None, description=_("@member"))


def show_agenda(ctx: CommandContext, args: AgendaArgs) -> Message:
    """The actor's agenda, or a colleague's (in full with leave, else busy and free only)."""
    span, handle = _span_and_member(args)
    owner = ctx.actor if handle is None else _member(ctx, handle)
    window = _window(span, ctx.actor, ctx.now)
    reads_all = ctx.may(Permission.READ_CALENDARS)
    away = away_lines(ctx, owner.id, window.starts_at, window.ends_at)  # approved leave
    blocks = leave_blocks(ctx.session, owner.id)  # the leave's own line says it better
    if may_read_calendar(ctx.session, ctx.actor.id, owner.id, reads_every_calendar=reads_all):
        entries = [e for e in agenda(ctx.session, owner.id, window) if e.event.id not in blocks]
        return with_away(_agenda_card(ctx, owner, span, window, entries), away)
    log.info("calendar.busy_only", member=ctx.actor.handle, owner=owner.handle)
    busy = busy_times(ctx.session, [owner.id], window)
    shown = merged(Slot(b.starts_at, b.ends_at) for b in busy if b.event_id not in blocks)
    return with_away(_busy_card(ctx, owner, span, window, shown), away)


def leave_blocks(session: Session, member_id: int) -> set[int]:
    """The calendar events that block a member's approved leave (domain/flows/leave_flow.py):
    calendar apps show them, the agenda shows the leave's line instead."""
    query = select(LeaveBlock.event_id).where(LeaveBlock.member_id == member_id)
    return set(session.scalars(query))


def _span_and_member(args: AgendaArgs) -> tuple[str, str | None]:
    words = [w for w in (args.span, args.member) if w]
    handles = [w for w in words if w.startswith("@")]
    spans = [w for w in words if not w.startswith("@")]
    if len(handles) > 1 or len(spans) > 1:
        raise DomainError(_("Usage: {usage}"), usage="/agenda [today|tomorrow|week] [@member]")
    span = SPAN_WORDS.get(spans[0].lower()) if spans else "today"
    if span is None:
        raise DomainError(
            _('"{word}" is not today, tomorrow or week.'), word=spans[0] if spans else ""
        )
    return span, handles[0] if handles else None


def _member(ctx: CommandContext, handle: str) -> MemberView:
    member = find_member(ctx.session, handle)
    if member is None or not member.active:
        raise DomainError(_("I don't know @{handle}."), handle=handle.lstrip("@"))
    return member


def _window(span: str, reader: MemberView, now: datetime) -> Slot:
    """The span's days, midnight to midnight in the reader's zone."""
    today = now.astimezone(ZoneInfo(reader.timezone)).date()
    offset, days = SPAN_DAYS[span]
    first = datetime.combine(today + timedelta(days=offset), time())
    return Slot(
        local_to_utc(first, reader.timezone),
        local_to_utc(first + timedelta(days=days), reader.timezone),
    )


def _day(at: datetime, reader: MemberView) -> str:
    zone = ZoneInfo(reader.timezone)
    return format_skeleton(
        "MMMEd", at.astimezone(zone), tzinfo=zone, locale=normalise_locale(reader.locale)
    )


def _title(ctx: CommandContext, owner: MemberView, span: str, window: Slot) -> str:
    days = _day(window.starts_at, ctx.actor)
    if span == "week":
        days += " – " + _day(window.ends_at - timedelta(minutes=1), ctx.actor)
    label = f"{ctx.t(SPAN_NAMES[span])} · {days}"
    if owner.id == ctx.actor.id:
        return ctx.t(_("Your agenda: {span}"), span=label)
    return ctx.t(_("Agenda of {name}: {span}"), name=owner.name, span=label)


def _grouped(ctx: CommandContext, span: str, lines: list[tuple[datetime, str]]) -> str:
    """Lines under a heading per day for a week, plain for a single day."""
    if span != "week":
        return "\n".join(text for _at, text in lines)
    out: list[str] = []
    heading = ""
    for at, text in lines:
        day = _day(at, ctx.actor)
        if day != heading:
            out.append(day)
            heading = day
        out.append(f"  {text}")
    return "\n".join(out)


def _entry_line(ctx: CommandContext, entry: AgendaEntry) -> str:
    event = entry.event
    parts = [
        f"{clock(entry.starts_at, ctx.actor)}–{clock(entry.ends_at, ctx.actor)}",
        f"#{event.id} {event.title}" + (" 🔁" if event.recurrence else ""),
    ]
    if event.place:
        parts.append(event.place)
    role = entry.role
    parts.append(
        ctx.t(_("organiser")) if role == ORGANISER else ctx.t(ANSWER_NAMES[Response(role)])
    )
    return " · ".join(parts)


def _agenda_card(
    ctx: CommandContext, owner: MemberView, span: str, window: Slot, entries: list[AgendaEntry]
) -> Card:
    lines = [(e.starts_at, _entry_line(ctx, e)) for e in entries]
    return Card(
        title=_title(ctx, owner, span, window),
        body=_grouped(ctx, span, lines) if lines else ctx.t(_("Nothing planned.")),
        footer=ctx.t(_("New meeting: /meeting TITLE WHEN with @a @b")),
        status=CardStatus.INFO,
    )


def _busy_card(
    ctx: CommandContext, owner: MemberView, span: str, window: Slot, blocks: list[Slot]
) -> Card:
    lines = [
        (
            b.starts_at,
            ctx.t(
                _("busy {start}–{end}"),
                start=clock(b.starts_at, ctx.actor),
                end=clock(b.ends_at, ctx.actor),
            ),
        )
        for b in blocks
    ]
    return Card(
        title=_title(ctx, owner, span, window),
        body=_grouped(ctx, span, lines) if lines else ctx.t(_("Free the whole time.")),
        footer=ctx.t(
            _("Only busy and free times: {name} has not shared their calendar with you."),
            name=owner.name,
        ),
        status=CardStatus.INFO,
    )


def share(ctx: CommandContext, args: ShareArgs) -> Message:
    """Let a colleague read the actor's calendar in full, or list who may."""
    if args.member is None:
        handles = shared_with(ctx.session, ctx.actor.id)
        listed = ", ".join(f"@{h}" for h in handles) if handles else ctx.t(_("nobody"))
        return Reply(ctx.t(_("Your calendar is shared with: {who}"), who=listed))
    viewer = _member(ctx, args.member)
    if share_calendar(ctx.session, ctx.actor.id, viewer.id, ctx.now):
        notice = _("{name} shared their calendar with you: /agenda @{handle}")
        ctx.notify(
            viewer.id,
            Reply(t(viewer.locale, notice, name=ctx.actor.name, handle=ctx.actor.handle)),
        )
    return Reply(ctx.t(_("{name} can now read your calendar."), name=viewer.name))


def unshare(ctx: CommandContext, args: ShareArgs) -> Message:
    """Stop sharing the actor's calendar with a colleague."""
    if args.member is None:
        raise DomainError(_("With whom? For example: /unshare calendar @bob"))
    viewer = _member(ctx, args.member)
    if not unshare_calendar(ctx.session, ctx.actor.id, viewer.id):
        return Reply(ctx.t(_("Your calendar was not shared with {name}."), name=viewer.name))
    return Reply(ctx.t(_("{name} no longer reads your calendar."), name=viewer.name))


def meetings_today(day: DigestDay) -> Section | None:
    """The digest's section: the member's meetings on their local day."""
    blocks = leave_blocks(day.session, day.member.id)  # not a meeting
    entries = [
        e for e in agenda(day.session, day.member.id, Slot(day.start, day.end))
        if e.event.id not in blocks
    ]  # fmt: skip
    if not entries:
        return None
    zone = ZoneInfo(day.member.timezone)
    lines = tuple(
        f"{e.starts_at.astimezone(zone):%H:%M}–{e.ends_at.astimezone(zone):%H:%M} {e.event.title}"
        + (f" @ {e.event.place}" if e.event.place else "")
        for e in entries
    )
    title = t(day.member.locale, _("Meetings today ({count})"), count=len(entries))
    return Section("📅 " + title, lines)

"""The calendar's cards, each in its reader's language and time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot.formatting import moment, repeat_text
from bot.i18n import _, normalise_locale, t
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus
from bot.replies import Field as CardField
from commands.approvals.present import day_text
from domain.approvals.absence import AbsenceView
from domain.calendar.busy import Busy
from domain.calendar.models import Response
from domain.calendar.views import EventView, Person
from domain.directory.views import MemberView

RESPOND = "meeting.respond"
CANCEL = "meeting.cancel"
ANSWER_LABELS = {
    Response.ACCEPTED: _("Accept"),
    Response.TENTATIVE: _("Tentative"),
    Response.DECLINED: _("Decline"),
}
ANSWER_WORDS = {
    Response.ACCEPTED: "accept",
    Response.TENTATIVE: "tentative",
    Response.DECLINED: "decline",
}
ANSWER_NAMES = {
    Response.NEEDS_ACTION: _("not answered yet"),
    Response.ACCEPTED: _("accepted"),
    Response.TENTATIVE: _("tentative"),
    Response.DECLINED: _("declined"),
}
ANSWER_STATUS = {
    Response.NEEDS_ACTION: CardStatus.PENDING,
    Response.ACCEPTED: CardStatus.SUCCESS,
    Response.TENTATIVE: CardStatus.WARNING,
    Response.DECLINED: CardStatus.DANGER,
}
TALLY = (
    (Response.ACCEPTED, _("Accepted ({count})")),
    (Response.TENTATIVE, _("Tentative ({count})")),
    (Response.DECLINED, _("Declined ({count})")),
    (Response.NEEDS_ACTION, _("No answer ({count})")),
)
BUTTON_MARGIN = timedelta(days=1)
SERIES_BUTTONS = timedelta(days=180)


def clock(at: datetime, reader: MemberView) -> str:
    """``15:00`` in the reader's zone."""
    zone = ZoneInfo(reader.timezone)
    return format_skeleton("Hm", at.astimezone(zone), tzinfo=zone, locale=_babel(reader))


def time_range(start: datetime, end: datetime, reader: MemberView, now: datetime) -> str:
    """``Tue, Dec 1 15:00–16:00`` (the end day too when it differs) in the reader's zone."""
    zone = ZoneInfo(reader.timezone)
    first = moment(start, reader.locale, reader.timezone, now=now)
    if start.astimezone(zone).date() == end.astimezone(zone).date():
        return f"{first}–{clock(end, reader)}"
    return f"{first} – {moment(end, reader.locale, reader.timezone, now=now)}"


def length(span: timedelta, locale: str) -> str:
    """``1 h 30 min`` / ``1小时30分钟``."""
    hours, minutes = divmod(int(span.total_seconds()) // 60, 60)
    if hours and minutes:
        return t(locale, _("{hours} h {minutes} min"), hours=hours, minutes=minutes)
    if hours:
        return t(locale, _("{hours} h"), hours=hours)
    return t(locale, _("{minutes} min"), minutes=minutes)


def names(people: list[Person]) -> str:
    """``Bob, Carol`` or a dash."""
    return ", ".join(p.name for p in people) or "—"


def _babel(reader: MemberView) -> str:
    return normalise_locale(reader.locale)


def _when_fields(event: EventView, reader: MemberView, now: datetime) -> list[CardField]:
    locale = reader.locale
    fields = [
        CardField(t(locale, _("When")), time_range(event.starts_at, event.ends_at, reader, now)),
        CardField(t(locale, _("Duration")), length(event.duration, locale)),
    ]
    if event.recurrence:
        fields.append(CardField(t(locale, _("Repeats")), repeat_text(locale, event.recurrence)))
    if event.place:
        fields.append(CardField(t(locale, _("Where")), event.place))
    return fields


def button_ttl(event: EventView, now: datetime) -> timedelta:
    """How long a meeting's buttons work: until it is over (a day more), or half a year for a
    series."""
    if event.recurrence:
        return SERIES_BUTTONS
    return max(event.ends_at - now, timedelta(0)) + BUTTON_MARGIN


def organiser_card(event: EventView, reader: MemberView, now: datetime) -> Card:
    """The organiser's card: the meeting and who answered what."""
    locale = reader.locale
    if event.cancelled:
        return _cancelled(event, reader, now, t(locale, _("You cancelled this meeting.")))
    fields = _when_fields(event, reader, now)
    alarm = (
        t(locale, _("{span} before"), span=length(timedelta(minutes=event.alarm_minutes), locale))
        if event.alarm_minutes is not None
        else t(locale, _("none"))
    )
    fields.append(CardField(t(locale, _("Alarm")), alarm))
    for response, label in TALLY:
        people = event.answered(response)
        fields.append(CardField(t(locale, label, count=len(people)), names(people)))
    cancel = Button(
        t(locale, _("Cancel meeting")),
        Action(CANCEL, str(event.id), allowed=(reader.id,), ttl=button_ttl(event, now)),
        style=ButtonStyle.DANGER,
        command=f"/meeting cancel {event.id}",
    )
    return Card(
        title=t(locale, _("📅 Meeting #{id}: {title}"), id=event.id, title=event.title),
        body=event.notes,
        fields=tuple(fields),
        buttons=(cancel,),
        footer=t(locale, _("To move it: /meeting move {id} WHEN"), id=event.id),
        status=CardStatus.INFO,
    )


def invitation_card(event: EventView, reader: MemberView, now: datetime, note: str = "") -> Card:
    """An attendee's invitation, with the answers they can still give."""
    locale = reader.locale
    if event.cancelled:
        body = t(locale, _("{name} cancelled this meeting."), name=event.organiser.name)
        return _cancelled(event, reader, now, body)
    me = event.attendee(reader.id)
    answer = me.response if me else Response.NEEDS_ACTION
    others = [a.person for a in event.attendees if a.person.id != reader.id]
    fields = _when_fields(event, reader, now)
    fields += [
        CardField(t(locale, _("Organiser")), event.organiser.name),
        CardField(t(locale, _("Also invited")), names(others)),
        CardField(t(locale, _("Your answer")), t(locale, ANSWER_NAMES[Response(answer)])),
    ]
    body = note or t(
        locale, _("{name} invites you to meeting #{id}."), name=event.organiser.name, id=event.id
    )
    return Card(
        title=t(locale, _("📅 Invitation: {title}"), title=event.title),
        body="\n".join(filter(None, [body, event.notes])),
        fields=tuple(fields),
        buttons=_answer_buttons(event, reader, answer, now),
        status=ANSWER_STATUS[Response(answer)],
    )


def _answer_buttons(
    event: EventView, reader: MemberView, answer: str, now: datetime
) -> tuple[Button, ...]:
    ttl = button_ttl(event, now)
    return tuple(
        Button(
            t(reader.locale, label),
            Action(
                RESPOND,
                str(event.id),
                args={"response": str(response)},
                allowed=(reader.id,),
                single_use=False,  # answers may change; the same answer twice changes nothing
                ttl=ttl,
            ),
            style=ButtonStyle.PRIMARY if response is Response.ACCEPTED else ButtonStyle.DEFAULT,
            command=f"/meeting {ANSWER_WORDS[response]} {event.id}",
        )
        for response, label in ANSWER_LABELS.items()
        if response != answer
    )


def _cancelled(event: EventView, reader: MemberView, now: datetime, body: str) -> Card:
    locale = reader.locale
    return Card(
        title=t(locale, _("❌ Cancelled: {title}"), title=event.title),
        body=body,
        fields=tuple(_when_fields(event, reader, now)),
        status=CardStatus.DANGER,
    )


def alarm_card(event: EventView, starts_at: datetime, reader: MemberView, now: datetime) -> Card:
    """The alarm before a meeting."""
    locale = reader.locale
    ahead = max(starts_at - now, timedelta(0))
    with_ = [p for p in event.participants() if p.id != reader.id]
    fields = [
        CardField(
            t(locale, _("When")), time_range(starts_at, starts_at + event.duration, reader, now)
        )
    ]
    if event.place:
        fields.append(CardField(t(locale, _("Where")), event.place))
    fields.append(CardField(t(locale, _("With")), names(with_)))
    title = (
        t(locale, _("🔔 {title} starts in {span}"), title=event.title, span=length(ahead, locale))
        if ahead >= timedelta(minutes=1)
        else t(locale, _("🔔 {title} starts now"), title=event.title)
    )
    return Card(title=title, fields=tuple(fields), status=CardStatus.PENDING)


def missed_card(
    event: EventView, starts_at: datetime, due_at: datetime, reader: MemberView, now: datetime
) -> Card:
    """Said instead of an alarm that could only be given after the meeting had started."""
    locale = reader.locale
    return Card(
        title=t(locale, _("⚠ Missed while offline: {title}"), title=event.title),
        body=t(
            locale,
            _(
                "Bizbot was not running when the alarm was due ({due}); "
                "the meeting started at {start}."
            ),
            due=moment(due_at, locale, reader.timezone, now=now),
            start=moment(starts_at, locale, reader.timezone, now=now),
        ),
        status=CardStatus.WARNING,
    )


def clash_text(
    clashes: list[Busy],
    away: list[AbsenceView],
    people: dict[int, Person],
    reader: MemberView,
    event_id: int,
    now: datetime,
) -> str:
    """Who is already busy (or on approved leave) during the meeting, and when; the meeting
    stands regardless."""
    locale = reader.locale

    def who(member_id: int) -> str:
        person = people[member_id]
        return (
            t(locale, _("you")) if person.id == reader.id else f"{person.name} (@{person.handle})"
        )

    lines = [t(locale, _("⚠ Some people are busy then:"))]
    for busy in clashes:
        lines.append(
            f"• {who(busy.member_id)}: {time_range(busy.starts_at, busy.ends_at, reader, now)}"
        )
    for leave in away:
        first, last = day_text(leave.first, locale), day_text(leave.last, locale)
        on_leave = t(locale, _("on leave {first} – {last}"), first=first, last=last)
        lines.append(f"• {who(leave.member_id)}: {on_leave}")
    lines.append(
        t(
            locale,
            _("The meeting stands; to find another time: /meeting move {id} WHEN"),
            id=event_id,
        )
    )
    return "\n".join(lines)

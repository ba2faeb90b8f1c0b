"""The meeting alarm: due before each occurrence, it tells everyone going; when it could only
be given after the meeting had started (Bizbot was down), it says the alarm was missed."""

from __future__ import annotations

from bot.context import TimerContext
from commands.calendar.cards import alarm_card, missed_card
from domain.calendar.services import alarm_occurrence, schedule_next_alarm, subject_of
from domain.calendar.views import load_events
from domain.timers.services import TimerView


def fire_meeting_alarm(ctx: TimerContext, timer: TimerView) -> None:
    """Alarm (or missed notice) to the organiser and every attendee who has not declined."""
    found = load_events(ctx.session, [int(timer.payload["event_id"])])
    if not found or found[0].cancelled:
        return
    event = found[0]
    starts_at = alarm_occurrence(event, timer.due_at)
    for person in event.participants():
        reader = ctx.member(person.id)
        if not reader.active:
            continue
        card = (
            missed_card(event, starts_at, timer.due_at, reader, ctx.now)
            if ctx.expired
            else alarm_card(event, starts_at, reader, ctx.now)
        )
        ctx.notify(person.id, card, subject=subject_of(event.id))
    schedule_next_alarm(ctx.session, event.id, after=starts_at, now=ctx.now)

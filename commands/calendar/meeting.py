"""/meeting: create a meeting and invite people, answer, cancel and move it.

The organiser's card shows the answers and is edited in place as they come in; each attendee's
invitation card is edited in place when they answer, or when the meeting is cancelled or moved.
Clashes with busy time are reported, but the meeting is created anyway: the organiser usually
knows better (a clash may be the meeting being replaced) and can move it with one command.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import ArgumentError, record_number, split_command
from bot.picking import Ambiguous, Option, pick_card, replaced
from bot.replies import Card, Message, Reply
from bot.timeparse import Moment, When, split_when
from commands.approvals.absence import away_during
from commands.calendar.cards import (
    ANSWER_NAMES,
    clash_text,
    invitation_card,
    organiser_card,
    time_range,
)
from commands.calendar.grammar import DATE_ONLY, LEFTOVER, MeetingText, read_meeting
from domain.calendar.busy import clashes
from domain.calendar.models import Response
from domain.calendar.services import (
    DEFAULT_ALARM_MINUTES,
    MeetingRequest,
    cancel_meeting,
    create_meeting,
    move_meeting,
    record_cards,
    respond,
    subject_of,
)
from domain.calendar.views import EventView, Person
from domain.directory.services import member_view, members_named
from domain.directory.views import MemberView
from domain.shared.errors import DomainError, Forbidden

log = get_logger("bizbot.calendar")

DEFAULT_DURATION = timedelta(hours=1)
CANCEL_WORDS = frozenset({"cancel", "取消"})
MOVE_WORDS = frozenset({"move", "reschedule", "改期", "改到", "改时间"})
ANSWER_WORDS = {
    "accept": Response.ACCEPTED,
    "接受": Response.ACCEPTED,
    "decline": Response.DECLINED,
    "拒绝": Response.DECLINED,
    "tentative": Response.TENTATIVE,
    "maybe": Response.TENTATIVE,
    "待定": Response.TENTATIVE,
}
WHICH_MEETING = _(
    "Which meeting, and (to move it) when? For example: /meeting cancel 12, "
    "/meeting move 12 tomorrow 4pm, /meeting accept 12"
)


class MeetingArgs(BaseModel):
    """``/meeting TITLE WHEN [for DURATION] with @a @b [at PLACE]`` or ``/meeting cancel N``."""

    text: str = Field(description=_("title, when, with whom"), json_schema_extra={"rest": True})


def meeting(ctx: CommandContext, args: MeetingArgs) -> Message | None:
    """Create a meeting, or cancel, move or answer one (``cancel N``, ``move N WHEN``)."""
    words = _typed_words(ctx, args)
    head = words[0].lower() if words else ""
    number = record_number(words[1]) if len(words) > 1 else None
    if number is not None and head in CANCEL_WORDS and len(words) == 2:
        return cancel(ctx, number)
    if number is not None and head in MOVE_WORDS and len(words) > 2:
        return move(ctx, number, words[2:])
    if number is not None and head in ANSWER_WORDS and len(words) == 2:
        return answer(ctx, number, ANSWER_WORDS[head])
    if head in CANCEL_WORDS | MOVE_WORDS | ANSWER_WORDS.keys() and len(words) <= 2:
        raise DomainError(WHICH_MEETING)
    create(ctx, read_meeting(words, ctx.locale, ctx.actor.timezone, ctx.now))
    return None


def _typed_words(ctx: CommandContext, args: MeetingArgs) -> list[str]:
    """The words as typed, quotes honoured (the argument binder joins them with spaces)."""
    line = split_command(ctx.event.text) if ctx.event.text else None
    return line.words if line is not None and line.words else args.text.split()


def create(ctx: CommandContext, text: MeetingText) -> None:
    """Create the meeting, send the invitations, and warn about clashes."""
    attendees = _attendees(ctx, text.handles)
    starts_at, rule = schedule_of(text.when, ctx.now)
    request = MeetingRequest(
        title=text.title,
        starts_at=starts_at,
        duration=text.duration or DEFAULT_DURATION,
        organiser_id=ctx.actor.id,
        attendee_ids=tuple(a.id for a in attendees),
        place=text.place,
        notes=text.notes,
        recurrence=rule,
        alarm_minutes=text.alarm_minutes if text.alarm_given else DEFAULT_ALARM_MINUTES,
    )
    event = create_meeting(ctx.session, request, ctx.now)
    subject = subject_of(event.id)
    mine = ctx.reply(organiser_card(event, ctx.actor, ctx.now), subject=subject)
    cards = {
        a.person.id: ctx.notify(
            a.person.id, invitation_card(event, _reader(ctx, a.person), ctx.now), subject=subject
        )
        for a in event.attendees
    }
    record_cards(ctx.session, event.id, mine, cards)
    _warn_of_clashes(ctx, event)


def _attendees(ctx: CommandContext, handles: tuple[str, ...]) -> list[MemberView]:
    """The members invited: by @handle, or by name (several with that name: pick one)."""
    found: list[MemberView] = []
    for handle in handles:
        member = _member_named(ctx, handle)
        if member.id != ctx.actor.id and member not in found:
            found.append(member)
    return found


def _member_named(ctx: CommandContext, name: str) -> MemberView:
    matches = members_named(ctx.session, name)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DomainError(_("I don't know {who}. Name a colleague as @handle."), who=name)
    options = [
        Option(
            f"{m.name} (@{m.handle})",
            replaced(ctx.event.text, name, f"@{m.handle}"),
        )
        for m in matches
    ]
    raise Ambiguous(pick_card(ctx.t(_("Which {name} do you mean?"), name=name), options))


def schedule_of(when: When, now: datetime) -> tuple[datetime, str | None]:
    """The first start and the stored repeat rule of a parsed time."""
    if isinstance(when, Moment):
        return when.at, None
    return when.next_after(now), when.to_rrule()


def _reader(ctx: CommandContext, person: Person) -> MemberView:
    return ctx.actor if person.id == ctx.actor.id else member_view(ctx.session, person.id)


def _warn_of_clashes(ctx: CommandContext, event: EventView) -> None:
    people = {p.id: p for p in [event.organiser, *(a.person for a in event.attendees)]}
    away = away_during(ctx, list(people), event.starts_at, event.ends_at)
    on_leave = {leave.member_id for leave in away}  # their leave's block says no more than that
    found = [busy for busy in clashes(ctx.session, event) if busy.member_id not in on_leave]
    if found or away:
        ctx.reply(Reply(clash_text(found, away, people, ctx.actor, event.id, ctx.now)))


def answer(ctx: CommandContext, event_id: int, response: Response) -> Message | None:
    """Record the actor's answer and update their invitation and the organiser's tally."""
    try:
        event, changed = respond(ctx.session, event_id, ctx.actor.id, response, ctx.now)
    except Forbidden:
        log.warning("refused.not_invited", member=ctx.actor.handle, event_id=event_id)
        raise
    said = ctx.t(ANSWER_NAMES[response])
    if not changed:
        return Reply(ctx.t(_("You have already answered: {answer}."), answer=said))
    me = event.attendee(ctx.actor.id)
    assert me is not None
    replace_card(ctx, event, ctx.actor, me.card_id, invitation_card(event, ctx.actor, ctx.now))
    _refresh_organiser(ctx, event)
    if ctx.card_id is None:  # typed rather than tapped: say it was done
        return Reply(ctx.t(_("Your answer to meeting #{id}: {answer}."), id=event_id, answer=said))
    return None


def _refresh_organiser(ctx: CommandContext, event: EventView) -> None:
    organiser = _reader(ctx, event.organiser)
    card = organiser_card(event, organiser, ctx.now)
    replace_card(ctx, event, organiser, event.organiser_card_id, card)


def replace_card(
    ctx: CommandContext, event: EventView, reader: MemberView, card_id: int | None, card: Card
) -> None:
    """Edit a member's card about the meeting in place, or send it anew if it is gone."""
    if card_id is not None and card_id == ctx.card_id and reader.id == ctx.actor.id:
        ctx.edit_card(card)
        return
    if card_id is not None:
        try:
            ctx.outbox.edit(card_id, card, recipient_id=reader.id)
            return
        except LookupError:
            log.info("meeting.card_gone", event_id=event.id, card_id=card_id)
    new_id = ctx.notify(reader.id, card, subject=subject_of(event.id))
    if reader.id == event.organiser.id:
        record_cards(ctx.session, event.id, new_id, {})
    else:
        record_cards(ctx.session, event.id, None, {reader.id: new_id})


def cancel(ctx: CommandContext, event_id: int) -> Message | None:
    """Call the meeting off (organiser only): every card says so, attendees are told."""
    try:
        event = cancel_meeting(ctx.session, event_id, ctx.actor.id, ctx.now)
    except Forbidden:
        log.warning("refused.not_organiser", member=ctx.actor.handle, event_id=event_id)
        raise
    _refresh_organiser(ctx, event)
    for attendee in event.attendees:
        reader = member_view(ctx.session, attendee.person.id)
        replace_card(ctx, event, reader, attendee.card_id, invitation_card(event, reader, ctx.now))
        if attendee.response != Response.DECLINED:
            ctx.notify(reader.id, Reply(_change_notice(event, reader, ctx.now, moved=False)))
    if ctx.card_id is None:
        return Reply(ctx.t(_("Meeting #{id} is cancelled; the attendees were told."), id=event_id))
    return None


def move(ctx: CommandContext, event_id: int, words: list[str]) -> Message:
    """Move the meeting (organiser only): cards show the new time, answers start over.

    A repeat (``every Monday 10am``) makes it a series, a single time a single meeting.
    """
    when, rest = split_when(words, ctx.locale, ctx.actor.timezone, ctx.now)
    if rest:
        raise ArgumentError(LEFTOVER, words=" ".join(rest))
    if isinstance(when, Moment) and when.date_only:
        raise ArgumentError(DATE_ONLY)
    starts_at, rule = schedule_of(when, ctx.now)
    try:
        event = move_meeting(ctx.session, event_id, ctx.actor.id, starts_at, rule, ctx.now)
    except Forbidden:
        log.warning("refused.not_organiser", member=ctx.actor.handle, event_id=event_id)
        raise
    _refresh_organiser(ctx, event)
    for attendee in event.attendees:
        reader = member_view(ctx.session, attendee.person.id)
        notice = _change_notice(event, reader, ctx.now, moved=True)
        card = invitation_card(event, reader, ctx.now, note=notice)
        replace_card(ctx, event, reader, attendee.card_id, card)
        ctx.notify(reader.id, Reply(notice))
    _warn_of_clashes(ctx, event)
    when_text = time_range(event.starts_at, event.ends_at, ctx.actor, ctx.now)
    return Reply(ctx.t(_("Meeting #{id} moved to {when}."), id=event_id, when=when_text))


def _change_notice(event: EventView, reader: MemberView, now: datetime, *, moved: bool) -> str:
    when = time_range(event.starts_at, event.ends_at, reader, now)
    params = {"name": event.organiser.name, "id": event.id, "title": event.title, "when": when}
    if moved:
        return t(reader.locale, _("🔁 {name} moved meeting #{id} ({title}) to {when}."), **params)
    return t(reader.locale, _("❌ {name} cancelled meeting #{id} ({title}, {when})."), **params)


def respond_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Accept / Tentative / Decline on an invitation card."""
    return answer(ctx, int(target), Response(str(args["response"])))


def cancel_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Cancel meeting on the organiser's card."""
    return cancel(ctx, int(target))

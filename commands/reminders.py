"""/remind and /reminders: reminders for yourself, a colleague or a conversation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext, TimerContext
from bot.events import Address
from bot.formatting import duration, moment, repeat_text
from bot.i18n import _, t
from bot.logging import get_logger
from bot.parsing import RecordNumber
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Message
from bot.replies import Field as CardField
from bot.router import ActionSpec, CommandSpec, Router
from bot.timeparse import Moment, When, split_when
from domain.directory.roles import Permission
from domain.directory.services import find_member
from domain.directory.views import MemberView
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.shared.recurrence import local_to_utc
from domain.timers.reminders import (
    KIND,
    Guard,
    ReminderRequest,
    cancel_reminder,
    guard_holds,
    reminders_of,
    set_reminder,
    snooze,
)
from domain.timers.services import TimerView

log = get_logger("bizbot.reminders")

SELF_WORDS = {"me", "myself", "我", "自己"}
HERE_WORDS = {"#here", "#channel", "#这里", "#本群"}
LATE_NOTE_AFTER = timedelta(minutes=2)
LISTED = 10
# English: "about approval 42 if still pending"; Chinese: "审批42 如果还是 待审批"
GUARD_EN = re.compile(
    r"\b(?:about\s+)?(?P<type>[a-z_]+)\s+#?(?P<id>\d+)\s+if\s+still\s+(?P<state>[a-z_]+)\b", re.I
)
GUARD_ZH = re.compile(
    r"(?P<type>[\u4e00-\u9fff]+)\s*#?(?P<id>\d+)\s*(?:如果|若)(?:还|仍|仍然|还是)?是?\s*(?P<state>\S+)"
)
CHINESE_RECORD_TYPES = {"审批": "approval", "商机": "deal", "工单": "ticket", "订单": "order"}


class RemindArgs(BaseModel):
    """``/remind me|@member|#here WHEN TEXT``."""

    who: str = Field(description=_("who"))
    rest: str = Field(default="", description=_("when and what"), json_schema_extra={"rest": True})


class RemindersArgs(BaseModel):
    """``/reminders [cancel N]``."""

    action: Literal["cancel", "list"] = Field(
        default="list",
        description=_("action"),
        json_schema_extra={"words": {"cancel": ["取消", "删除"], "list": ["列表", "查看"]}},
    )
    number: RecordNumber | None = Field(default=None, description=_("number"))


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a reminder is for: a member, or the conversation it was set in."""

    member: MemberView | None
    conversation: Address | None


def remind(ctx: CommandContext, args: RemindArgs) -> Message:
    """Set a reminder."""
    who, rest = _unglued(args.who, args.rest)
    target = _target(ctx, who)
    when, words = split_when(rest.split(), ctx.locale, ctx.actor.timezone, ctx.now)
    text = " ".join(words).strip()
    if not text:
        raise DomainError(_("What should I remind about? Add the text after the time."))
    due_at, rule = _schedule_of(when, ctx.now)
    request = ReminderRequest(
        text=text,
        due_at=due_at,
        set_by=ctx.actor.id,
        for_member=target.member.id if target.member else None,
        recurrence=rule,
        conversation=_address_dict(target.conversation),
        guard=_guard_in(text),
    )
    with _logged_refusal(ctx, NotFound, "refused.reminder_record", guard=request.guard):
        timer_id = set_reminder(ctx.session, request, ctx.now, ctx.policies.record_states)
    return _confirmation(ctx, timer_id, request, target)


def _unglued(who: str, rest: str) -> tuple[str, str]:
    """``我明天下午两点半交报告`` as ``我`` and ``明天下午两点半交报告``: Chinese runs the words
    together."""
    for word in sorted((w for w in SELF_WORDS | HERE_WORDS if not w.isascii()), key=len)[::-1]:
        if who.startswith(word) and len(who) > len(word):
            return word, f"{who[len(word) :]} {rest}".strip()
    return who, rest


def _target(ctx: CommandContext, who: str) -> Target:
    word = who.lower()
    if word in SELF_WORDS:
        return Target(ctx.actor, None)
    if not ctx.may(Permission.REMIND_OTHERS):
        log.warning("refused.permission", member=ctx.actor.handle, command="remind", who=who)
        raise Forbidden(_("You may set reminders only for yourself."))
    if word in HERE_WORDS:
        return Target(None, ctx.origin)
    member = find_member(ctx.session, who)
    if member is None or not member.active:
        raise DomainError(_("I don't know {who}. Use me, @handle or #here."), who=who)
    return Target(member, None)


def _schedule_of(when: When, now: datetime) -> tuple[datetime, str | None]:
    if isinstance(when, Moment):
        return when.at, None
    return when.next_after(now), when.to_rrule()


def _address_dict(address: Address | None) -> dict[str, str] | None:
    if address is None:
        return None
    return {
        "channel": address.channel,
        "conversation": address.conversation,
        "workspace": address.workspace,
    }


def _guard_in(text: str) -> Guard | None:
    found = GUARD_EN.search(text) or GUARD_ZH.search(text)
    if found is None:
        return None
    record_type = CHINESE_RECORD_TYPES.get(found["type"], found["type"].lower())
    return Guard(record_type, found["id"], found["state"].lower())


def _confirmation(
    ctx: CommandContext, timer_id: int, request: ReminderRequest, target: Target
) -> Card:
    fields = [
        CardField(
            ctx.t(_("When")), moment(request.due_at, ctx.locale, ctx.actor.timezone, now=ctx.now)
        )
    ]
    if request.recurrence:
        fields.append(CardField(ctx.t(_("Repeats")), repeat_text(ctx.locale, request.recurrence)))
    if target.member and target.member.id != ctx.actor.id:
        fields.append(CardField(ctx.t(_("For")), f"{target.member.name} (@{target.member.handle})"))
    if target.conversation:
        fields.append(CardField(ctx.t(_("For")), ctx.t(_("everyone here"))))
    if request.guard:
        g = request.guard
        fields.append(CardField(ctx.t(_("Only if")), f"{g.record_type} {g.record_id}: {g.state}"))
    cancel = Button(
        ctx.t(_("Cancel")),
        Action("reminder.cancel", target=str(timer_id)),
        command=f"/reminders cancel {timer_id}",
    )
    return Card(
        title=ctx.t(_("Reminder #{id} set"), id=timer_id),
        body=request.text,
        fields=tuple(fields),
        buttons=(cancel,),
        status=CardStatus.SUCCESS,
    )


def list_or_cancel(ctx: CommandContext, args: RemindersArgs) -> Message:
    """List the actor's reminders, or cancel one by number."""
    if args.action == "cancel":
        if args.number is None:
            raise DomainError(_("Which reminder? For example: /reminders cancel 12"))
        return _cancelled(ctx, args.number)
    return _list_card(ctx)


def _list_card(ctx: CommandContext, headline: str = "") -> Card:
    """The actor's reminders, with a Cancel button for the first few (each redraws this list)."""
    pending = reminders_of(ctx.session, ctx.actor.id)
    if not pending:
        return Card(
            title=ctx.t(_("No reminders")),
            body="\n".join(
                part
                for part in (headline, ctx.t(_("Set one with /remind me tomorrow 9am call Bob")))
                if part
            ),
        )
    lines = [_line(ctx, r) for r in pending[:LISTED]]
    buttons = tuple(
        Button(
            ctx.t(_("Cancel #{id}"), id=r.id),
            Action("reminder.cancel", target=str(r.id), args={"from": "list"}),
            command=f"/reminders cancel {r.id}",
        )
        for r in pending[:5]
    )
    more = (
        ctx.t(_("and {count} more"), count=len(pending) - LISTED) if len(pending) > LISTED else ""
    )
    return Card(
        title=ctx.t(_("Your reminders ({count})"), count=len(pending)),
        body="\n".join(part for part in (headline, *lines) if part),
        buttons=buttons,
        footer=more,
    )


def _line(ctx: CommandContext, reminder: TimerView) -> str:
    when = moment(reminder.due_at, ctx.locale, ctx.actor.timezone, now=ctx.now)
    repeat = " 🔁" if reminder.recurrence else ""
    return f"#{reminder.id} · {when}{repeat} · {reminder.payload.get('text', '')}"


def _cancelled(ctx: CommandContext, timer_id: int) -> Card:
    with _logged_refusal(ctx, Forbidden, "refused.reminder_not_yours", reminder=timer_id):
        reminder = cancel_reminder(ctx.session, ctx.actor.id, timer_id)
    return Card(
        title=ctx.t(_("Reminder #{id} cancelled"), id=timer_id),
        body=str(reminder.payload.get("text", "")),
        status=CardStatus.WARNING,
    )


def cancel_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """The Cancel button on a reminder card; on the list, the list loses that reminder."""
    cancelled = _cancelled(ctx, int(target))
    if args.get("from") == "list":
        ctx.edit_card(_list_card(ctx, cancelled.title))
    else:
        ctx.edit_card(cancelled)
    return None


def snooze_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """A snooze button: remind again later and say until when on the card."""
    until = _snooze_until(ctx, args)
    with _logged_refusal(ctx, Forbidden, "refused.reminder_not_yours", reminder=target):
        snooze(ctx.session, ctx.actor.id, int(target), until, ctx.now)
    ctx.edit_card(
        Card(
            title=ctx.t(
                _("Snoozed until {when}"),
                when=moment(until, ctx.locale, ctx.actor.timezone, now=ctx.now),
            ),
            body=str(args.get("text", "")),
            status=CardStatus.INFO,
        )
    )
    return None


@contextmanager
def _logged_refusal(
    ctx: CommandContext, refusal: type[DomainError], event: str, **about: object
) -> Iterator[None]:
    """Log a refusal (someone else's reminder; a record that does not exist or that the
    member may not see) before it becomes the member's answer."""
    try:
        yield
    except refusal:
        log.warning(event, member=ctx.actor.handle, **about)
        raise


def _snooze_until(ctx: CommandContext, args: dict[str, Any]) -> datetime:
    if args.get("tomorrow"):
        local = ctx.now.astimezone(ZoneInfo(ctx.actor.timezone))
        return local_to_utc(
            datetime.combine(local.date() + timedelta(days=1), time(9)), ctx.actor.timezone
        )
    return ctx.now + timedelta(minutes=int(args.get("minutes", 10)))


def fire_reminder(ctx: TimerContext, timer: TimerView) -> None:
    """A reminder's time has come: show the card, unless its record has moved on."""
    if not guard_holds(ctx.session, timer.payload, ctx.policies.record_states):
        return
    assert timer.owner_id is not None
    owner = ctx.member(timer.owner_id)
    card = _reminder_card(ctx, timer, owner)
    conversation = timer.payload.get("conversation")
    if conversation:
        ctx.outbox.send(
            Address(**conversation), card, recipient_id=None, subject=f"reminder:{timer.id}"
        )
    else:
        ctx.notify(owner.id, card, subject=f"reminder:{timer.id}")


def _reminder_card(ctx: TimerContext, timer: TimerView, owner: MemberView) -> Card:
    locale, text = owner.locale, str(timer.payload.get("text", ""))
    fields = []
    set_by = timer.payload.get("set_by")
    if set_by and set_by != owner.id:
        setter = ctx.member(int(set_by))
        fields.append(CardField(t(locale, _("Set by")), f"{setter.name} (@{setter.handle})"))
    footer = ""
    if ctx.late > LATE_NOTE_AFTER:
        footer = t(
            locale,
            _("Delayed by {late}: an earlier attempt to remind you failed.")
            if timer.last_error
            else _("Delayed by {late}: Bizbot was not running at the time."),
            late=duration(ctx.late, locale),
        )
    snoozes = (
        Button(
            t(locale, _("10 min")),
            Action("reminder.snooze", target=str(timer.id), args={"minutes": 10, "text": text}),
        ),
        Button(
            t(locale, _("1 hour")),
            Action("reminder.snooze", target=str(timer.id), args={"minutes": 60, "text": text}),
        ),
        Button(
            t(locale, _("Tomorrow")),
            Action("reminder.snooze", target=str(timer.id), args={"tomorrow": True, "text": text}),
        ),
    )
    stop = (
        (
            Button(
                t(locale, _("Stop repeating")),
                Action("reminder.cancel", target=str(timer.id)),
                style=ButtonStyle.DANGER,
            ),
        )
        if timer.recurrence
        else ()
    )
    return Card(
        title="⏰ " + t(locale, _("Reminder")),
        body=text,
        fields=tuple(fields),
        buttons=snoozes + stop,
        footer=footer,
        status=CardStatus.PENDING,
    )


def register(router: Router) -> None:
    """Register /remind, /reminders and the reminder buttons."""
    router.add(
        CommandSpec(
            name="remind",
            summary=_("Remind yourself, a colleague or this conversation"),
            handler=remind,
            args=RemindArgs,
            aliases=("提醒",),
            details=_(
                'Say who (me, @handle or #here), when, then what. Add "about approval 42 if '
                'still pending" to skip it once the record has moved on.'
            ),
            examples=(
                _("/remind me tomorrow 9am call Bob"),
                _("/remind @bob in 2 hours send the report"),
                _("/remind #here every Monday 9am standup"),
            ),
        )
    )
    router.add(
        CommandSpec(
            name="reminders",
            summary=_("List your reminders, or cancel one"),
            handler=list_or_cancel,
            args=RemindersArgs,
            aliases=("我的提醒",),
            examples=(_("/reminders"), _("/reminders cancel 12")),
        )
    )
    router.add_action(ActionSpec(name="reminder.cancel", handler=cancel_button))
    router.add_action(ActionSpec(name="reminder.snooze", handler=snooze_button))


TIMER_HANDLERS = {KIND: fire_reminder}

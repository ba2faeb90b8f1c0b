"""/delegate: let a colleague approve for you while you are away, and /leave balance."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.formatting import moment
from bot.i18n import _
from bot.parsing import record_number
from bot.replies import Action, Button, Card, CardStatus, Message, Reply
from bot.timeparse import Moment, UnparsableTime, parse_when
from commands.approvals.common import log, sees_all, typed_words
from commands.approvals.present import Names
from domain.approvals.delegation import DelegationView, cancel_delegation, delegate, delegations_of
from domain.approvals.fields import read_date
from domain.approvals.leave import balances
from domain.approvals.people import member_id_by_handle
from domain.shared.errors import DomainError, Forbidden, NotFound
from domain.shared.recurrence import local_to_utc

FILLER = {"from", "to", "until", "从", "到", "至", "-", "~", "至今"}
BALANCE_WORDS = {"balance", "balances", "余额", "假期余额"}


class DelegateArgs(BaseModel):
    """``/delegate @member from DATE to DATE``, ``/delegate list``, ``/delegate cancel N``."""

    member: str | None = Field(default=None, description=_("@member"))
    dates: str = Field(
        default="", description=_("from DATE to DATE"), json_schema_extra={"rest": True}
    )


def delegate_command(ctx: CommandContext, _args: DelegateArgs) -> Message:
    """Set, list or cancel delegations."""
    words = typed_words(ctx)
    if not words or words[0].lower() in ("list", "列表"):
        return delegations_card(ctx)
    number = record_number(words[1]) if len(words) > 1 else None
    if words[0].lower() in ("cancel", "取消") and number is not None:
        ended = _cancel(ctx, number)
        return Reply(ctx.t(_("Delegation {id} ended."), id=ended.id))
    deputy = member_id_by_handle(ctx.session, words[0])
    if deputy is None:
        raise NotFound(_("I don't know {who}. Use @handle."), who=words[0])
    first, last = _dates(ctx, words[1:])
    tz = ctx.actor.timezone
    window = (
        max(ctx.now, local_to_utc(datetime.combine(first, time(0)), tz)),
        local_to_utc(datetime.combine(last + timedelta(days=1), time(0)), tz),
    )
    made = delegate(ctx.session, ctx.actor.id, deputy, window, ctx.now, created_by=ctx.actor.id)
    return _made_card(ctx, made)


def _dates(ctx: CommandContext, words: list[str]) -> tuple[date, date]:
    today = ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()
    days = [_day(ctx, w, today) for w in words if w.lower() not in FILLER]
    if not days or len(days) > 2:
        raise DomainError(
            _("Say from when to when, for example: /delegate @bob from 2026-12-01 to 2026-12-05")
        )
    first, last = days[0], days[-1]
    if last < first:
        raise DomainError(_("The last day is before the first."))
    return first, last


def _day(ctx: CommandContext, word: str, today: date) -> date:
    found = read_date(word, today)
    if found is not None:
        return found
    try:
        when = parse_when(word, ctx.locale, ctx.actor.timezone, ctx.now)
    except UnparsableTime as exc:
        raise DomainError(_("I can't read {word} as a date."), word=word) from exc
    if not isinstance(when, Moment):
        raise DomainError(_("I can't read {word} as a date."), word=word)
    return when.at.astimezone(ZoneInfo(ctx.actor.timezone)).date()


def _made_card(ctx: CommandContext, made: DelegationView) -> Card:
    names = Names(ctx.session)
    tz = ctx.actor.timezone
    return Card(
        title=ctx.t(_("{who} approves for you"), who=names.name(made.deputy_id)),
        body=ctx.t(
            _("From {start} until {end}. Tasks that reach you then go to them."),
            start=moment(made.starts_at, ctx.locale, tz, now=ctx.now),
            end=moment(made.ends_at, ctx.locale, tz, now=ctx.now),
        ),
        buttons=(
            Button(
                ctx.t(_("Cancel")),
                Action("approval.undelegate", str(made.id)),
                command=f"/delegate cancel {made.id}",
            ),
        ),
        status=CardStatus.SUCCESS,
    )


def delegations_card(ctx: CommandContext) -> Card:
    """The actor's delegations that have not ended."""
    names = Names(ctx.session)
    found = delegations_of(ctx.session, ctx.actor.id, ctx.now)
    lines = [_delegation_line(ctx, d, names) for d in found]
    return Card(
        title=ctx.t(_("Your delegations ({count})"), count=len(found)),
        body="\n".join(lines)
        or ctx.t(_("Nobody approves for you now. /delegate @member from DATE to DATE")),
    )


def _delegation_line(ctx: CommandContext, d: DelegationView, names: Names) -> str:
    tz = ctx.actor.timezone
    start = moment(d.starts_at, ctx.locale, tz, now=ctx.now)
    end = moment(d.ends_at, ctx.locale, tz, now=ctx.now)
    line = f"#{d.id} → {names.name(d.deputy_id)} · {start} – {end}"
    return line + (" · " + ctx.t(_("from your leave")) if d.source == "leave" else "")


def _cancel(ctx: CommandContext, delegation_id: int) -> DelegationView:
    try:
        return cancel_delegation(ctx.session, ctx.actor.id, delegation_id, ctx.now)
    except Forbidden:
        log.warning("refused.delegation_not_yours", member=ctx.actor.handle, id=delegation_id)
        raise


def undelegate_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Cancel on a delegation card."""
    ended = _cancel(ctx, int(target))
    ctx.edit_card(
        Card(title=ctx.t(_("Delegation {id} ended."), id=ended.id), status=CardStatus.WARNING)
    )
    return None


def balance_card(ctx: CommandContext, words: list[str]) -> Card:
    """``/leave balance [@member] [year]``: days allocated, held, used and left."""
    member_id, year = ctx.actor.id, ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).year
    for word in words:
        if len(word) == 4 and (typed := record_number(word)) is not None:
            year = typed
        elif word.startswith("@"):
            if not sees_all(ctx):
                log.warning("refused.permission", member=ctx.actor.handle, command="leave balance")
                raise Forbidden(_("You may see only your own leave balance."))
            found = member_id_by_handle(ctx.session, word)
            if found is None:
                raise NotFound(_("I don't know {who}. Use @handle."), who=word)
            member_id = found
    rows = balances(ctx.session, member_id, year)
    lines = [
        ctx.t(
            _("{type}: {left} days left ({allocated} allocated, {used} used, {held} pending)"),
            type=b.leave_type,
            left=_days(b.available),
            allocated=_days(b.allocated),
            used=_days(b.used),
            held=_days(b.held),
        )
        for b in rows
    ]
    who = Names(ctx.session).name(member_id)
    return Card(
        title=ctx.t(_("Leave balance of {who}, {year}"), who=who, year=year),
        body="\n".join(lines) or ctx.t(_("No leave allocated for {year}."), year=year),
    )


def _days(value: Any) -> str:
    return format(value.normalize(), "f")


def is_balance_request(words: list[str]) -> bool:
    """``/leave balance`` rather than a leave request."""
    return bool(words) and words[0].lower() in BALANCE_WORDS

"""Answers about where a request stands: for stale buttons, repeated decisions and refusals."""

from __future__ import annotations

from bot.context import CommandContext
from bot.formatting import moment
from bot.i18n import _
from bot.replies import Reply
from commands.approvals.cards import active_step_name
from commands.approvals.common import log, sees_all
from commands.approvals.present import Names, Origins, acting_text, status_text
from domain.approvals import queries
from domain.approvals.state import RequestState, Status, TaskStatus
from domain.approvals.store import load, log_of
from domain.shared.errors import NotFound

DECISIVE = ("approved", "rejected", "withdrawn", "returned", "transferred", "escalated")


def state_answer(ctx: CommandContext, request_id: int) -> Reply:
    """Where request #N stands now, from the actor's side ("already approved by you at …")."""
    state = load(ctx.session, request_id)
    if state is None:
        return Reply(ctx.t(_("There is no approval #{id} that you can see."), id=request_id))
    mine = _my_decision(ctx, state)
    if mine:
        return Reply(mine)
    if state.status != Status.PENDING:
        return Reply(_decided(ctx, state))
    return Reply(
        ctx.t(
            _("Approval #{id} is now at step {step}."),
            id=state.id,
            step=active_step_name(state, ctx.locale),
        )
    )


def _my_decision(ctx: CommandContext, state: RequestState) -> str:
    """``You already approved #42 at Tue 10:03.`` for the actor's latest decided task."""
    mine = [t for t in state.tasks if t.approver == ctx.actor.id and t.decided_at is not None]
    decided = [t for t in mine if t.status in (TaskStatus.APPROVED, TaskStatus.REJECTED)]
    if not decided or (state.status == Status.PENDING and state.pending_for(ctx.actor.id)):
        return ""
    task = decided[-1]
    assert task.decided_at is not None
    when = moment(task.decided_at, ctx.locale, ctx.actor.timezone, now=ctx.now)
    msgid = (
        _("You already approved #{id} at {when}.")
        if task.status == TaskStatus.APPROVED
        else _("You already rejected #{id} at {when}.")
    )
    text = ctx.t(msgid, id=state.id, when=when)
    if state.status != Status.PENDING:
        text += " " + ctx.t(_("It is {status} now."), status=status_text(state.status, ctx.locale))
    return text


def _decided(ctx: CommandContext, state: RequestState) -> str:
    """``Approval #42 is already approved (Carol Chen, Tue 10:03).``"""
    names = Names(ctx.session)
    logged = log_of(ctx.session, state.id)
    last = next((e.event for e in reversed(logged) if e.event.kind in DECISIVE), None)
    status = status_text(state.status, ctx.locale)
    if last is None:
        return ctx.t(_("Approval #{id} is already {status}."), id=state.id, status=status)
    via = Origins.of(logged).via.get(int(last.data.get("tid", 0)), "")
    who = acting_text(last.actor, last.on_behalf_of, via, ctx.locale, names)
    when = moment(last.at, ctx.locale, ctx.actor.timezone, now=ctx.now)
    return ctx.t(
        _("Approval #{id} is already {status} ({who}, {when})."),
        id=state.id,
        status=status,
        who=who,
        when=when,
    )


def visible(ctx: CommandContext, request_id: int, action: str) -> queries.Seen:
    """Request #N, if the actor may see it. Otherwise the attempt is logged and answered as if
    there were no request #N, before anything else is read of it."""
    try:
        return queries.visible_request(
            ctx.session, request_id, ctx.actor.id, sees_all=sees_all(ctx)
        )
    except NotFound:
        refused(ctx, request_id, action)
        raise


def refused(ctx: CommandContext, request_id: int, action: str) -> None:
    """Log an attempt on a request that does not wait for the actor."""
    log.warning(
        "refused.approval_not_yours", member=ctx.actor.handle, request=request_id, action=action
    )

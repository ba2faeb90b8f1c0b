"""Approvers decide: /approve, /reject, /transfer, /addsign, /return, and the card's buttons.

Every button is bound to its approver by the kernel; the domain still checks that the task is
theirs and still pending (compare-and-set), because copies, text commands and other processes
race. A stale button is answered with where the request stands now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError, record_number
from bot.replies import Message, Reply
from commands.approvals.answers import refused, state_answer, visible
from commands.approvals.cards import active_step_name
from commands.approvals.common import BAD_NUMBER, cause_of, log
from commands.approvals.present import Names, status_text
from commands.approvals.publish import publish
from domain.approvals import services
from domain.approvals.engine import AlreadyDecided, NotWaitingForYou
from domain.approvals.people import member_id_by_handle
from domain.approvals.services import Outcome
from domain.approvals.state import RequestState, Status
from domain.shared.errors import NotFound

REASON_PROMPT = "approval.reason"
WHOM_PROMPT = "approval.whom"
WHERE_WORDS = {
    "before": "before",
    "前": "before",
    "之前": "before",
    "after": "after",
    "后": "after",
    "之后": "after",
}
INITIATOR_WORDS = {"initiator", "发起人", "start", "0"}


class ApproveArgs(BaseModel):
    """``/approve N [comment]``."""

    number: str = Field(description=_("number"))
    comment: str = Field(default="", description=_("comment"), json_schema_extra={"rest": True})


class RejectArgs(BaseModel):
    """``/reject N reason``."""

    number: str = Field(description=_("number"))
    reason: str = Field(description=_("reason"), json_schema_extra={"rest": True})


class TransferArgs(BaseModel):
    """``/transfer N @member [reason]``."""

    number: str = Field(description=_("number"))
    member: str = Field(description=_("member"))
    reason: str = Field(default="", description=_("reason"), json_schema_extra={"rest": True})


class AddsignArgs(BaseModel):
    """``/addsign N before|after @member``."""

    number: str = Field(description=_("number"))
    where: Literal["before", "after"] = Field(
        description=_("before|after"),
        json_schema_extra={"words": {"before": ["之前", "前"], "after": ["之后", "后"]}},
    )
    member: str = Field(description=_("member"))


class ReturnArgs(BaseModel):
    """``/return N [to=initiator|STEP] reason``."""

    number: str = Field(description=_("number"))
    to: str | None = Field(
        default=None, description=_("to"), json_schema_extra={"named": True, "aliases": ["退回到"]}
    )
    reason: str = Field(description=_("reason"), json_schema_extra={"rest": True})


def request_number(word: str, command: str) -> int:
    """The request number typed; ArgumentError with an example if it is none."""
    found = record_number(word)
    if found is None:
        raise ArgumentError(BAD_NUMBER, example="/" + command + " 42")
    return found


def act(
    ctx: CommandContext, request_id: int, action: str, work: Callable[[], Outcome]
) -> Outcome | Reply:
    """Check the actor may see the request, run the transition, publish it; a decided request
    or part is answered with where it stands, a request not waiting for the actor is refused."""
    visible(ctx, request_id, action)
    try:
        outcome = work()
    except AlreadyDecided:
        log.info(
            "approval.already_decided", member=ctx.actor.handle, request=request_id, action=action
        )
        return state_answer(ctx, request_id)
    except NotWaitingForYou:
        refused(ctx, request_id, action)
        raise
    publish(ctx, outcome)
    return outcome


def _said(
    ctx: CommandContext, result: Outcome | Reply, msgid: str, **params: Any
) -> Message | None:
    """For typed commands a sentence; for taps nothing (the card itself shows the change)."""
    if isinstance(result, Reply):
        return result
    if ctx.card_id is not None and ctx.event.kind == "action":
        return None
    state = result.after
    text = ctx.t(msgid, id=state.id, **params)
    if state.status == Status.PENDING and state.active is not None:
        text += " " + ctx.t(_("Next: {step}."), step=active_step_name(state, ctx.locale))
    elif state.status != Status.PENDING:
        text += " " + ctx.t(_("It is {status} now."), status=_status(ctx, state.status))
    return Reply(text)


def _status(ctx: CommandContext, status: str) -> str:
    return status_text(status, ctx.locale)


def do_approve(ctx: CommandContext, request_id: int, comment: str) -> Message | None:
    """Approve the actor's part."""
    result = act(
        ctx,
        request_id,
        "approve",
        lambda: services.approve(
            ctx.session, request_id, ctx.actor.id, comment, ctx.now, cause_of(ctx)
        ),
    )
    return _said(ctx, result, _("You approved #{id}."))


def do_reject(ctx: CommandContext, request_id: int, reason: str) -> Message | None:
    """Reject the actor's part, with a reason."""
    result = act(
        ctx,
        request_id,
        "reject",
        lambda: services.reject(
            ctx.session, request_id, ctx.actor.id, reason, ctx.now, cause_of(ctx)
        ),
    )
    return _said(ctx, result, _("You rejected #{id}."))


def approve_command(ctx: CommandContext, args: ApproveArgs) -> Message | None:
    """``/approve N [comment]``."""
    return do_approve(ctx, request_number(args.number, "approve"), args.comment)


def reject_command(ctx: CommandContext, args: RejectArgs) -> Message | None:
    """``/reject N reason``."""
    return do_reject(ctx, request_number(args.number, "reject"), args.reason)


def _member(ctx: CommandContext, word: str) -> int:
    found = member_id_by_handle(ctx.session, word)
    if found is None:
        raise NotFound(_("I don't know {who}. Use @handle."), who=word)
    return found


def do_transfer(ctx: CommandContext, request_id: int, member: str, reason: str) -> Message | None:
    """Hand the actor's part to another member."""
    to = _member(ctx, member)
    result = act(
        ctx,
        request_id,
        "transfer",
        lambda: services.transfer(
            ctx.session, request_id, ctx.actor.id, to, reason, ctx.now, cause_of(ctx)
        ),
    )
    return _said(ctx, result, _("You handed #{id} to {who}."), who=Names(ctx.session).name(to))


def transfer_command(ctx: CommandContext, args: TransferArgs) -> Message | None:
    """``/transfer N @member [reason]``."""
    return do_transfer(ctx, request_number(args.number, "transfer"), args.member, args.reason)


def do_addsign(ctx: CommandContext, request_id: int, where: str, member: str) -> Message | None:
    """Add an approver before or after the actor."""
    added = _member(ctx, member)
    result = act(
        ctx,
        request_id,
        "addsign",
        lambda: services.add_approver(
            ctx.session, request_id, ctx.actor.id, added, where, ctx.now, cause_of(ctx)
        ),
    )
    msgid = (
        _("{who} will decide #{id} before you.")
        if where == "before"
        else _("You approved #{id}; {who} decides after you.")
    )
    return _said(ctx, result, msgid, who=Names(ctx.session).name(added))


def addsign_command(ctx: CommandContext, args: AddsignArgs) -> Message | None:
    """``/addsign N before|after @member``."""
    return do_addsign(ctx, request_number(args.number, "addsign"), args.where, args.member)


def do_return(
    ctx: CommandContext, request_id: int, target: int | None, reason: str
) -> Message | None:
    """Send the request back to the initiator or an earlier step."""
    result = act(
        ctx,
        request_id,
        "return",
        lambda: services.return_request(
            ctx.session, request_id, ctx.actor.id, target, reason, ctx.now, cause_of(ctx)
        ),
    )
    return _said(ctx, result, _("You returned #{id}."))


def return_command(ctx: CommandContext, args: ReturnArgs) -> Message | None:
    """``/return N [to=initiator|STEP] reason``."""
    request_id = request_number(args.number, "return")
    seen = visible(ctx, request_id, "return")  # its steps are as private as the rest of it
    return do_return(ctx, request_id, _target(seen.state, args.to), args.reason)


def _target(state: RequestState, word: str | None) -> int | None:
    """``initiator`` (None), a step number (1 = first) or a step name: the step id."""
    if word is None or word.lower() in INITIATOR_WORDS:
        return None
    for position, node in enumerate(state.nodes, start=1):
        if word == str(position) or word.lower() in {v.lower() for v in node.name.values()}:
            return node.nid
    raise ArgumentError(_("There is no step {step} in #{id}."), step=word, id=state.id)

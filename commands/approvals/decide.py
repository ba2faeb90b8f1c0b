"""Approvers decide: /approve, /reject, /transfer, /addsign, /return, and the card's buttons.

Every button is bound to its approver by the kernel; the domain still checks that the task is
theirs and still pending (compare-and-set), because copies, text commands and other processes
race. A stale button is answered with where the request stands now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from bot.context import CommandContext
from bot.i18n import _
from bot.parsing import ArgumentError
from bot.replies import Action, Button, ButtonStyle, Card, Message, Reply
from commands.approvals.answers import refused, state_answer
from commands.approvals.cards import BUTTON_TTL, active_step_name
from commands.approvals.common import BAD_NUMBER, cause_of, log, number_of, sees_all
from commands.approvals.present import Names
from commands.approvals.publish import Publisher, publish
from domain.approvals import queries, services
from domain.approvals.catalog import template_version
from domain.approvals.engine import AlreadyDecided, NotWaitingForYou, returnable
from domain.approvals.labels import text_of
from domain.approvals.people import member_id_by_handle
from domain.approvals.services import Outcome
from domain.approvals.sla import subject_of
from domain.approvals.state import Status
from domain.approvals.store import load
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
    where: Literal["before", "after"] = Field(description=_("before|after"))
    member: str = Field(description=_("member"))

    @field_validator("where", mode="before")
    @classmethod
    def _where(cls, value: Any) -> Any:
        return WHERE_WORDS.get(str(value).lower(), value)


class ReturnArgs(BaseModel):
    """``/return N [to=initiator|STEP] reason``."""

    number: str = Field(description=_("number"))
    to: str | None = Field(default=None, description=_("to"))
    reason: str = Field(description=_("reason"), json_schema_extra={"rest": True})


def request_number(word: str, command: str) -> int:
    """The request number typed; ArgumentError with an example if it is none."""
    found = number_of(word)
    if found is None:
        raise ArgumentError(BAD_NUMBER, example="/" + command + " 42")
    return found


def act(
    ctx: CommandContext, request_id: int, action: str, work: Callable[[], Outcome]
) -> Outcome | Reply:
    """Check the actor may see the request, run the transition, publish it; a decided request
    or part is answered with where it stands, a request not waiting for the actor is refused."""
    try:
        queries.visible_request(ctx.session, request_id, ctx.actor.id, sees_all=sees_all(ctx))
    except NotFound:
        refused(ctx, request_id, action)
        raise
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
    from commands.approvals.present import status_text

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
    return do_return(ctx, request_id, _target(ctx, request_id, args.to), args.reason)


def _target(ctx: CommandContext, request_id: int, word: str | None) -> int | None:
    """``initiator`` (None), a step number (1 = first) or a step name: the step id."""
    if word is None or word.lower() in INITIATOR_WORDS:
        return None
    state = load(ctx.session, request_id)
    if state is None:
        raise NotFound(_("There is no approval #{id} that you can see."), id=request_id)
    for position, node in enumerate(state.nodes, start=1):
        if word == str(position) or word.lower() in {v.lower() for v in node.name.values()}:
            return node.nid
    raise ArgumentError(_("There is no step {step} in #{id}."), step=word, id=request_id)


# Buttons


def _pending_or_answer(ctx: CommandContext, target: str) -> int | Reply:
    request_id = int(target)
    state = load(ctx.session, request_id)
    if state is None or state.pending_for(ctx.actor.id) is None:
        return state_answer(ctx, request_id)
    return request_id


def _own_card(ctx: CommandContext, request_id: int, headline: str = "") -> Card:
    state = load(ctx.session, request_id)
    assert state is not None
    template = template_version(ctx.session, state.template_key, state.template_version)
    card = Publisher(ctx, state, template).card(ctx.actor.id, queries.APPROVER)
    return (
        Card(card.title, headline or card.body, card.fields, card.buttons, card.footer, card.status)
        if headline
        else card
    )


def approve_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Approve on the card."""
    return do_approve(ctx, int(target), "")


def reject_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Reject on the card: ask for the reason."""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    ctx.edit_card(_own_card(ctx, found))
    ctx.ask(
        REASON_PROMPT,
        Reply(ctx.t(_("Why do you reject #{id}? Send the reason, or cancel."), id=found)),
        {"request": found, "action": "reject"},
    )
    return None


def transfer_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Transfer on the card: ask to whom."""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    ctx.edit_card(_own_card(ctx, found))
    ctx.ask(
        WHOM_PROMPT,
        Reply(ctx.t(_("Transfer #{id} to whom? Send @handle, or cancel."), id=found)),
        {"request": found, "action": "transfer"},
    )
    return None


def addsign_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Add approver on the card: before or after me?"""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found

    def choice(
        label: str, action: str, args: dict[str, Any], style: ButtonStyle = ButtonStyle.DEFAULT
    ) -> Button:
        return Button(ctx.t(label), Action(action, str(found), args, ttl=BUTTON_TTL), style)

    card = _own_card(
        ctx, found, ctx.t(_("Add an approver to #{id}: before you or after you?"), id=found)
    )
    buttons = (
        choice(_("Before me"), "approval.addsign_where", {"where": "before"}),
        choice(_("After me"), "approval.addsign_where", {"where": "after"}),
        choice(_("Back"), "approval.back", {}),
    )
    ctx.edit_card(card.with_buttons(buttons))
    return None


def addsign_where_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Before or after chosen: ask whom."""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    ctx.edit_card(_own_card(ctx, found))
    where = "before" if args.get("where") == "before" else "after"
    ctx.ask(
        WHOM_PROMPT,
        Reply(ctx.t(_("Whom do you add to #{id}? Send @handle, or cancel."), id=found)),
        {"request": found, "action": "addsign", "where": where},
    )
    return None


def return_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Return on the card: to the initiator, or to which earlier step?"""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    state = load(ctx.session, found)
    assert state is not None

    def choice(label: str, to: int | None) -> Button:
        return Button(label, Action("approval.return_to", str(found), {"to": to}, ttl=BUTTON_TTL))

    buttons = [choice(ctx.t(_("To the initiator")), None)]
    for nid in returnable(state):
        buttons.append(
            choice(ctx.t(_("To: {step}"), step=text_of(state.node(nid).name, ctx.locale)), nid)
        )
    buttons.append(Button(ctx.t(_("Back")), Action("approval.back", str(found), ttl=BUTTON_TTL)))
    card = _own_card(ctx, found, ctx.t(_("Return #{id} to whom?"), id=found))
    ctx.edit_card(card.with_buttons(tuple(buttons)))
    return None


def return_to_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Where to return chosen: ask why."""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    ctx.edit_card(_own_card(ctx, found))
    state = {"request": found, "action": "return", "to": args.get("to")}
    ctx.ask(
        REASON_PROMPT,
        Reply(ctx.t(_("Why do you return #{id}? Send the reason, or cancel."), id=found)),
        state,
    )
    return None


def back_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Back to the approval card."""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    ctx.edit_card(_own_card(ctx, found))
    return None


def stale_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A used or replaced button: the current card if the request still waits for the actor,
    else where it stands."""
    found = _pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    card = _own_card(ctx, found, ctx.t(_("That card was out of date; here is the current one.")))
    ref = ctx.reply(card, subject=subject_of(found))
    queries.remember_card(ctx.session, found, ctx.actor.id, ref, queries.APPROVER, ctx.now)
    return None


def reason_answer(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The reason for a rejection or a return."""
    request_id = int(state["request"])
    if state.get("action") == "return":
        return do_return(ctx, request_id, state.get("to"), text)
    return do_reject(ctx, request_id, text)


def whom_answer(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The member to transfer to or to add."""
    words = text.split()
    request_id = int(state["request"])
    if not words or member_id_by_handle(ctx.session, words[0]) is None:
        prompt = Reply(ctx.t(_("I don't know {who}. Send @handle, or cancel."), who=text.strip()))
        ctx.ask(WHOM_PROMPT, prompt, state)
        return None
    if state.get("action") == "addsign":
        return do_addsign(ctx, request_id, str(state.get("where", "after")), words[0])
    return do_transfer(ctx, request_id, words[0], " ".join(words[1:]))

"""The approver card's buttons and the questions they ask (the reason, whom): each leads to the
same action as the typed command, in commands/approvals/decide.py."""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Action, Button, ButtonStyle, Card, Message, Reply
from commands.approvals.answers import state_answer
from commands.approvals.cards import BUTTON_TTL
from commands.approvals.decide import (
    REASON_PROMPT,
    WHOM_PROMPT,
    do_addsign,
    do_approve,
    do_reject,
    do_return,
    do_transfer,
)
from commands.approvals.publish import Publisher
from domain.approvals import queries
from domain.approvals.catalog import template_version
from domain.approvals.labels import text_of
from domain.approvals.moves import returnable
from domain.approvals.people import member_id_by_handle
from domain.approvals.sla import subject_of
from domain.approvals.store import load


def pending_or_answer(ctx: CommandContext, target: str) -> int | Reply:
    """The request the actor was tapping about, if it still waits for them; else where it
    stands."""
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
    found = pending_or_answer(ctx, target)
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
    found = pending_or_answer(ctx, target)
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
    found = pending_or_answer(ctx, target)
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
    found = pending_or_answer(ctx, target)
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
    found = pending_or_answer(ctx, target)
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
    found = pending_or_answer(ctx, target)
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
    found = pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    ctx.edit_card(_own_card(ctx, found))
    return None


def stale_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A used or replaced button: the current card if the request still waits for the actor,
    else where it stands."""
    found = pending_or_answer(ctx, target)
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

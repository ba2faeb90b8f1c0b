"""``/approvals [pending|mine|cc]``: the lists. The requests waiting for the actor come with
Approve, Reject and Open buttons each; they lead to the same actions as the approval card's
buttons and the typed commands (commands/approvals/decide.py), and the list is drawn again
without what was decided."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Action, Button, ButtonStyle, Card, Message, Reply
from commands.approvals.buttons import pending_or_answer
from commands.approvals.cards import BUTTON_TTL, active_step_name, command_word
from commands.approvals.decide import REASON_PROMPT, do_approve
from commands.approvals.initiator import shown
from commands.approvals.present import Names, status_text
from domain.approvals import queries
from domain.approvals.state import Status

FINDERS = {
    "pending": queries.waiting_for,
    "mine": queries.initiated_by,
    "cc": queries.copied_to,
}
TITLES = {
    "pending": _("Waiting for you ({count})"),
    "mine": _("Your requests ({count})"),
    "cc": _("Copied to you ({count})"),
}
WITH_BUTTONS = 5  # the first requests waiting for the actor get buttons (a card holds so many)


class ListArgs(BaseModel):
    """``/approvals [pending|mine|cc]``."""

    which: Literal["pending", "mine", "cc"] = Field(
        default="pending",
        description=_("pending|mine|cc"),
        json_schema_extra={
            "words": {
                "pending": ["待办", "待审批", "todo"],
                "mine": ["我的", "我发起的", "my"],
                "cc": ["抄送"],
            }
        },
    )


def list_command(ctx: CommandContext, args: ListArgs) -> Message:
    """``/approvals pending|mine|cc``."""
    return list_card(ctx, args.which)


def list_card(ctx: CommandContext, which: str, headline: str = "") -> Card:
    """A line per request; on the pending list, buttons for the first few."""
    found = queries.requests(ctx.session, FINDERS[which](ctx.session, ctx.actor.id))
    names = Names(ctx.session)
    body = "\n".join(_line(ctx, seen, names) for seen in found) or ctx.t(_("Nothing here."))
    buttons = (
        tuple(b for seen in found[:WITH_BUTTONS] for b in _buttons(ctx, seen.state.id))
        if which == "pending"
        else ()
    )
    return Card(
        title=ctx.t(TITLES[which], count=len(found)),
        body="\n".join(part for part in (headline, body) if part),
        buttons=buttons,
        footer=ctx.t(_("/approval N shows one in full.")),
    )


def _line(ctx: CommandContext, seen: queries.Seen, names: Names) -> str:
    state = seen.state
    where = (
        active_step_name(state, ctx.locale)
        if state.status == Status.PENDING
        else status_text(state.status, ctx.locale)
    )
    title = seen.template.spec.title(ctx.locale)
    return f"#{state.id} {title} · {names.name(state.initiator)} · {where}"


def _buttons(ctx: CommandContext, request_id: int) -> tuple[Button, ...]:
    def button(label: str, name: str, style: ButtonStyle, command: str) -> Button:
        action = Action(f"approval.list_{name}", str(request_id), ttl=BUTTON_TTL)
        return Button(ctx.t(label, id=request_id), action, style, command=command)

    def typed(name: str, rest: str = "") -> str:
        return f"/{command_word(name, ctx.locale)} {request_id}{rest}"

    return (
        button(_("Approve #{id}"), "approve", ButtonStyle.PRIMARY, typed("approve")),
        button(_("Reject #{id}"), "reject", ButtonStyle.DANGER, typed("reject", " REASON")),
        button(_("Open #{id}"), "open", ButtonStyle.DEFAULT, typed("approval")),
    )


def _redrawn(ctx: CommandContext, headline: str = "") -> None:
    """Draw the tapped list again as it is now (a tap retires every button of the old one)."""
    ctx.edit_card(list_card(ctx, "pending", headline))


def approve_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Approve from the list: the request's cards change as for any approval, and the list
    loses it."""
    found = pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        _redrawn(ctx)
        return found
    answer = do_approve(ctx, found, "")
    _redrawn(ctx, ctx.t(_("You approved #{id}."), id=found))
    return answer


def reject_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Reject from the list: ask why, as the approval card does."""
    found = pending_or_answer(ctx, target)
    _redrawn(ctx)
    if isinstance(found, Reply):
        return found
    ctx.ask(
        REASON_PROMPT,
        Reply(ctx.t(_("Why do you reject #{id}? Send the reason, or cancel."), id=found)),
        {"request": found, "action": "reject"},
    )
    return None


def open_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Open from the list: the request in full, with its buttons (as ``/approval N``)."""
    _redrawn(ctx)
    return shown(ctx, int(target))


def stale_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A used button of an older list: where that request stands."""
    found = pending_or_answer(ctx, target)
    if isinstance(found, Reply):
        return found
    return Reply(ctx.t(_("#{id} still waits for you."), id=found))

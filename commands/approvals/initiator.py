"""Initiators and everyone involved: /withdraw, /urge, /resubmit, /approval."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from commands.approvals.answers import state_answer, visible
from commands.approvals.budget_facts import budget_facts, budget_line
from commands.approvals.cards import BUTTON_TTL, View, active_step_name, card_for, title_of
from commands.approvals.common import cause_of, pairs_of, problem_text, typed_words
from commands.approvals.decide import act, request_number
from commands.approvals.present import Names, timeline
from domain.approvals import queries, services
from domain.approvals.checks import input_keys
from domain.approvals.fields import FieldProblem, FieldType
from domain.approvals.form import read_pairs
from domain.approvals.sla import subject_of
from domain.approvals.state import Status
from domain.approvals.store import log_of
from domain.directory.services import member_view


class NumberArgs(BaseModel):
    """``/withdraw N``."""

    number: str = Field(description=_("number"))


class ResubmitArgs(BaseModel):
    """``/resubmit N [field=value …]``."""

    number: str = Field(description=_("number"))
    fields: str = Field(default="", description=_("field=value"), json_schema_extra={"rest": True})


def do_withdraw(ctx: CommandContext, request_id: int, *, confirmed: bool = False) -> Message | None:
    """The initiator withdraws the request; an approved one only once they confirm it."""
    if not confirmed and _approved_withdrawable(ctx, request_id):
        return _confirm_withdrawal(ctx, request_id)
    result = act(
        ctx,
        request_id,
        "withdraw",
        lambda: services.withdraw(ctx.session, request_id, ctx.actor.id, ctx.now, cause_of(ctx)),
    )
    if isinstance(result, Reply):
        return result
    return None if _tapped(ctx) else Reply(ctx.t(_("You withdrew #{id}."), id=request_id))


def _approved_withdrawable(ctx: CommandContext, request_id: int) -> bool:
    seen = visible(ctx, request_id, "withdraw")
    state = seen.state
    return (
        state.status == Status.APPROVED
        and state.initiator == ctx.actor.id
        and services.withdrawable_approved(ctx.session, state, seen.template, ctx.now)
    )


def _confirm_withdrawal(ctx: CommandContext, request_id: int) -> Card:
    """``Withdraw approved request #N? [Withdraw] [Keep]``."""

    def button(label: str, name: str, style: ButtonStyle) -> Button:
        return Button(ctx.t(label), Action(name, str(request_id), ttl=BUTTON_TTL), style)

    return Card(
        title=ctx.t(_("Withdraw approved request #{id}?"), id=request_id),
        body=ctx.t(_("It was approved; withdrawing it cannot be undone.")),
        buttons=(
            button(_("Withdraw"), "approval.withdraw_approved", ButtonStyle.DANGER),
            button(_("Keep"), "approval.withdraw_keep", ButtonStyle.DEFAULT),
        ),
        status=CardStatus.WARNING,
    )


def do_urge(ctx: CommandContext, request_id: int) -> Message | None:
    """The initiator nudges the approvers."""
    result = act(
        ctx,
        request_id,
        "urge",
        lambda: services.urge(ctx.session, request_id, ctx.actor.id, ctx.now, cause_of(ctx)),
    )
    if isinstance(result, Reply):
        return result
    return Reply(ctx.t(_("I reminded the approvers of #{id}."), id=request_id))


def _tapped(ctx: CommandContext) -> bool:
    return ctx.card_id is not None and ctx.event.kind == "action"


def withdraw_command(ctx: CommandContext, args: NumberArgs) -> Message | None:
    """``/withdraw N``."""
    return do_withdraw(ctx, request_number(args.number, "withdraw"))


def urge_command(ctx: CommandContext, args: NumberArgs) -> Message | None:
    """``/urge N``."""
    return do_urge(ctx, request_number(args.number, "urge"))


def resubmit_command(ctx: CommandContext, args: ResubmitArgs) -> Message | None:
    """``/resubmit N [field=value …]``: corrected values replace the old ones."""
    request_id = request_number(args.number, "resubmit")
    words = typed_words(ctx)[1:]
    return do_resubmit(ctx, request_id, words)


def do_resubmit(ctx: CommandContext, request_id: int, words: list[str]) -> Message | None:
    """Submit a returned request again, with what was corrected."""
    seen = visible(ctx, request_id, "resubmit")
    spec = seen.template.spec
    pairs, loose = pairs_of(words)
    if loose:
        raise FieldProblem(_("Give fields as name=value, not {words}."), words=" ".join(loose))
    keys = input_keys(spec)
    replaced = {
        keys[k.lower()][0].key
        for k, _v in pairs
        if k.lower() in keys and keys[k.lower()][0].type is FieldType.LINES
    }
    inputs = {
        f.key: v
        for f in spec.input_fields()
        if (v := seen.state.fields.get(f.key)) is not None and f.key not in replaced
    }
    values, problems = read_pairs(
        spec, pairs, services.inputs_for(ctx.session, ctx.actor.timezone, ctx.now), inputs
    )
    if problems:
        return Reply("\n".join(problem_text(ctx, p, spec) for p in problems))
    return resubmit_values(ctx, request_id, values)


def resubmit_values(ctx: CommandContext, request_id: int, values: dict[str, Any]) -> Reply:
    """Submit a returned request again with these values; where it goes next."""
    result = act(
        ctx,
        request_id,
        "resubmit",
        lambda: services.resubmit(
            ctx.session,
            request_id,
            ctx.actor.id,
            values,
            ctx.now,
            cause_of(ctx),
            budget_facts(ctx.session, ctx.now),
        ),
    )
    if isinstance(result, Reply):
        return result
    return Reply(
        ctx.t(
            _("#{id} is submitted again. Next: {step}."),
            id=request_id,
            step=active_step_name(result.after, ctx.locale),
        )
    )


def withdraw_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Withdraw on the initiator's card."""
    return do_withdraw(ctx, int(target))


def withdraw_approved_button(
    ctx: CommandContext, target: str, _args: dict[str, Any]
) -> Message | None:
    """Withdraw, confirmed, on the question whether to withdraw an approved request."""
    request_id = int(target)
    answer = do_withdraw(ctx, request_id, confirmed=True)
    if answer is None:
        ctx.edit_card(Card(title=ctx.t(_("You withdrew #{id}."), id=request_id)))
    return answer


def keep_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Keep: the approved request stays as it is."""
    ctx.edit_card(Card(title=ctx.t(_("#{id} stays approved."), id=int(target))))
    return None


def urge_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Urge on the initiator's card (publishing draws its buttons again)."""
    return do_urge(ctx, int(target))


def resubmit_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Resubmit unchanged, from the initiator's card."""
    return do_resubmit(ctx, int(target), [])


def initiator_stale(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """A used button on the initiator's card: where the request stands."""
    return state_answer(ctx, int(target))


def show_command(ctx: CommandContext, args: NumberArgs) -> Message | None:
    """``/approval N``: the request, its steps and its whole timeline."""
    return shown(ctx, request_number(args.number, "approval"))


def shown(ctx: CommandContext, request_id: int) -> Message | None:
    """The request in full for the actor, with the buttons of their part."""
    seen = visible(ctx, request_id, "view")
    state = seen.state
    names = Names(ctx.session)
    log = log_of(ctx.session, request_id)
    spec = seen.template.spec
    budget = budget_line(ctx.session, spec.budget_account, state.initiator, ctx.now)
    reader = member_view(ctx.session, ctx.actor.id)
    view = View(state, spec, log, reader, names, ctx.now, budget)
    purpose = _purpose(ctx, state)
    card = card_for(view, purpose)
    fields = [f for f in card.fields if f.label != ctx.t(_("History"))]
    fields.append(
        CardField(
            ctx.t(_("Timeline")),
            "\n".join(timeline(log, state, ctx.locale, ctx.actor.timezone, names, ctx.now)),
        )
    )
    full = Card(title_of(view), card.body, tuple(fields), card.buttons, card.footer, card.status)
    if not full.buttons:
        return full
    ref = ctx.reply(full, subject=subject_of(request_id))
    queries.remember_card(ctx.session, request_id, ctx.actor.id, ref, purpose, ctx.now)
    return None


def _purpose(ctx: CommandContext, state: Any) -> str:
    if state.pending_for(ctx.actor.id) is not None:
        return queries.APPROVER
    if state.initiator == ctx.actor.id:
        return queries.INITIATOR
    return queries.CC

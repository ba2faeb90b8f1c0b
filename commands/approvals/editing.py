"""Edit and resubmit: a returned request's form, filled in as it was. The initiator taps what
they change, answers only that question (choices as buttons, as in the form of /apply), and
resubmits the same request with the corrected values. Nothing changes until Resubmit; the
domain checks again that the request was returned to them (commands/approvals/initiator.py)."""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.i18n import _
from bot.pipeline.prompts import close_prompt
from bot.replies import Action, Button, ButtonStyle, Card, CardStatus, Message, Reply
from bot.replies import Field as CardField
from commands.approvals.answers import state_answer, visible
from commands.approvals.apply import question_card
from commands.approvals.cards import BUTTON_TTL
from commands.approvals.common import label_of, problem_text
from commands.approvals.initiator import resubmit_values
from commands.approvals.present import Names, value_text
from commands.approvals.reading import read_answer
from domain.approvals import queries
from domain.approvals.fields import FieldProblem, FieldType
from domain.approvals.form import VALUE, Slot, answer_slot
from domain.approvals.services import inputs_for
from domain.approvals.state import Status
from domain.approvals.template import TemplateSpec
from domain.directory.services import get_org

EDIT_PROMPT = "approval.edit"
EDIT_ANSWER = "approval.edit_answer"


def returned_to_actor(ctx: CommandContext, request_id: int) -> queries.Seen | Reply:
    """Request #N if it was returned to the actor, its initiator; else where it stands."""
    seen = visible(ctx, request_id, "resubmit")
    if seen.state.status != Status.RETURNED or seen.state.initiator != ctx.actor.id:
        return state_answer(ctx, request_id)
    return seen


def edit_button(ctx: CommandContext, target: str, _args: dict[str, Any]) -> Message | None:
    """Edit and resubmit, on the initiator's card of a returned request: its form as it was."""
    seen = returned_to_actor(ctx, int(target))
    if isinstance(seen, Reply):
        return seen
    spec = seen.template.spec
    values = {
        f.key: v for f in spec.input_fields() if (v := seen.state.fields.get(f.key)) is not None
    }
    return edit_card(ctx, seen, values)


def edit_card(ctx: CommandContext, seen: queries.Seen, values: dict[str, Any]) -> Card:
    """The form as it stands, a Change button per thing that can be changed, and Resubmit."""
    spec, request_id = seen.template.spec, seen.state.id
    names = Names(ctx.session)
    currency = get_org(ctx.session).currency

    def shown(key: str) -> str:
        field = spec.field(key)
        assert field is not None
        value = values.get(key)
        return value_text(field, value, ctx.locale, names, currency=currency, tz=ctx.actor.timezone)

    def change(slot: Slot) -> Button:
        label = label_of(spec, slot.spec.key, ctx.locale)
        args = {"values": values, "slot": [slot.field.key, slot.part]}
        action = Action("approval.edit_field", str(request_id), args, ttl=BUTTON_TTL)
        return Button(ctx.t(_("Change: {field}"), field=label), action)

    submit = Action("approval.edit_submit", str(request_id), {"values": values}, ttl=BUTTON_TTL)
    return Card(
        title=ctx.t(_("Edit #{id} before resubmitting"), id=request_id),
        body=ctx.t(_("Tap what you change; the rest stays as it was.")),
        fields=tuple(CardField(f.title(ctx.locale), shown(f.key)) for f in spec.input_fields()),
        buttons=(
            *(change(slot) for slot in changeable(spec, values)),
            Button(ctx.t(_("Resubmit")), submit, ButtonStyle.PRIMARY),
            Button(ctx.t(_("Cancel")), Action("approval.form_cancel"), ButtonStyle.DANGER),
        ),
        status=CardStatus.WARNING,
    )


def changeable(spec: TemplateSpec, values: dict[str, Any]) -> list[Slot]:
    """What a tap can change: each field, a range as a whole, and the columns of the last line
    of a list (more lines are typed: ``/resubmit N line=…``)."""
    slots: list[Slot] = []
    for field in spec.input_fields():
        if field.type is not FieldType.LINES:
            slots.append(Slot(field, VALUE))
        elif values.get(field.key):
            slots += [Slot(field, column.key) for column in field.columns]
    return slots


def edit_field_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Change one thing: ask for it (the card's other buttons go with this tap)."""
    seen = returned_to_actor(ctx, int(target))
    if isinstance(seen, Reply):
        return seen
    spec = seen.template.spec
    field = spec.field(str(args["slot"][0]))
    if field is None:
        return Reply(ctx.t(_("That form has changed; please start again.")))
    slot = Slot(field, str(args["slot"][1]))
    ctx.edit_card(Card(title=ctx.t(_("Edit #{id} before resubmitting"), id=seen.state.id)))
    _ask(ctx, seen, _without(dict(args["values"]), slot), slot)
    return None


def _without(values: dict[str, Any], slot: Slot) -> dict[str, Any]:
    """``values`` without the answer a slot will give again (a column of the last line)."""
    if slot.field.type is FieldType.LINES and values.get(slot.field.key):
        lines = [dict(line) for line in values[slot.field.key]]
        lines[-1].pop(slot.part, None)
        return {**values, slot.field.key: lines}
    return values


def _ask(
    ctx: CommandContext, seen: queries.Seen, values: dict[str, Any], slot: Slot, problem: str = ""
) -> None:
    state = {"request": seen.state.id, "values": values, "slot": [slot.field.key, slot.part]}
    question = question_card(ctx, seen.template.spec, slot, state, problem, EDIT_ANSWER)
    ctx.ask(EDIT_PROMPT, question, state)


def edit_answered(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The new value: the form again, with it."""
    seen = returned_to_actor(ctx, int(state["request"]))
    if isinstance(seen, Reply):
        return seen
    spec = seen.template.spec
    field = spec.field(str(state["slot"][0]))
    if field is None:
        return Reply(ctx.t(_("That form has changed; please start again.")))
    slot = Slot(field, str(state["slot"][1]))
    inputs = inputs_for(ctx.session, ctx.actor.timezone, ctx.now)
    try:
        values = answer_slot(state["values"], slot, read_answer(ctx, slot, text), inputs)
    except FieldProblem as problem:
        _ask(ctx, seen, state["values"], slot, problem_text(ctx, problem, spec))
        return None
    return edit_card(ctx, seen, values)


def edit_answer_button(ctx: CommandContext, _target: str, args: dict[str, Any]) -> Message | None:
    """A choice tapped on the question: the same as typing it."""
    close_prompt(ctx.session, ctx.origin.key, ctx.actor.id)
    shown = str(args.get("label", args["answer"]))
    ctx.edit_card(Card(title=ctx.t(_("Answered: {answer}"), answer=shown)))
    return edit_answered(ctx, str(args["answer"]), dict(args["state"]))


def edit_submit_button(ctx: CommandContext, target: str, args: dict[str, Any]) -> Message | None:
    """Resubmit the same request with the edited values."""
    request_id = int(target)
    answer = resubmit_values(ctx, request_id, dict(args["values"]))
    title = ctx.t(_("Edit #{id} before resubmitting"), id=request_id)
    ctx.edit_card(Card(title=title, body=answer.text))
    return None

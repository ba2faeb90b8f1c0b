"""/apply (and /leave, /expense, /purchase): fill in a form in chat and submit it. Missing
fields are asked one at a time, choices as buttons; ``cancel`` stops."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.picking import PICK_ACTION
from bot.pipeline.prompts import close_prompt
from bot.reader import Reading
from bot.replies import Action, Button, ButtonStyle, Card, Message, Reply
from commands.approvals.budget_facts import budget_facts
from commands.approvals.cards import ATTACHED
from commands.approvals.common import cause_of, label_of, problem_text
from commands.approvals.publish import Publisher, publish
from commands.approvals.reading import read_answer, read_form
from domain.approvals import queries
from domain.approvals.catalog import Versioned, current_templates, find_template, template_version
from domain.approvals.fields import FieldProblem, FieldType
from domain.approvals.form import Slot, answer_slot, missing_slots, read_pairs
from domain.approvals.labels import text_of
from domain.approvals.services import inputs_for, prepare, submit_request
from domain.approvals.sla import subject_of
from domain.approvals.template import TemplateSpec

FORM_PROMPT = "approval.form"
ANSWER_ACTION = "approval.answer"
HINTS = {
    FieldType.DATE: _("for example 2026-12-01"),
    FieldType.DATETIME: _("for example 2026-12-01 09:30"),
    FieldType.DATERANGE: _("for example 2026-12-01..2026-12-03"),
    FieldType.MONEY: _("for example 1200 or 88.50"),
    FieldType.NUMBER: _("a number"),
    FieldType.MEMBER: _("@handle"),
    FieldType.ATTACHMENT: _("a link to the file, https://…"),
    FieldType.MULTICHOICE: _("one or more, separated by commas"),
}


class ApplyArgs(BaseModel):
    """``/apply TEMPLATE field=value …``."""

    template: str | None = Field(default=None, description=_("template"))
    fields: str = Field(default="", description=_("field=value"), json_schema_extra={"rest": True})


class ShortcutArgs(BaseModel):
    """``/expense field=value …``."""

    fields: str = Field(default="", description=_("field=value"), json_schema_extra={"rest": True})


def apply(ctx: CommandContext, _args: ApplyArgs) -> Message | None:
    """Start a request of any template."""
    name, _, rest = ctx.typed.partition(" ")
    if not name:
        return templates_card(ctx)
    return start_form(ctx, find_template(ctx.session, name), rest)


def shortcut(key: str) -> Any:
    """A handler for ``/leave``, ``/expense`` … that starts that template."""

    def start(ctx: CommandContext, _args: ShortcutArgs) -> Message | None:
        return start_form(ctx, find_template(ctx.session, key), ctx.typed)

    return start


def templates_card(ctx: CommandContext) -> Card:
    """What can be requested: a button per template, whose tap starts that template's form
    (as typing ``/apply KEY`` does, so the command's permission is checked again)."""
    command = ctx.router.find("apply")
    name = command.display_name(ctx.locale) if command else "apply"
    menu = [
        (f"/{name} {typed_name(v.spec, ctx.locale)}", v.spec.title(ctx.locale))
        for v in current_templates(ctx.session)
    ]
    return Card(
        title=ctx.t(_("What would you like to request?")),
        body="\n".join(f"{line} — {title}" for line, title in menu),
        buttons=tuple(
            Button(title, Action(PICK_ACTION, args={"line": line}), command=line)
            for line, title in menu
        ),
        footer=ctx.t(_("For example: /apply leave type=annual dates=2026-12-01..2026-12-03")),
    )


def typed_name(spec: TemplateSpec, locale: str) -> str:
    """How a reader of ``locale`` names a template: ``leave``, or ``请假`` for Chinese."""
    if not locale.startswith("zh"):
        return spec.key
    chinese = [a for a in spec.aliases if not a.isascii()]
    return chinese[0] if chinese else spec.title(locale)


def start_form(ctx: CommandContext, template: Versioned, text: str) -> Message | None:
    """Read what was typed, the way people say it; ask for what is missing, or submit.

    Words that fit no field and keys the form does not have are refused (nothing is guessed);
    a value that does not read as its field (``Feb 30``) is asked for again, saying why.
    """
    spec = template.spec
    typed = read_form(ctx, spec, text)
    refused = _unusable(ctx, spec, typed.reading)
    if refused:
        return Reply(refused)
    inputs = inputs_for(ctx.session, ctx.actor.timezone, ctx.now)
    values, problems = read_pairs(spec, typed.pairs, inputs, {})
    if ctx.files:  # a receipt sent with the command: it stays with the request
        values[ATTACHED] = [f.to_wire() for f in ctx.files]
    problems += [_unreadable(key, text) for key, text in typed.reading.unreadable.items()]
    if problems:
        return _ask_again(ctx, template, values, problems)
    return continue_form(ctx, template, values)


def _unusable(ctx: CommandContext, spec: TemplateSpec, reading: Reading) -> str:
    """Why words of the line cannot be used, every reason at once (empty when they all can)."""
    if not (reading.unknown_keys or reading.unplaced):
        return ""
    lines = [
        ctx.t(_("{template} has no field {key}."), template=spec.title(ctx.locale), key=key)
        for key in reading.unknown_keys
    ]
    if reading.unplaced:
        words = " ".join(reading.unplaced)
        lines.append(ctx.t(_('I could not tell what "{words}" is for.'), words=words))
    lines += [
        problem_text(ctx, _unreadable(key, text), spec) for key, text in reading.unreadable.items()
    ]
    fields = ", ".join(f.title(ctx.locale) for f in spec.input_fields())
    return "\n".join([*lines, ctx.t(_("Its fields: {fields}"), fields=fields)])


def _unreadable(key: str, text: str) -> FieldProblem:
    if not text:
        return FieldProblem(_("{field} is empty."), field=key)
    return FieldProblem(_('I can\'t read "{text}" as {field}.'), field=key, text=text)


def _ask_again(
    ctx: CommandContext, template: Versioned, values: dict[str, Any], problems: list[FieldProblem]
) -> Message | None:
    """Ask for the first field with a problem, saying what was wrong; the others are kept."""
    problem = problems[0]
    field = template.spec.field(str(problem.params.get("field", "")))
    slot = next((s for s in missing_slots(template.spec, values) if s.field == field), None)
    if slot is None:
        return Reply("\n".join(problem_text(ctx, p, template.spec) for p in problems))
    ask_slot(ctx, template, values, slot, problem_text(ctx, problem, template.spec))
    return None


def continue_form(
    ctx: CommandContext, template: Versioned, values: dict[str, Any]
) -> Message | None:
    """Ask the next missing slot, or submit the finished form."""
    missing = missing_slots(template.spec, values)
    if missing:
        ask_slot(ctx, template, values, missing[0])
        return None
    return submit(ctx, template, values)


def submit(ctx: CommandContext, template: Versioned, values: dict[str, Any]) -> Message | None:
    """Submit: the request starts, its approvers get their cards, the initiator gets theirs."""
    facts = budget_facts(ctx.session, ctx.now)
    draft = prepare(ctx.session, template, values, ctx.actor.id, facts)
    outcome = submit_request(ctx.session, draft, ctx.actor.id, ctx.now, cause_of(ctx))
    out = publish(ctx, outcome) or Publisher(ctx, outcome.after, outcome.template)
    card = out.card(ctx.actor.id, queries.INITIATOR)
    headline = ctx.t(_("Submitted as #{id}."), id=outcome.after.id)
    ref = ctx.reply(
        Card(
            card.title,
            headline + "\n" + card.body,
            card.fields,
            card.buttons,
            card.footer,
            card.status,
            attachments=card.attachments,
        ),
        subject=subject_of(outcome.after.id),
    )
    queries.remember_card(
        ctx.session, outcome.after.id, ctx.actor.id, ref, queries.INITIATOR, ctx.now
    )
    return None


def ask_slot(
    ctx: CommandContext, template: Versioned, values: dict[str, Any], slot: Slot, problem: str = ""
) -> None:
    """Ask for one slot; choices and yes/no come with buttons."""
    spec = template.spec
    state = {
        "template": spec.key,
        "version": template.version,
        "values": values,
        "slot": [slot.field.key, slot.part],
    }
    ctx.ask(FORM_PROMPT, question_card(ctx, spec, slot, state, problem), state)


def question_card(
    ctx: CommandContext,
    spec: TemplateSpec,
    slot: Slot,
    state: dict[str, Any],
    problem: str,
    answer_action: str = ANSWER_ACTION,
) -> Card:
    """``Leave type?`` with a button per option (tapped: ``answer_action``), and Cancel."""
    field = slot.spec
    label = (
        label_of(spec, field.key, ctx.locale)
        if slot.part in ("value",) or slot.field.type is FieldType.LINES
        else _range_label(ctx, slot)
    )
    question = text_of(field.ask, ctx.locale) if field.ask else ctx.t(_("{field}?"), field=label)
    hint = ctx.t(HINTS[field.type]) if field.type in HINTS else ""
    buttons = [*_choice_buttons(ctx, field.type, field.options, state, answer_action)]
    buttons.append(
        Button(
            ctx.t(_("Cancel")), Action("approval.form_cancel"), ButtonStyle.DANGER, command="cancel"
        )
    )
    body = "\n".join(part for part in (problem, hint) if part)
    return Card(
        title=f"{spec.title(ctx.locale)} · {question}",
        body=body,
        buttons=tuple(buttons),
        footer=ctx.t(_("Reply with the answer, or send cancel to stop.")),
    )


def _range_label(ctx: CommandContext, slot: Slot) -> str:
    title = slot.field.title(ctx.locale)
    return ctx.t(
        _("{field}: first day") if slot.part == "from" else _("{field}: last day"), field=title
    )


def _choice_buttons(
    ctx: CommandContext,
    kind: FieldType,
    options: list[Any],
    state: dict[str, Any],
    answer_action: str,
) -> list[Button]:
    if kind is FieldType.BOOLEAN:
        answers = [("yes", ctx.t(_("yes"))), ("no", ctx.t(_("no")))]
    elif kind is FieldType.CHOICE:
        answers = [(o.value, text_of(o.label, ctx.locale, o.value)) for o in options]
    else:
        return []
    return [
        Button(
            label,
            Action(answer_action, args={"state": state, "answer": value, "label": label}),
            command=label,  # what a reader of this language types: 年假 reads as annual
        )
        for value, label in answers[:12]
    ]


def answered(ctx: CommandContext, text: str, state: dict[str, Any]) -> Message | None:
    """The answer to a form question: fill it in, then ask on or submit."""
    template = template_version(ctx.session, state["template"], int(state["version"]))
    field = template.spec.field(state["slot"][0])
    if field is None:
        return Reply(ctx.t(_("That form has changed; please start again.")))
    slot = Slot(field, state["slot"][1])
    inputs = inputs_for(ctx.session, ctx.actor.timezone, ctx.now)
    try:
        values = answer_slot(state["values"], slot, read_answer(ctx, slot, text), inputs)
    except FieldProblem as problem:
        ask_slot(ctx, template, state["values"], slot, problem_text(ctx, problem, template.spec))
        return None
    return continue_form(ctx, template, values)


def answer_button(ctx: CommandContext, _target: str, args: dict[str, Any]) -> Message | None:
    """A choice tapped on a question card: the same as typing it."""
    close_prompt(ctx.session, ctx.origin.key, ctx.actor.id)
    shown = str(args.get("label", args["answer"]))  # the button's words, in the reader's language
    ctx.edit_card(Card(title=ctx.t(_("Answered: {answer}"), answer=shown)))
    return answered(ctx, str(args["answer"]), dict(args["state"]))


def cancel_button(ctx: CommandContext, _target: str, _args: dict[str, Any]) -> Message | None:
    """Cancel on a question card."""
    close_prompt(ctx.session, ctx.origin.key, ctx.actor.id)
    ctx.edit_card(Card(title=ctx.t(_("Cancelled."))))
    return None

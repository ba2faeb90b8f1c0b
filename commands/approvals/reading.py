"""A template's form as the kernel's argument reader sees it: every field (and range end, and
line column) with its names in every language, its kind and its choices; and what a member
typed, read against it, as the ``key=value`` pairs the domain checks."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import CommandContext
from bot.reader import Choice, Field, Kind, Reading, Where, read
from domain.approvals.fields import FALSE_WORDS, TRUE_WORDS, FieldSpec, FieldType
from domain.approvals.form import Slot
from domain.approvals.template import TemplateSpec

KINDS = {
    FieldType.TEXT: Kind.TEXT,
    FieldType.NUMBER: Kind.NUMBER,
    FieldType.MONEY: Kind.MONEY,
    FieldType.DATE: Kind.DATE,
    FieldType.DATERANGE: Kind.DAYS,
    FieldType.CHOICE: Kind.CHOICE,
    FieldType.MEMBER: Kind.MEMBER,
    FieldType.BOOLEAN: Kind.CHOICE,
}
YES_NO = (Choice("yes", tuple(TRUE_WORDS)), Choice("no", tuple(FALSE_WORDS)))


@dataclass(frozen=True, slots=True)
class Typed:
    """A line read against a form: the pairs for the domain, and what could not be used."""

    pairs: list[tuple[str, str]]
    reading: Reading


def read_form(ctx: CommandContext, spec: TemplateSpec, text: str) -> Typed:
    """Read what was typed after the command against the template's fields."""
    reading = read(form_fields(spec), text, where(ctx))
    return Typed(list(reading.values.items()), reading)


def read_answer(ctx: CommandContext, slot: Slot, text: str) -> str:
    """An answer to one question, in the form the domain reads (``明天到后天`` -> a range);
    the text as typed when it does not read as the slot's kind (the domain then says why)."""
    field = slot_field(slot)
    reading = read([field], f"{field.key}={text}", where(ctx))
    return reading.values.get(field.key, text)


def where(ctx: CommandContext) -> Where:
    """The member's zone and now, for days typed relative to today."""
    return Where(ctx.actor.timezone, ctx.now)


def form_fields(spec: TemplateSpec) -> list[Field]:
    """Every input of the template as reader fields, in form order (line columns in place)."""
    fields: list[Field] = []
    for item in spec.input_fields():
        if item.type is FieldType.LINES:
            fields += [_field(column, column.key) for column in item.columns]
            continue
        fields.append(_field(item, item.key))
        if item.type is FieldType.DATERANGE:
            fields += [Field(key, Kind.DATE, (), positional=False) for key in item.range_keys()]
    return fields


def slot_field(slot: Slot) -> Field:
    """The reader field one question is answered in."""
    if slot.field.type is FieldType.DATERANGE and slot.part != "value":
        return Field(slot.part, Kind.DATE)
    return _field(slot.spec, slot.spec.key)


def _field(spec: FieldSpec, key: str) -> Field:
    kind = KINDS.get(spec.type, Kind.TEXT)
    names = (*spec.aliases, *(spec.label or {}).values())
    choices = (
        YES_NO
        if spec.type is FieldType.BOOLEAN
        else tuple(Choice(o.value, tuple(o.words())) for o in spec.options)
    )
    return Field(key, kind, names, choices, positional=_positional(spec, kind))


def _positional(spec: FieldSpec, kind: Kind) -> bool:
    """Typed without a key: required text, and whatever can be told apart by its kind (not a
    yes/no, which an ordinary "no" in a reason would fill)."""
    if spec.type is FieldType.TEXT:
        return spec.required
    return kind is not Kind.TEXT and spec.type is not FieldType.BOOLEAN

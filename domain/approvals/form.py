"""Filling a template's form: typed ``key=value`` pairs become stored values, what is still
missing is asked for one slot at a time, and computed fields are worked out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.approvals.checks import input_keys
from domain.approvals.fields import (
    FieldProblem,
    FieldSpec,
    FieldType,
    Inputs,
    check_limits,
    parse_value,
    quantized_sum,
)
from domain.approvals.labels import _
from domain.approvals.template import TemplateSpec
from domain.worktime.calendar import WorkCalendar

VALUE = "value"


@dataclass(frozen=True, slots=True)
class Slot:
    """One thing to ask: a field, or one part of it (an end of a range, a column of a line)."""

    field: FieldSpec
    part: str = VALUE

    @property
    def spec(self) -> FieldSpec:
        """The field spec the answer is read with (the column's, for a part of a line)."""
        if self.field.type is FieldType.LINES:
            return next(c for c in self.field.columns if c.key == self.part)
        return self.field


def read_pairs(
    spec: TemplateSpec, pairs: Iterable[tuple[str, str]], inputs: Inputs, values: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Add typed pairs to ``values`` (a copy); problems are collected, not raised."""
    values = {k: (list(v) if isinstance(v, list) else v) for k, v in values.items()}
    keys = input_keys(spec)
    problems: list[FieldProblem] = []
    for key, text in pairs:
        found = keys.get(key.lower())
        if found is None:
            problems.append(_unknown(spec, key))
            continue
        try:
            _put(values, Slot(*found), text, inputs)
        except FieldProblem as problem:
            problems.append(problem)
    return values, problems


def typed_keys(spec: TemplateSpec) -> list[str]:
    """The keys to show a member: fields, range ends and line columns (not labels or aliases)."""
    keys: list[str] = []
    for field in spec.input_fields():
        keys.append(field.key)
        if field.type is FieldType.DATERANGE:
            keys += field.range_keys()
        keys += [c.key for c in field.columns]
    return list(dict.fromkeys(keys))


def answer_slot(values: dict[str, Any], slot: Slot, text: str, inputs: Inputs) -> dict[str, Any]:
    """``values`` with one answered slot; ``FieldProblem`` if the answer does not fit."""
    values = {k: (list(v) if isinstance(v, list) else v) for k, v in values.items()}
    _put(values, slot, text, inputs)
    return values


def _unknown(spec: TemplateSpec, key: str) -> FieldProblem:
    known = ", ".join(typed_keys(spec))
    return FieldProblem(
        _("{template} has no field {key}. Fields: {known}"), template=spec.key, key=key, known=known
    )


def _put(values: dict[str, Any], slot: Slot, text: str, inputs: Inputs) -> None:
    field = slot.field
    if slot.part == VALUE:
        value = parse_value(field, text, inputs)
        if field.type is FieldType.LINES:
            values[field.key] = [*values.get(field.key, []), *value]
            check_limits(field, values[field.key])
        else:
            values[field.key] = value
        return
    if field.type is FieldType.DATERANGE:
        _put_range_end(values, field, slot.part, text, inputs)
        return
    column = slot.spec
    lines = values.setdefault(field.key, [])
    if not lines or column.key in lines[-1]:
        lines.append({})
    lines[-1][column.key] = parse_value(column, text, inputs)


def _put_range_end(
    values: dict[str, Any], field: FieldSpec, part: str, text: str, inputs: Inputs
) -> None:
    end = parse_value(FieldSpec(key=field.key, type=FieldType.DATE), text, inputs)
    current = dict(values.get(field.key) or {})
    current["from" if part == "from" else "to"] = end
    if "from" in current and "to" in current and current["to"] < current["from"]:
        raise FieldProblem(_("{field} ends before it starts."), field=field.key)
    values[field.key] = current


def missing_slots(spec: TemplateSpec, values: dict[str, Any]) -> list[Slot]:
    """What a submission still needs, in form order: required fields, the other end of a
    half-given range, and the required columns of an unfinished line."""
    slots: list[Slot] = []
    for field in spec.input_fields():
        value = values.get(field.key)
        if field.type is FieldType.DATERANGE and isinstance(value, dict):
            slots += [Slot(field, p) for p in ("from", "to") if p not in value]
        elif field.type is FieldType.LINES and value:
            slots += [
                Slot(field, c.key) for c in field.columns if c.required and c.key not in value[-1]
            ]
        elif field.required and value in (None, [], ""):
            if field.type is FieldType.LINES:
                slots += [Slot(field, c.key) for c in field.columns if c.required]
            else:
                slots.append(Slot(field))
    return slots


def range_ends(value: dict[str, str]) -> tuple[date, date]:
    """The first and last day of a stored range."""
    return date.fromisoformat(value["from"]), date.fromisoformat(value["to"])


def with_computed(
    spec: TemplateSpec, values: dict[str, Any], calendar: WorkCalendar, digits: int
) -> dict[str, Any]:
    """``values`` plus every computed field that can be worked out from them."""
    result = dict(values)
    for field in spec.fields:
        computation = field.computation()
        if computation is None:
            continue
        function, source, column = computation
        given = values.get(source)
        if not given:
            result.pop(field.key, None)
            continue
        if function == "working_days":
            first, last = range_ends(given)
            result[field.key] = str(calendar.working_days(first, last))
        else:
            amounts = [Decimal(line[column]) for line in given if column in line]
            result[field.key] = str(quantized_sum(amounts, digits))
    return result


def finished_values(spec: TemplateSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Only the template's own fields (what pairs for unknown keys left out)."""
    keys = {f.key for f in spec.fields}
    return {k: v for k, v in values.items() if k in keys}

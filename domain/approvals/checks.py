"""What the shape of a template cannot say: keys that clash, computed fields that point
nowhere, conditions over unknown names, members nobody knows. Each problem carries its path."""

from __future__ import annotations

from typing import Any

from domain.approvals.conditions import problems_in
from domain.approvals.fields import NUMERIC, FieldSpec, FieldType
from domain.approvals.template import CcSpec, StepSpec, TemplateSpec, walk_conditions, walk_steps

Found = list[tuple[tuple[Any, ...], str]]  # (path below the template, message)


def check_template(
    spec: TemplateSpec, handles: set[str], unread: frozenset[str] = frozenset()
) -> Found:
    """Every problem of one template; ``handles`` are the members the org knows, ``unread`` the
    keys of fields the file gives but whose shape is broken (taken as there, not as missing)."""
    return [
        *_input_keys(spec),
        *_computations(spec, unread),
        *_conditions(spec, unread),
        *_approvers(spec, handles, unread),
        *_leave(spec, unread),
    ]


def input_keys(spec: TemplateSpec) -> dict[str, tuple[FieldSpec, str]]:
    """Every key a member may type -> (field, part): ``value``, ``from``, ``to`` or a column."""
    keys: dict[str, tuple[FieldSpec, str]] = {}
    for field in spec.input_fields():
        for word in (field.key, *field.aliases):
            keys.setdefault(word.lower(), (field, "value"))
        if field.type is FieldType.DATERANGE:
            first, last = field.range_keys()
            keys.setdefault(first, (field, "from"))
            keys.setdefault(last, (field, "to"))
        for column in field.columns:
            keys.setdefault(column.key, (field, column.key))
            for label in (column.label or {}).values():
                keys.setdefault(label.lower(), (field, column.key))
    for field in spec.input_fields():  # labels in any language work as keys too (类型=年假)
        for label in (field.label or {}).values():
            keys.setdefault(label.lower(), (field, "value"))
    return keys


def _input_keys(spec: TemplateSpec) -> Found:
    """Typed keys are unique; a computed field may share its key only with the column it sums."""
    typed: list[tuple[tuple[Any, ...], str]] = []
    columns: set[str] = set()
    computed: list[tuple[tuple[Any, ...], str]] = []
    for i, field in enumerate(spec.fields):
        if field.compute:
            computed.append((("fields", i, "key"), field.key))
            continue
        typed.append((("fields", i, "key"), field.key))
        typed += [(("fields", i, "aliases"), a.lower()) for a in field.aliases]
        if field.type is FieldType.DATERANGE:
            typed += [(("fields", i, "type"), k) for k in field.range_keys()]
        for c, column in enumerate(field.columns):
            typed.append((("fields", i, "columns", c, "key"), column.key))
            columns.add(column.key)
    found: Found = []
    seen: set[str] = set()
    for path, word in typed:
        if word in seen:
            found.append((path, f"{word!r} is used twice as a key"))
        seen.add(word)
    for path, word in computed:
        if (word in seen and word not in columns) or word in {w for p, w in computed if p < path}:
            found.append((path, f"{word!r} is used twice as a key"))
    return found


def _computations(spec: TemplateSpec, unread: frozenset[str]) -> Found:
    found: Found = []
    for i, field in enumerate(spec.fields):
        computation = field.computation()
        if computation is None:
            continue
        function, source_key, column_key = computation
        source = spec.field(source_key)
        if source is None and source_key in unread:
            continue
        path = ("fields", i, "compute")
        if function == "working_days":
            if source is None or source.type is not FieldType.DATERANGE or column_key:
                found.append((path, f"working_days needs a date range field, not {source_key!r}"))
            elif field.type is not FieldType.NUMBER:
                found.append((("fields", i, "type"), "working_days gives a number"))
            continue
        column = next((c for c in source.columns if c.key == column_key), None) if source else None
        if column is None or column.type not in NUMERIC:
            found.append(
                (
                    path,
                    f"sum needs a number or money column of a lines field, "
                    f"not {source_key}.{column_key}",
                )
            )
        elif field.type is not column.type:
            found.append((("fields", i, "type"), f"the sum of {column_key} is {column.type}"))
    return found


def _conditions(spec: TemplateSpec, unread: frozenset[str]) -> Found:
    known = {f.key for f in spec.fields} | unread
    return [
        (("flow", *path), message)
        for path, expression in walk_conditions(spec.flow)
        for message in problems_in(expression, known)
    ]


def _approvers(spec: TemplateSpec, handles: set[str], unread: frozenset[str]) -> Found:
    found: Found = []
    members = spec.member_fields() | unread
    for path, item in walk_steps(spec.flow):
        selector = item.cc if isinstance(item, CcSpec) else item.approvers
        where = ("flow", *path, "cc" if isinstance(item, CcSpec) else "approvers")
        for handle in selector.members or []:
            if handle.lstrip("@").lower() not in handles:
                found.append(((*where, "members"), f"unknown member {handle!r}"))
        if selector.field is not None and selector.field not in members:
            found.append(((*where, "field"), f"{selector.field!r} is not a member field"))
        if isinstance(item, StepSpec):
            found += _decision(item, ("flow", *path), handles)
    return found


def _decision(step: StepSpec, path: tuple[Any, ...], handles: set[str]) -> Found:
    found: Found = []
    named = step.approvers.members
    if step.quorum is not None and named is not None and step.quorum > len(named):
        found.append(
            ((*path, "quorum"), f"quorum {step.quorum} is more than the {len(named)} members")
        )
    if isinstance(step.veto, list):
        for handle in step.veto:
            if handle.lstrip("@").lower() not in handles:
                found.append(((*path, "veto"), f"unknown member {handle!r}"))
    return found


def _leave(spec: TemplateSpec, unread: frozenset[str]) -> Found:
    leave = spec.leave_spec()
    if leave is None:
        return []
    wanted = {
        leave.type: (FieldType.CHOICE, False),
        leave.dates: (FieldType.DATERANGE, False),
        leave.days: (FieldType.NUMBER, True),
    }
    if leave.deputy:
        wanted[leave.deputy] = (FieldType.MEMBER, False)
    found: Found = []
    for key, (kind, computed) in wanted.items():
        field = spec.field(key)
        if field is None and (key == leave.deputy or key in unread):
            continue
        if field is None or field.type is not kind or bool(field.compute) != computed:
            what = f"a computed {kind} field" if computed else f"a {kind} field"
            found.append(
                (("leave",) if spec.leave else ("kind",), f"a leave template needs {what} {key!r}")
            )
    return found
